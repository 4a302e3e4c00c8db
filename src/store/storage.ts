/**
 * The storage seam (docs/architecture.md, "Storage"): what the daemon asks of a backend, as
 * async repositories. The daemon context holds a `Storage`, never a database handle, so SQLite
 * (the default, src/store/sqlite/) and PostgreSQL (src/store/postgres/) are interchangeable.
 *
 * Rules every implementation keeps:
 * - Redaction happens before storage inside the repositories that accept free text (memories,
 *   transcripts, messages, audit details): a caller can't forget it.
 * - Every read of agent data takes the agent (and, where it applies, the project filter) as an
 *   argument; nothing lists across agents unless the method says so.
 * - Anything several daemons must agree on (keys and revocation, rate limits, pairing codes,
 *   what a session already got, messages, presence) lives in the backend, never in process memory.
 */
import type {AgentEvent, AgentMessage, MessageState, NewMessage} from './agent-messages.js'
import type {ApiKeyRecord, ApiKeyVerification, CreatedApiKey, NewApiKey} from './api-keys.js'
import type {AuditEntry, NewAuditEntry} from './audit.js'
import type {DeviceGrant, DeviceSession, IssuedLoginLink, LoginOutcome, SessionCheck} from './device-sessions.js'
import type {Embedder} from './embed/embedder.js'
import type {BackfillProgress, EmbeddingStatus} from './embed/indexer.js'
import type {PendingMemory, VectorHit} from './embed/vector-index.js'
import type {ListMemoriesQuery, Memory, MemoryPatch, MemoryRow, PatchOutcome, ProjectFilter, RememberInput} from './memories.js'
import type {ContextMemoryQuery} from './memory-md.js'
import type {IssuedPairCode, PairClaimOutcome, PairingGrant} from './pairing.js'
import type {TextStatistics} from './proximity.js'
import type {Peer} from './presence.js'
import type {PromptReceipt} from './prompt-receipts.js'
import type {PlannedTerm} from './query-terms.js'
import type {NeighbourRow, RecallQuery, RecallResult} from './search.js'
import type {HarnessSighting, SessionRecord, SessionTouch} from './sessions.js'
import type {SaveTranscriptInput, SavedTranscript, TranscriptRecord, TranscriptSearchHit} from './transcripts.js'

export type StorageBackend = 'sqlite' | 'postgres'

/** What PostgreSQL storage health and `signet doctor` say when the server has no pgvector (docs/postgres.md). */
export const PGVECTOR_MISSING = 'pgvector not installed: recall is lexical only'

export interface MemoryRepository {
  remember(input: RememberInput): Promise<{memory: Memory; deduped: boolean}>
  importMany(inputs: RememberInput[]): Promise<{imported: number; deduped: number}>
  get(id: string, agentId: string): Promise<Memory | undefined>
  list(query: ListMemoriesQuery): Promise<{memories: Memory[]; total: number; byAgent: Record<string, number>}>
  update(id: string, agentId: string, patch: MemoryPatch): Promise<PatchOutcome>
  forget(id: string, agentId: string): Promise<boolean>
  count(filter?: {agentId?: string} & ProjectFilter): Promise<number>
  /** Pinned first, then importance, recency and project match: session start and MEMORY.md. */
  contextMemories(query: ContextMemoryQuery): Promise<Array<{memory: Memory; score: number}>>
  /** The generated working-memory markdown for one agent (see memory-md.ts for the format). */
  workingMemory(agentId: string, options?: {project?: string; now?: Date}): Promise<string>
}

export interface RecallRepository {
  /** The embedder behind the vector side, if any. */
  readonly embedder: Embedder | undefined
  /** Hybrid recall; waits for the query embedding at most `budgetMs`, then answers lexically. */
  recall(query: RecallQuery, budgetMs?: number): Promise<RecallResult>
}

/**
 * What the shared recall ranker (src/store/recall-ranker.ts) asks of a backend's text index. The
 * ranker owns every quality decision (pools, weights, context, confidence); a backend only
 * matches words and reads rows, so recall ranks the same on every backend.
 */
