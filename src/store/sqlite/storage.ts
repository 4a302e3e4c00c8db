import {AgentMessageStore} from '../agent-messages.js'
import {ApiKeyStore} from '../api-keys.js'
import {AuditLog} from '../audit.js'
import {databaseFileProblem, LATEST_SCHEMA_VERSION, openDatabase, type OpenDatabaseOptions, type SqliteDatabase} from '../db.js'
import {DeviceSessionStore} from '../device-sessions.js'
import {DEFAULT_PROMPT_TIMEOUT_MS} from '../embed/embedder.js'
import type {IndexerLogger} from '../embed/background-loop.js'
import {EmbeddingIndexer} from '../embed/indexer.js'
import {createEmbedder, type EmbeddingSettings} from '../embed/providers.js'
import {MemoryStore} from '../memories.js'
import {renderWorkingMemoryMarkdown, selectContextMemories} from '../memory-md.js'
import {PairingStore} from '../pairing.js'
import {DEFAULT_PRESENCE_TIMEOUTS, PresenceStore, type PresenceTimeouts} from '../presence.js'
import {PromptReceipts} from '../prompt-receipts.js'
import {SessionStore} from '../sessions.js'
import type {
  AgentMessageRepository,
  ApiKeyRepository,
  AuditRepository,
  DeviceSessionRepository,
  MemoryRepository,
  PairingRepository,
  PresenceRepository,
  PromptReceiptRepository,
  RecallRepository,
  SessionRepository,
  Storage,
  StorageHealth,
  TranscriptRepository,
  StorageWriteProblem,
} from '../storage.js'
import {TranscriptStore} from '../transcripts.js'
import {checkDatabaseIntegrity} from './integrity.js'
import {InProcessRateLimits} from './rate-limits.js'
import {RecallWorkerPool, sqliteRanker} from './recall-workers.js'
import {SqliteTableCopy} from './table-copy.js'
import {SqliteVectorRepository} from './vectors.js'

export {LATEST_SCHEMA_VERSION}

/*
 * The SQLite backend of the storage seam (docs/architecture.md, "Storage"): one better-sqlite3
 * connection, the synchronous stores of src/store/*.ts wrapped as async repositories. The wrapping
 * is thin on purpose: the stores keep their statements and transactions, and their own tests. The
 * daemon's recalls may rank on worker threads, each with a read-only connection of its own
 * (./recall-workers.ts); every write goes through this one.
 */

export interface SqliteStorageOptions extends OpenDatabaseOptions {
  /** agent.yaml `embedding`; no vectors when the provider is none. */
  embedding?: Partial<EmbeddingSettings>
  /** Keep vectors in step in the background (the daemon); off for one-shot tools and benches. Default true. */
  indexInBackground?: boolean
  logger?: IndexerLogger
  /** agent.yaml `agents.idleAfterMs` / `offlineAfterMs`. */
  presence?: PresenceTimeouts
  /**
   * Rank recalls on this many worker threads, each with its own read-only connection
   * (./recall-workers.ts; the daemon passes defaultRecallWorkers()). Default 0: in-process. Lexical
   * recall only: with vectors on, and for an in-memory database, recall stays in-process.
   */
  recallWorkers?: number
}

/** A method's async twin: same arguments, the result in a promise. */
type Promised<T, K extends keyof T> = {[P in K]: T[P] extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>> : never}

/** The listed methods of a synchronous store as async functions (a throw becomes a rejection). */
function promised<T extends object, K extends keyof T>(target: T, names: readonly K[]): Promised<T, K> {
  const out: Record<PropertyKey, unknown> = {}
  for (const name of names) {
    const method = target[name] as unknown as (...args: unknown[]) => unknown
    out[name] = async (...args: unknown[]) => method.apply(target, args)
  }
  return out as Promised<T, K>
}

export class SqliteStorage implements Storage {
  readonly backend = 'sqlite' as const
  readonly memories: MemoryRepository
  readonly recall: RecallRepository
  readonly sessions: SessionRepository
  readonly transcripts: TranscriptRepository
  readonly receipts: PromptReceiptRepository
  readonly apiKeys: ApiKeyRepository
  readonly audit: AuditRepository
  readonly pairing: PairingRepository
  readonly devices: DeviceSessionRepository
  readonly messages: AgentMessageRepository
  readonly presence: PresenceRepository
  readonly rateLimits = new InProcessRateLimits()
  readonly vectors?: SqliteVectorRepository
  readonly tables: SqliteTableCopy
  private readonly indexer: EmbeddingIndexer | undefined
  private readonly recallWorkers: RecallWorkerPool | undefined
  private readonly totalChanges
  private closed = false

