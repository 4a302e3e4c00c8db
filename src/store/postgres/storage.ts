import {redactDatabaseSecrets, redactDatabaseUrl} from '../../config/database-url.js'
import {DEFAULT_PROMPT_TIMEOUT_MS} from '../embed/embedder.js'
import type {IndexerLogger} from '../embed/background-loop.js'
import {createEmbedder, type EmbeddingSettings} from '../embed/providers.js'
import {DEFAULT_PRESENCE_TIMEOUTS, type PresenceTimeouts} from '../presence.js'
import {RecallRanker} from '../recall-ranker.js'
import {PGVECTOR_MISSING, type RecallRepository, type Storage, type StorageHealth, type StorageWriteProblem} from '../storage.js'
import {PostgresMessages, PostgresPresence, PostgresRateLimits, PostgresReceipts} from './agent-network.js'
import {PostgresApiKeys, PostgresAudit, PostgresDevices, PostgresPairing} from './auth.js'
import {connectionError, createPool, type Pool, queryOne, watchOf} from './client.js'
import {PostgresLexicalIndex} from './lexical-index.js'
import {PostgresMemories} from './memories.js'
import {LATEST_POSTGRES_SCHEMA_VERSION, migratePostgres, schemaVersion} from './migrations.js'
import {PostgresSessions} from './sessions.js'
import {PostgresTableCopy} from './table-copy.js'
import {PostgresTranscripts} from './transcripts.js'
import {ensurePgvector, PgvectorIndex} from './vectors.js'

export {PGVECTOR_MISSING} from '../storage.js'

export interface PostgresStorageOptions {
  /** `postgres://user:password@host:5432/database` (agent.yaml storage.url or SIGNET_DATABASE_URL). */
  url: string
  /** agent.yaml `embedding`; vectors need pgvector on the server too. No vectors when the provider is none. */
  embedding?: Partial<EmbeddingSettings>
  /** Connections this daemon may hold (default 10). */
  poolSize?: number
  presence?: PresenceTimeouts
  /** Keep vectors in step in the background (the daemon); off for one-shot tools and benches. Default true. */
  indexInBackground?: boolean
  logger?: IndexerLogger
}

/**
 * The PostgreSQL backend of the storage seam (docs/architecture.md, "Storage"): one pool, the same
 * repositories and rules as SQLite, and everything several daemons must agree on in the database.
 */
export class PostgresStorage implements Storage {
  readonly backend = 'postgres' as const
  readonly memories: PostgresMemories
  readonly recall: RecallRepository
  readonly lexical: PostgresLexicalIndex
  readonly sessions: PostgresSessions
  readonly transcripts: PostgresTranscripts
  readonly receipts: PostgresReceipts
  readonly apiKeys: PostgresApiKeys
  readonly audit: PostgresAudit
  readonly pairing: PostgresPairing
  readonly devices: PostgresDevices
  readonly messages: PostgresMessages
  readonly presence: PostgresPresence
  readonly rateLimits: PostgresRateLimits
  readonly vectors?: PgvectorIndex
  readonly tables: PostgresTableCopy
  private closed = false

  constructor(
    readonly pool: Pool,
    private readonly url: string,
    private readonly facts: {pgvector: {available: boolean; reason?: string}},
    options: PostgresStorageOptions,
  ) {
    this.memories = new PostgresMemories(pool)
    this.lexical = new PostgresLexicalIndex(pool)
    const embedder = createEmbedder(options.embedding)
    if (embedder && facts.pgvector.available) {
      this.vectors = new PgvectorIndex(pool, embedder, options.logger)
      if (options.indexInBackground !== false) this.vectors.start()
    }
    // The same ranker as SQLite's, over this backend's index: recall ranks alike on both.
    this.recall = new RecallRanker(this.lexical, {vectors: this.vectors, promptTimeoutMs: options.embedding?.promptTimeoutMs ?? DEFAULT_PROMPT_TIMEOUT_MS})
    this.sessions = new PostgresSessions(pool)
    this.transcripts = new PostgresTranscripts(pool)
    this.receipts = new PostgresReceipts(pool)
    this.apiKeys = new PostgresApiKeys(pool)
    this.audit = new PostgresAudit(pool)
    this.pairing = new PostgresPairing(pool)
    this.devices = new PostgresDevices(pool)
    this.messages = new PostgresMessages(pool)
    this.presence = new PostgresPresence(pool, options.presence ?? DEFAULT_PRESENCE_TIMEOUTS)
    this.rateLimits = new PostgresRateLimits(pool)
    this.tables = new PostgresTableCopy(pool)
  }