export interface LexicalIndex {
  /** How many memories the text index holds, roughly (./common-words.ts sets its bar from it). */
  indexedMemories(): Promise<number>
  /** How many memories hold each word, as the index normalises words; counting may stop past `atMost` (./common-words.ts). */
  documentCounts(words: string[], atMost: number): Promise<Map<string, number>>
  /** Each word as the index holds it (its stem); null when the index makes it no single term (a stop word, or several words). */
  indexTerms(words: string[]): Promise<Map<string, string | null>>
  /** Which of `words` some memory holds, as the index normalises words (tells a typo from a word the store knows). */
  storedWords(words: string[]): Promise<Set<string>>
  /**
   * Best matches of any form of any planned word, relevance higher = better (bm25 or its equivalent), no filters.
   * With `holding` (`plan` without its common words, ./common-words.ts): only memories holding a form
   * of `holding`, each still scored with every form of `plan`, so a common word the memory also
   * holds counts in its score (bench/README.md, "B8: the prompt hook at a million memories").
   */
  ranked(plan: PlannedTerm[], limit: number, holding?: PlannedTerm[]): Promise<Array<{seq: number; relevance: number}>>
  /** The same ranking restricted to memories passing the query's filters (used when filters remove most of `ranked`). */
  rankedWithin(plan: PlannedTerm[], query: RecallQuery, limit: number): Promise<Array<{seq: number; relevance: number}>>
  /**
   * Which of `names` (lowercase) label a memory ("Caroline: …", in a form speakerLabelForms gives),
   * looked for among the first LABEL_PROBE_ROWS memories holding the name: a bounded probe, so a
   * common name in a large store costs a few hundred row reads, never a scan.
   */
  labelledSpeakers(names: string[]): Promise<Set<string>>
  /** The same ranking restricted further to memories whose content starts with `speaker`'s label (`speaker` lowercase, in a form speakerLabelForms gives). */
  rankedSaidBy(plan: PlannedTerm[], query: RecallQuery, speaker: string, limit: number): Promise<Array<{seq: number; relevance: number}>>
  /** Rows the text index holds and their average length in words, as its bm25 counts them (../proximity.ts). */
  textStatistics(): Promise<TextStatistics>
  /**
   * Which of `seqs` pass the query's filters (agent, project, type, dates, tags, exclusions, not
   * deleted), each with its text as `texts` gives it: the row is read once for both.
   */
  passing(seqs: number[], query: RecallQuery): Promise<Map<number, string>>
  /**
   * Session and time of those of `seqs` that pass the filters (conversation context, dated queries).
   * `sessionsOnly`: only memories stored with a session key, the only ones context can join.
   */
  neighbours(seqs: number[], query: RecallQuery, options?: {sessionsOnly?: boolean}): Promise<NeighbourRow[]>
  /** Content and tags of each memory, for word matching: the content, a space, and the tags as their JSON array. */
  texts(seqs: number[]): Promise<Map<number, string>>
  rows(seqs: number[]): Promise<Map<number, MemoryRow>>
}

export interface SessionRepository {
  get(agentId: string, sessionKey: string): Promise<SessionRecord | undefined>
  ownedByAnotherAgent(sessionKey: string, agentId: string): Promise<boolean>
  touch(input: SessionTouch): Promise<{session: SessionRecord; known: boolean}>
  addInjected(agentId: string, sessionKey: string, ids: string[]): Promise<void>
  clearInjected(agentId: string, sessionKey: string): Promise<void>
  markContextLoaded(agentId: string, sessionKey: string): Promise<void>
  end(agentId: string, sessionKey: string): Promise<void>
  list(query: {agentId?: string; limit: number; offset: number} & ProjectFilter): Promise<{sessions: SessionRecord[]; total: number}>
  recordSighting(input: {harness: string; agentId: string; machineId?: string | null; event: string}): Promise<void>
  sightings(agentId?: string): Promise<HarnessSighting[]>
}

export interface TranscriptRepository {
  save(input: SaveTranscriptInput): Promise<SavedTranscript>
  forSession(agentId: string, sessionKey: string): Promise<TranscriptRecord[]>
  count(agentId: string, sessionKey: string): Promise<number>
  search(
    query: {query: string; agentId: string; sessionKey?: string; excludeSessionKey?: string; limit: number} & ProjectFilter,
  ): Promise<TranscriptSearchHit[]>
}

export interface PromptReceiptRepository {
  record(agentId: string, sessionKey: string, receipt: PromptReceipt): Promise<void>
  forSession(agentId: string, sessionKey: string, limit?: number): Promise<PromptReceipt[]>
}