  /**
   * @param database an open, migrated database (openDatabase); closed by close().
   * @param dbPath where it lives, for health facts.
   */
  constructor(
    /** The connection itself: for the workspace's local sources index and for tests, never for routes. */
    readonly database: SqliteDatabase,
    private readonly dbPath: string,
    options: SqliteStorageOptions = {},
  ) {
    const db = database
    const memoryStore = new MemoryStore(db)
    this.memories = {
      ...promised(memoryStore, ['remember', 'importMany', 'get', 'list', 'update', 'forget', 'count']),
      contextMemories: async (query) => selectContextMemories(db, query),
      workingMemory: async (agentId, render) => renderWorkingMemoryMarkdown(db, agentId, render),
    }
    const embedder = createEmbedder(options.embedding)
    this.indexer = embedder ? new EmbeddingIndexer(db, embedder, options.logger) : undefined
    if (this.indexer) {
      this.vectors = new SqliteVectorRepository(this.indexer)
      if (options.indexInBackground !== false) {
        this.indexer.start()
        options.logger?.info('embedding enabled', {provider: this.indexer.embedder.provider, model: this.indexer.embedder.model})
      }
    }
    const ranker = sqliteRanker(db, {vectors: this.vectors, promptTimeoutMs: options.embedding?.promptTimeoutMs ?? DEFAULT_PROMPT_TIMEOUT_MS})
    const workers = options.recallWorkers ?? 0
    if (workers > 0 && !this.vectors && !db.memory && RecallWorkerPool.available()) {
      this.recallWorkers = new RecallWorkerPool(dbPath, ranker, {
        size: workers,
        logger: options.logger,
        sameFile: () => databaseFileProblem(db) === undefined,
      })
      options.logger?.info('recall on worker threads', {workers})
    }
    this.recall = this.recallWorkers ?? ranker
    this.sessions = promised(new SessionStore(db), [
      'get',
      'ownedByAnotherAgent',
      'touch',
      'addInjected',
      'clearInjected',
      'markContextLoaded',
      'end',
      'list',
      'recordSighting',
      'sightings',
    ])
    this.transcripts = promised(new TranscriptStore(db), ['save', 'forSession', 'count', 'search'])
    this.receipts = promised(new PromptReceipts(db), ['record', 'forSession'])
    const apiKeys = new ApiKeyStore(db)
    this.apiKeys = promised(apiKeys, ['create', 'list', 'find', 'verify', 'revoke', 'rotate'])
    this.audit = promised(new AuditLog(db), ['record', 'list'])
    const pairing = new PairingStore(db)
    this.pairing = {
      ...promised(pairing, ['pendingCount', 'issue']),
      // One transaction: a code is checked, its key minted and the code marked used together.
      claim: async (code, mint, now) =>
        db.transaction(() => {
          const checked = pairing.check(code, now)
          if (checked.status !== 'ok') return checked
          const created = apiKeys.create(mint(checked.grant), now)
          pairing.complete(checked.codeHash, created.id, now)
          return {status: 'ok' as const, created}
        })(),
    }
    this.devices = promised(new DeviceSessionStore(db), ['pendingLinkCount', 'issueLink', 'login', 'verify', 'list', 'get', 'revoke'])
    this.messages = promised(new AgentMessageStore(db), [
      'get',
      'send',
      'unreadFor',
      'markDelivered',
      'claimUnread',
      'ack',
      'list',
      'eventsFor',
      'lastEventSeq',
    ])
    this.presence = promised(new PresenceStore(db, options.presence ?? DEFAULT_PRESENCE_TIMEOUTS), [
      'see',
      'list',
      'agentOfSession',
      'sessionOf',
      'isKnownAgent',
      'projectsOf',
    ])
    this.tables = new SqliteTableCopy(db)
    this.totalChanges = db.prepare<[], {n: number}>('SELECT total_changes() AS n')
  }

  /** Every write goes through this one connection, so its total_changes() moving is "something changed". */
  async changeCounter(): Promise<number> {
    return this.totalChanges.get()!.n
  }

  /** The file at the path is no longer the one opened (deleted or renamed over): `code` is `deleted` or `replaced`. */
  writeProblem(): StorageWriteProblem | undefined {
    const problem = databaseFileProblem(this.database)
    return problem ? {code: problem.kind, message: problem.message} : undefined
  }

  async health(options: {deep?: boolean | 'auto'} = {}): Promise<StorageHealth> {
    const problem = this.writeProblem()
    const integrity = checkDatabaseIntegrity(this.database, this.dbPath, 'daemon', {quickCheck: options.deep ?? false})
    return {
      backend: 'sqlite',
      ok: integrity.ok && !problem,
      problems: [...(problem ? [`database_${problem.code}`] : []), ...integrity.problems],
      schemaVersion: integrity.schemaVersion,
      latestSchemaVersion: integrity.latestSchemaVersion,
      details: {
        journalMode: integrity.journalMode,
        sizeBytes: integrity.sizeBytes,
        quickCheck: integrity.pagesChecked,
        ms: integrity.ms,
        recallWorkers: this.recallWorkers?.readyWorkers ?? 0,
      },
    }
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await this.indexer?.stop()
    await this.recallWorkers?.close()
    this.database.close()
  }
}

/** Open (creating and migrating if needed) the SQLite database at `dbPath` as a Storage. */
export function openSqliteStorage(dbPath: string, options: SqliteStorageOptions = {}): SqliteStorage {
  const db = openDatabase(dbPath, options)
  try {
    return new SqliteStorage(db, dbPath, options)
  } catch (error) {
    db.close()
    throw error
  }
}

/**
 * Recall over an open database without the rest of the storage (benches and the ranking lab):
 * the shared ranker over SQLite's lexical index, with `indexer`'s vectors when given.
 */
export function sqliteRecall(db: SqliteDatabase, options: {indexer?: EmbeddingIndexer; promptTimeoutMs?: number} = {}): RecallRepository {
  return sqliteRanker(db, {
    vectors: options.indexer ? new SqliteVectorRepository(options.indexer) : undefined,
    promptTimeoutMs: options.promptTimeoutMs,
  })
}
