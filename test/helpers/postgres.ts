import {randomBytes} from 'node:crypto'

import pg from 'pg'
import {inject} from 'vitest'

import type {PostgresCluster} from './postgres-cluster.js'

/**
 * PostgreSQL for a test file: the run's cluster (test/helpers/postgres.global.ts) and a fresh
 * database per call. `describe.skipIf(!postgresCluster)` with `postgresSkipReason` in its name
 * skips a suite visibly when this machine has no PostgreSQL server.
 */
const provided = inject('postgres')

export const postgresCluster: PostgresCluster | undefined = 'cluster' in provided ? provided.cluster : undefined

export const postgresSkipReason = 'unavailable' in provided ? `(skipped: ${provided.unavailable})` : ''

if (!postgresCluster) console.warn(`PostgreSQL tests skipped: ${'unavailable' in provided ? provided.unavailable : ''}`)

export interface TestDatabase {
  url: string
  name: string
  drop(): Promise<void>
}

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  if (!postgresCluster) throw new Error('no PostgreSQL cluster in this run')
  const client = new pg.Client({connectionString: `${postgresCluster.baseUrl}/postgres`})
  await client.connect()
  try {
    return await work(client)
  } finally {
    await client.end()
  }
}

/**
 * A new, empty database in the run's cluster; `drop()` ends its connections and removes it.
 * `linguisticCollation` makes it sort text as most production servers do (ICU en-US: `alice` before
 * `Zed`) rather than as the cluster's C locale does, where the server was built with ICU.
 */
export async function createTestDatabase(prefix = 'signet_test', options: {linguisticCollation?: boolean} = {}): Promise<TestDatabase> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`
  await admin(async (client) => {
    if (options.linguisticCollation) {
      try {
        await client.query(`CREATE DATABASE ${name} TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US'`)
        return
      } catch {
        // A server without ICU (or older than 15): the cluster's own locale.
      }
    }
    await client.query(`CREATE DATABASE ${name}`)
  })
  return {
    name,
    url: `${postgresCluster!.baseUrl}/${name}`,
    drop: () => admin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  }
}