  /** A database sequence moved by a trigger on every write, by any daemon. */
  async changeCounter(): Promise<number> {
    const row = await queryOne<{n: number}>(this.pool, 'SELECT CASE WHEN is_called THEN last_value ELSE 0 END AS n FROM signet_change_counter')
    return row?.n ?? 0
  }

  /** `unreachable` while the server does not answer (see ConnectionWatch), or once the storage was closed. */
  writeProblem(): StorageWriteProblem | undefined {
    if (this.closed) return {code: 'unreachable', message: 'the PostgreSQL storage was closed (the daemon is stopping)'}
    const failure = watchOf(this.pool)?.current()
    if (!failure) return undefined
    return {
      code: 'unreachable',
      message: `PostgreSQL at ${redactDatabaseUrl(this.url)} has not answered since ${new Date(failure.since).toISOString()} (${redactDatabaseSecrets(failure.reason, this.url)}); writes are refused until it does`,
    }
  }

  async health(): Promise<StorageHealth> {
    const details: StorageHealth['details'] = {
      url: redactDatabaseUrl(this.url),
      pgvector: this.facts.pgvector.available,
      vectors: this.facts.pgvector.available ? (this.vectors ? 'pgvector' : 'no embedder configured') : PGVECTOR_MISSING,
      // Why CREATE EXTENSION failed (no package on the server, or no privilege): doctor's fix depends on it.
      pgvectorReason: this.facts.pgvector.available ? null : (this.facts.pgvector.reason ?? null),
      poolTotal: this.pool.totalCount,
      poolIdle: this.pool.idleCount,
      poolWaiting: this.pool.waitingCount,
    }
    try {
      const started = performance.now()
      const server = await queryOne<{version: string; database: string}>(
        this.pool,
        "SELECT current_setting('server_version') AS version, current_database() AS database",
      )
      const version = await schemaVersion(this.pool)
      details.serverVersion = server?.version ?? null
      details.database = server?.database ?? null
      details.ms = Math.round((performance.now() - started) * 10) / 10
      const problems = version < LATEST_POSTGRES_SCHEMA_VERSION ? [`schema version ${version} is behind ${LATEST_POSTGRES_SCHEMA_VERSION}`] : []
      return {
        backend: 'postgres',
        ok: problems.length === 0 && !this.closed,
        problems,
        schemaVersion: version,
        latestSchemaVersion: LATEST_POSTGRES_SCHEMA_VERSION,
        details,
      }
    } catch (error) {
      const reason = connectionError(error, this.url).message
      return {backend: 'postgres', ok: false, problems: ['unreachable', reason], schemaVersion: 0, latestSchemaVersion: LATEST_POSTGRES_SCHEMA_VERSION, details}
    }
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await this.vectors?.stop()
    await this.pool.end()
  }
}

/**
 * Connect, migrate (once across daemons: an advisory lock), look for pgvector, and return the
 * storage. A server that cannot be reached is a SignetError naming it without its password.
 */
export async function openPostgresStorage(options: PostgresStorageOptions): Promise<PostgresStorage> {
  const pool = createPool({url: options.url, max: options.poolSize})
  try {
    try {
      await pool.query('SELECT 1')
    } catch (error) {
      throw connectionError(error, options.url)
    }
    await migratePostgres(pool)
    // Vectors only when an embedder is configured: no extension is created for nothing.
    const wantsVectors = (options.embedding?.provider ?? 'none') !== 'none'
    const pgvector = wantsVectors
      ? await ensurePgvector(pool)
      : {available: (await queryOne(pool, "SELECT 1 FROM pg_extension WHERE extname = 'vector'")) !== undefined}
    return new PostgresStorage(pool, options.url, {pgvector}, options)
  } catch (error) {
    await pool.end().catch(() => {})
    throw error
  }
}
