import pg from 'pg'
import {describe, expect, it} from 'vitest'

import {createTestDatabase, postgresCluster, postgresSkipReason} from '../../helpers/postgres.js'

describe.skipIf(!postgresCluster)(`test PostgreSQL cluster ${postgresSkipReason}`, () => {
  it('gives each caller its own empty database', async () => {
    const a = await createTestDatabase()
    const b = await createTestDatabase()
    expect(a.name).not.toBe(b.name)
    const client = new pg.Client({connectionString: a.url})
    await client.connect()
    const {rows} = await client.query<{db: string}>('SELECT current_database() AS db')
    expect(rows[0].db).toBe(a.name)
    await client.end()
    await a.drop()
    await b.drop()
  })
})
