import {randomBytes} from 'node:crypto'
import {createServer} from 'node:net'

import pg from 'pg'
import {afterAll, describe, expect, it} from 'vitest'

import {openPostgresStorage, PGVECTOR_MISSING} from '../../../src/store/postgres/storage.js'
import {createTestDatabase, postgresCluster, postgresSkipReason, type TestDatabase} from '../../helpers/postgres.js'

describe.skipIf(!postgresCluster)(`opening PostgreSQL storage ${postgresSkipReason}`, () => {
  const databases: TestDatabase[] = []
  afterAll(async () => {
    for (const database of databases) await database.drop()
  })

  it('names an unreachable server without its password', async () => {
    const closed = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const {port} = server.address() as {port: number}
        server.close(() => resolve(port))
      })
    })
    const error = await openPostgresStorage({url: `postgres://signet:hunter2secret@127.0.0.1:${closed}/nowhere`}).catch((caught: Error) => caught)
    expect(error).toMatchObject({code: 'storage_unreachable'})
    expect((error as Error).message).toContain(`postgres://signet:***@127.0.0.1:${closed}/nowhere`)
    expect((error as Error).message).not.toContain('hunter2secret')
  })

  it('migrates once, reopens without migrating, and refuses a schema from a newer Signet', async () => {
    const database = await createTestDatabase()
    databases.push(database)
    const first = await openPostgresStorage({url: database.url})
    await first.memories.remember({agentId: 'x', content: 'kept across reopening'})
    await first.close()
    const again = await openPostgresStorage({url: database.url})
    expect(await again.memories.count()).toBe(1)
    expect(again.writeProblem()).toBeUndefined()
    await again.close()
    expect(again.writeProblem()).toMatchObject({code: 'unreachable'})

    const client = new pg.Client({connectionString: database.url})
    await client.connect()
    await client.query("INSERT INTO schema_migrations (version, name) VALUES (999, 'from the future')")
    await client.end()
    await expect(openPostgresStorage({url: database.url})).rejects.toMatchObject({code: 'schema_too_new'})
  })

  it('says plainly that recall is lexical only when the server has no pgvector', async () => {
    const database = await createTestDatabase()
    databases.push(database)
    const client = new pg.Client({connectionString: database.url})
    await client.connect()
    const available = (await client.query("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'")).rowCount === 1
    await client.end()
    const storage = await openPostgresStorage({url: database.url, embedding: {provider: 'local'}, indexInBackground: false})
    const health = await storage.health()
    expect(health).toMatchObject({backend: 'postgres', ok: true, schemaVersion: 1, latestSchemaVersion: 1})
    expect(health.details.serverVersion).toMatch(/^\d+/)
    if (available) {
      expect(storage.vectors).toBeDefined()
      expect(health.details.pgvector).toBe(true)
    } else {
      expect(storage.vectors).toBeUndefined()
      expect(health.details).toMatchObject({pgvector: false, vectors: PGVECTOR_MISSING})
    }
    await storage.close()
  })

  it('indexes texts larger than one tsvector holds (a copied memory, a long transcript) instead of failing the write', async () => {
    const database = await createTestDatabase()
    databases.push(database)
    const storage = await openPostgresStorage({url: database.url})
    // Distinct made-up words: a tsvector of all of them would pass PostgreSQL's 1 MB limit.
    const words = Array.from({length: 60_000}, () => randomBytes(6).toString('hex').replace(/\d/g, 'q'))
    const row = {
      seq: 1,
      id: 'copied',
      content: words.join(' '),
      content_hash: 'h',
      type: 'fact',
      tags: '[]',
      importance: 0.5,
      pinned: 0,
      agent_id: 'a',
      project: null,
      source: 'manual',
    }
    const times = {created_at: '2024-01-01T00:00:00.000Z', updated_at: '2024-01-01T00:00:00.000Z', deleted_at: null}
    await storage.tables.write('memories', [
      {...row, ...times, harness: null, key_id: null, machine_id: null, session_key: null, idempotency_key: null, access_count: 0, last_accessed_at: null},
    ])
    expect(await storage.lexical.storedWords([words[0]])).toEqual(new Set([words[0]]))
    const saved = await storage.transcripts.save({agentId: 'a', sessionKey: 's', kind: 'transcript', content: `${words.join(' ')} ${words.join(' ')}`})
    expect(saved.deduped).toBe(false)
    expect((await storage.transcripts.search({query: words[1], agentId: 'a', limit: 1})).map((hit) => hit.id)).toEqual([saved.id])
    await storage.close()
  })
})