export interface ApiKeyRepository {
  create(input: NewApiKey, now?: Date): Promise<CreatedApiKey>
  list(): Promise<ApiKeyRecord[]>
  find(idOrPrefix: string): Promise<ApiKeyRecord | undefined>
  /** Read on every request, never cached: a key revoked through one daemon is refused by all. */
  verify(presented: string, now?: number): Promise<ApiKeyVerification>
  revoke(idOrPrefix: string, now?: Date): Promise<ApiKeyRecord | undefined>
  rotate(idOrPrefix: string, options?: {expiresAt?: string | null}, now?: Date): Promise<{created: CreatedApiKey; replaced: ApiKeyRecord} | undefined>
}

export interface AuditRepository {
  record(entry: NewAuditEntry, now?: Date): Promise<void>
  list(options?: {limit?: number; event?: string; keyId?: string}): Promise<AuditEntry[]>
}

export interface PairingRepository {
  pendingCount(now?: Date): Promise<number>
  issue(grant: PairingGrant, ttlMs: number, now?: Date): Promise<IssuedPairCode>
  /**
   * Check a code and, when it is good, mint its key and mark the code used, atomically: two
   * daemons claiming one code at once give one key.
   */
  claim(
    code: string,
    mint: (grant: PairingGrant) => NewApiKey,
    now?: Date,
  ): Promise<Exclude<PairClaimOutcome, {status: 'ok'}> | {status: 'ok'; created: CreatedApiKey}>
}

export interface DeviceSessionRepository {
  pendingLinkCount(now?: Date): Promise<number>
  issueLink(grant: DeviceGrant, ttlMs?: number, now?: Date): Promise<IssuedLoginLink>
  login(linkToken: string, userAgent: string | null, now?: Date): Promise<LoginOutcome>
  verify(sessionToken: string, now?: Date): Promise<SessionCheck>
  list(now?: Date): Promise<DeviceSession[]>
  get(id: string, now?: Date): Promise<DeviceSession | undefined>
  revoke(id: string, now?: Date): Promise<DeviceSession | undefined>
}

export interface AgentMessageRepository {
  get(id: string): Promise<AgentMessage | undefined>
  send(input: NewMessage, now?: Date): Promise<{message: AgentMessage; event: AgentEvent; redactions: number}>
  unreadFor(agent: string, where: {machine?: string | null; session?: string | null}, limit?: number): Promise<AgentMessage[]>
  markDelivered(ids: readonly string[], session: string | null, now?: Date): Promise<AgentEvent[]>
  claimUnread(
    agent: string,
    where: {machine?: string | null; session?: string | null},
    select: (unread: AgentMessage[]) => AgentMessage[],
    now?: Date,
  ): Promise<{shown: AgentMessage[]; events: AgentEvent[]; deferred: number}>
  ack(id: string, now?: Date): Promise<{message: AgentMessage; event?: AgentEvent} | undefined>
  list(
    agent: string,
    options?: {box?: 'in' | 'sent'; state?: MessageState | 'unacked' | 'all'; thread?: string; limit?: number; before?: number},
  ): Promise<AgentMessage[]>
  /** Events after `afterSeq`: how a stream on any daemon learns of a message sent through another. */
  eventsFor(agent: string, afterSeq: number, limit?: number): Promise<AgentEvent[]>
  lastEventSeq(): Promise<number>
}

export interface PresenceRepository {
  see(
    input: {
      agentId: string
      harness: string
      machineId?: string | null
      sessionKey?: string | null
      project?: string | null
      keyId?: string | null
      event: string
    },
    now?: Date,
  ): Promise<void>
  list(options?: {agentId?: string; limit?: number}, now?: number): Promise<Peer[]>
  agentOfSession(sessionKey: string): Promise<{agent: string; project: string | null} | undefined>
  sessionOf(agentId: string, sessionKey: string): Promise<{harness: string; machine: string | null} | undefined>
  isKnownAgent(agentId: string): Promise<boolean>
  projectsOf(agentId: string): Promise<string[]>
}

/** Fixed-window counters shared by every daemon on the backend (auth failures, pair claims, messages). */
export interface RateLimitRepository {
  /** Count one hit for `key` in its window; returns the count in the current window and when it ends. */
  hit(key: string, windowMs: number, now?: number): Promise<{count: number; resetAt: number}>
  /** The current window's count without counting (0 when none). */
  peek(key: string, windowMs: number, now?: number): Promise<{count: number; resetAt: number}>
}

