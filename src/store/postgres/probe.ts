import {redactDatabaseUrl} from '../../config/database-url.js'
import {connectionError, createPool} from './client.js'
import {LATEST_POSTGRES_SCHEMA_VERSION, schemaVersion} from './migrations.js'

export interface PostgresProbe {
  /** The URL with its password masked. */
  url: string
  reachable: boolean
  /** What went wrong, password masked: why it could not be reached, or the query that failed once connected. */
  reason?: string
  serverVersion?: string
  schemaVersion?: number
  latestSchemaVersion: number
  /** Whether the vector extension is installed in this database, or can be (its package is on the server). */
  pgvector?: {installed: boolean; availableOnServer: boolean}
}

/**
 * What `signet doctor` learns about a PostgreSQL backend while no daemon runs, the counterpart of
 * the read-only SQLite file check: can it connect, which server, which schema, is pgvector there.
 * It reads only: nothing is created or migrated (the daemon does that when it starts).
 */
export async function probePostgres(url: string, options: {timeoutMs?: number} = {}): Promise<PostgresProbe> {
  const pool = createPool({url, max: 1, connectionTimeoutMs: options.timeoutMs ?? 5000, applicationName: 'signet doctor'})
  const result: PostgresProbe = {url: redactDatabaseUrl(url), reachable: false, latestSchemaVersion: LATEST_POSTGRES_SCHEMA_VERSION}
  try {
    const {rows} = await pool.query<{version: string; installed: boolean; available: boolean}>(
      `SELECT current_setting('server_version') AS version,
              EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'vector') AS installed,
              EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'vector') AS available`,
    )
    result.reachable = true
    result.serverVersion = rows[0].version
    result.pgvector = {installed: rows[0].installed, availableOnServer: rows[0].available}
    result.schemaVersion = await schemaVersion(pool)
  } catch (error) {
    result.reason = connectionError(error, url).message
  } finally {
    await pool.end().catch(() => {})
  }
  return result
}
