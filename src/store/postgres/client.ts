import pg from 'pg'

import {redactDatabaseSecrets, redactDatabaseUrl} from '../../config/database-url.js'
import {SignetError} from '../../errors.js'

/**
 * The connection pool every PostgreSQL repository shares (node-postgres `pg.Pool`: pure JS, no
 * native build). bigint columns (seq, counts) come back as numbers: every one of them is a row
 * count or an identity far below 2^53.
 */
export type Pool = pg.Pool
export type PoolClient = pg.PoolClient
/** A pool or a client inside a transaction: anything that can run a query. */
export type Queryable = Pick<pg.Pool, 'query'> | Pick<pg.PoolClient, 'query'>

const INT8_OID = 20

const parsers: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: string) =>
    oid === INT8_OID ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format as 'text')) as pg.CustomTypesConfig['getTypeParser'],
}

export interface PoolOptions {
  url: string
  /** Connections per daemon (default 10): several daemons share one server's max_connections. */
  max?: number
  /** How long a query waits for a free connection or a new one before failing (default 10 s). */
  connectionTimeoutMs?: number
  applicationName?: string
}

/** Node's and PostgreSQL's ways of saying the server is not there (SQLSTATE class 08, shutdowns, too many connections). */
const CONNECTION_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  '57P01',
  '57P02',
  '57P03',
  '53300',
])

export function isConnectionError(error: unknown): boolean {
  const code = pgErrorCode(error)
  if (code && (CONNECTION_ERROR_CODES.has(code) || code.startsWith('08'))) return true
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|the database system is (?:starting up|shutting down)/i.test(
    (error as Error)?.message ?? '',
  )
}

/** How long after a failure writes stay refused before a probe asks the server again. */
const PROBE_EVERY_MS = 2000

/**
 * Whether the server answered the last time anyone asked. Every query helper reports to the pool's
 * watch: a connection failure marks the server unreachable, any answer clears it. While it is
 * marked, writeProblem() says so (the daemon refuses writes with a 503 instead of failing each one
 * its own way), and a background probe every few seconds notices when the server is back.
 */
export class ConnectionWatch {
  private failure: {since: number; reason: string} | undefined
  private lastProbe = 0
  private probing = false

  constructor(private readonly pool: pg.Pool) {}

  failed(error: unknown): void {
    if (!isConnectionError(error)) return
    this.failure ??= {since: Date.now(), reason: error instanceof Error ? error.message : String(error)}
  }

  succeeded(): void {
    this.failure = undefined
  }

  /** The current failure, if any; asks the server again (in the background) at most every PROBE_EVERY_MS. */
  current(): {since: number; reason: string} | undefined {
    if (this.failure && !this.probing && Date.now() - this.lastProbe >= PROBE_EVERY_MS) {
      this.lastProbe = Date.now()
      this.probing = true
      this.pool
        .query('SELECT 1')
        .then(
          () => this.succeeded(),
          (error: unknown) => this.failed(error),
        )
        .finally(() => (this.probing = false))
    }
    return this.failure
  }
}

const watches = new WeakMap<object, ConnectionWatch>()

/** The watch of the pool a pool or one of its transaction clients belongs to. */
export function watchOf(db: object): ConnectionWatch | undefined {
  return watches.get(db)
}

export function createPool(options: PoolOptions): Pool {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.max ?? 10,
    connectionTimeoutMillis: options.connectionTimeoutMs ?? 10_000,
    idleTimeoutMillis: 30_000,
    application_name: options.applicationName ?? 'signet',
    // A stuck query or a transaction left open must not hold a request, or another daemon's locks,
    // for ever: the server ends them.
    statement_timeout: 30_000,
    idle_in_transaction_session_timeout: 60_000,
    types: parsers,
  })
  const watch = new ConnectionWatch(pool)
  watches.set(pool, watch)
  // An idle client losing its connection (server restart, network) is reported here; without a
  // listener it would crash the process. The next query opens a fresh connection.
  pool.on('error', (error) => watch.failed(error))
  return pool
}

/** Error codes worth retrying a whole transaction for: serialization failure and deadlock. */
const RETRYABLE = new Set(['40001', '40P01'])

/** Run `work` in one transaction (READ COMMITTED), retried a few times on serialization failures and deadlocks. */
export async function inTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const watch = watchOf(pool)
  for (let attempt = 0; ; attempt++) {
    let client: PoolClient
    try {
      client = await pool.connect()
    } catch (error) {
      watch?.failed(error)
      throw error
    }
    if (watch) watches.set(client, watch)
    let broken = false
    try {
      await client.query('BEGIN')
      const result = await work(client)
      await client.query('COMMIT')
      return result
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {
        broken = true
      })
      watch?.failed(error)
      if (RETRYABLE.has(pgErrorCode(error) ?? '') && attempt < 4) continue
      throw error
    } finally {
      client.release(broken)
    }
  }
}

export function pgErrorCode(error: unknown): string | undefined {
  const code = (error as {code?: unknown})?.code
  return typeof code === 'string' ? code : undefined
}

export function isUniqueViolation(error: unknown): boolean {
  return pgErrorCode(error) === '23505'
}

/**
 * A connection failure as a SignetError that names the server without the password. pg's own
 * messages do not quote the URL, but a DNS or TLS error can carry the host string it was given.
 */
export function connectionError(error: unknown, url: string): SignetError {
  const message = redactDatabaseSecrets(error instanceof Error ? error.message : String(error), url)
  return new SignetError(`cannot reach PostgreSQL at ${redactDatabaseUrl(url)}: ${message}`, 'storage_unreachable')
}

/**
 * PostgreSQL text cannot hold a NUL character (SQLite's can): one arriving in a field is stored as
 * U+FFFD instead of failing the write. Applies inside arrays too.
 */
export function pgSafe(value: unknown): unknown {
  if (typeof value === 'string') return value.includes('\0') ? value.replaceAll('\0', '\uFFFD') : value
  if (Array.isArray(value)) return value.map(pgSafe)
  return value
}

/** Run one statement and return its rows; every parameter passes through pgSafe. */
export async function query<Row extends object = Record<string, unknown>>(db: Queryable, sql: string, values: unknown[] = []): Promise<Row[]> {
  return (await run(db, sql, values)).rows as Row[]
}

async function run(db: Queryable, sql: string, values: unknown[]): Promise<pg.QueryResult> {
  const watch = watchOf(db)
  try {
    const result = await db.query(sql, values.map(pgSafe))
    watch?.succeeded()
    return result
  } catch (error) {
    watch?.failed(error)
    throw error
  }
}

/** The first row of a statement, or undefined. */
export async function queryOne<Row extends object = Record<string, unknown>>(db: Queryable, sql: string, values: unknown[] = []): Promise<Row | undefined> {
  return (await query<Row>(db, sql, values))[0]
}

/** Rows a statement changed (UPDATE, DELETE, INSERT … ON CONFLICT DO NOTHING). */
export async function execute(db: Queryable, sql: string, values: unknown[] = []): Promise<number> {
  return (await run(db, sql, values)).rowCount ?? 0
}

/** Positional parameters for a query built from optional parts: `params.add(value)` returns `$n`. */
export class Params {
  readonly values: unknown[] = []

  add(value: unknown): string {
    this.values.push(value)
    return `$${this.values.length}`
  }
}