export interface VectorRepository {
  readonly embedder: Embedder
  readonly spaceKey: string
  /** True once at least one vector exists in this space. */
  ready(): Promise<boolean>
  dimensions(): Promise<number | undefined>
  pending(limit: number, afterSeq?: number): Promise<PendingMemory[]>
  counts(): Promise<{indexed: number; pending: number}>
  store(items: Array<{memory: PendingMemory; vector: Float32Array}>): Promise<void>
  nearest(vector: Float32Array, agentId: string, k: number): Promise<VectorHit[]>
  /**
   * The backend keeps vectors in step with memories in the background (it knows which memories
   * changed); this is that work's state: counts, dimensions and the embedder's last failure.
   */
  status(): Promise<EmbeddingStatus>
  /** Embed everything still missing now, from the first memory on (`signet embed backfill`); stops early when `signal` aborts. */
  backfill(onProgress?: (progress: BackfillProgress) => void, signal?: AbortSignal): Promise<BackfillProgress>
}

/** Why writes are refused right now: the SQLite file deleted or replaced under the daemon, or the server unreachable. */
export interface StorageWriteProblem {
  code: 'deleted' | 'replaced' | 'unreachable'
  message: string
}

export interface StorageHealth {
  backend: StorageBackend
  ok: boolean
  /** Plain problems (`database_replaced`, `unreachable`, failed integrity lines). */
  problems: string[]
  schemaVersion: number
  latestSchemaVersion: number
  /** Backend facts doctor shows: journal mode and file size for SQLite, server version and pgvector for PostgreSQL. */
  details: Record<string, string | number | boolean | null>
}

/** Table-level copy for `signet storage migrate`: every backend exposes the same logical tables. */
export interface TableCopy {
  /**
   * Tables in dependency order, with the primary key that orders them for keyset paging: one
   * column, or several joined by commas (`agent_id,session_key`). Names and keys are the same on
   * every backend (COPIED_TABLES in sqlite/table-copy.ts).
   */
  tables(): Promise<Array<{name: string; key: string}>>
  /**
   * Rows after `after` (by key), at most `limit`, in key order — byte order for text keys
   * (`COLLATE "C"` on PostgreSQL) so both sides page and hash alike — as plain JSON-safe values
   * in one representation on every backend: integers for flags, ISO-8601 strings for times, JSON
   * text for lists and objects, the SQLite column names. For a composite key, `after` is the JSON
   * array of the last row's key values (`["default","sess-1"]`).
   */
  read(table: string, after: string | number | null, limit: number): Promise<Array<Record<string, unknown>>>
  /** Upsert rows by key (idempotent, so an interrupted copy can resume). */
  write(table: string, rows: Array<Record<string, unknown>>): Promise<void>
  /**
   * Delete the rows with these keys (`read`'s cursor form: the value, or a composite key's JSON
   * array); search postings go with them (triggers). `migrate --force` clears a target's own rows
   * with it before the target becomes a copy of the source. A vector left under a removed memory's
   * seq is not reused: vectors are kept per content hash, so a memory copied in under that seq is
   * embedded again.
   */
  remove(table: string, keys: Array<string | number>): Promise<void>
  count(table: string): Promise<number>
  /**
   * After a bulk copy into this store: refresh the query planner's statistics, so the first recalls
   * don't run on plans made for an empty table (PostgreSQL ANALYZE; SQLite PRAGMA optimize).
   */
  settle(): Promise<void>
}

export interface Storage {
  readonly backend: StorageBackend
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
  readonly rateLimits: RateLimitRepository
  /** Absent when embedding.provider is none, or the backend cannot hold vectors (PostgreSQL without pgvector). */
  readonly vectors?: VectorRepository
  readonly tables: TableCopy
  /** A counter that moves on every write (the dashboard's "anything changed?" poll). */
  changeCounter(): Promise<number>
  /**
   * Quick check for the 503 guard: undefined when writes are safe. Cheap enough for every write.
   * `code` is the kind of problem (SQLite: `deleted` or `replaced`, the file under the daemon);
   * `message` may name paths and goes only to callers allowed to see them.
   */
  writeProblem(): StorageWriteProblem | undefined
  /**
   * `deep`: read every page of the data (SQLite quick_check) — always (true), never (false, the
   * default) or when the store is small enough for that to be quick ('auto').
   */
  health(options?: {deep?: boolean | 'auto'}): Promise<StorageHealth>
  close(): Promise<void>
}
