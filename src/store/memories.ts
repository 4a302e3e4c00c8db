import {contentHash} from './content-hash.js'
import type {SqliteDatabase} from './db.js'
import {applyMemoryPatch, newMemoryRow, normalizeTags, redactMemoryInput} from './memory-records.js'

export {normalizeTags}

/** Which projects a read covers. No field set: every project. */
export interface ProjectFilter {
  /** Exactly this project (plus rows without a project when includeGlobal). */
  project?: string
  /** Any of these projects (plus rows without a project when includeGlobal). */
  projects?: readonly string[]
  includeGlobal?: boolean
}

/**
 * The SQL condition for a ProjectFilter on `column` (undefined when it covers everything). Values go
 * into `params` under names starting with `prefix`.
 */
export function projectCondition(filter: ProjectFilter, column: string, params: Record<string, unknown>, prefix = 'scopeProject'): string | undefined {
  const orGlobal = filter.includeGlobal ? ` OR ${column} IS NULL` : ''
  if (filter.project !== undefined) {
    params[prefix] = filter.project
    return `(${column} = @${prefix}${orGlobal})`
  }
  if (filter.projects !== undefined) {
    params[`${prefix}s`] = JSON.stringify(filter.projects)
    return `(${column} IN (SELECT value FROM json_each(@${prefix}s))${orGlobal})`
  }
  return undefined
}

export interface Provenance {
  harness?: string | null
  keyId?: string | null
  machineId?: string | null
  sessionKey?: string | null
}

export interface RememberInput extends Provenance {
  content: string
  agentId: string
  type?: string
  tags?: string[]
  importance?: number
  pinned?: boolean
  project?: string | null
  source?: string
  idempotencyKey?: string | null
  /** ISO timestamp; defaults to now. Lets imports keep their original dates. */
  createdAt?: string
}

export interface Memory {
  id: string
  content: string
  type: string
  tags: string[]
  importance: number
  pinned: boolean
  agentId: string
  project: string | null
  source: string
  harness: string | null
  keyId: string | null
  machineId: string | null
  sessionKey: string | null
  createdAt: string
  updatedAt: string
}

export interface MemoryPatch {
  content?: string
  type?: string
  tags?: string[]
  importance?: number
  pinned?: boolean
  project?: string | null
}

export interface ListMemoriesQuery extends ProjectFilter {
  /** Undefined lists every agent's memories (the owner's whole-store export). */
  agentId: string | undefined
  type?: string
  tags?: string[]
  limit: number
  offset: number
}

export interface MemoryRow {
  seq: number
  id: string
  content: string
  content_hash: string
  type: string
  tags: string
  importance: number
  pinned: number
  agent_id: string
  project: string | null
  source: string
  harness: string | null
  key_id: string | null
  machine_id: string | null
  session_key: string | null
  idempotency_key: string | null
  created_at: string
  updated_at: string
  deleted_at: string | null
}

export function rowToMemory(row: MemoryRow): Memory {
  return {
    id: row.id,
    content: row.content,
    type: row.type,
    tags: JSON.parse(row.tags) as string[],
    importance: row.importance,
    pinned: row.pinned === 1,
    agentId: row.agent_id,
    project: row.project,
    source: row.source,
    harness: row.harness,
    keyId: row.key_id,
    machineId: row.machine_id,
    sessionKey: row.session_key,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }
}

export type PatchOutcome = {status: 'updated'; memory: Memory} | {status: 'not_found'} | {status: 'duplicate'; existingId: string}

/** Memory rows: the only code that writes the memories table. */
/** Row triggers the bulk path sets aside, doing their work once for the whole batch (see importMany). */
const BULK_INSERT_TRIGGERS = ['memories_fts_insert', 'memory_counts_insert']

export class MemoryStore {
  private readonly insertSql = `
      INSERT INTO memories (id, content, content_hash, type, tags, importance, pinned, agent_id, project, source,
        harness, key_id, machine_id, session_key, idempotency_key, created_at, updated_at)
      VALUES (@id, @content, @content_hash, @type, @tags, @importance, @pinned, @agent_id, @project, @source,
        @harness, @key_id, @machine_id, @session_key, @idempotency_key, @created_at, @updated_at)`
  private readonly insertStatement
  private readonly byHashStatement
  private readonly byIdempotencyStatement
  private readonly byIdStatement
  private readonly countStatement
  private readonly countAgentStatement
  private readonly forgetStatement
  /** Made once: better-sqlite3 builds a wrapper per db.transaction() call, and remember is the write hot path. */
  private readonly rememberTransaction

  constructor(private readonly db: SqliteDatabase) {
    this.insertStatement = db.prepare(this.insertSql)
    // Dedup and idempotency are per (agent, project): identical content or a reused idempotency key in
    // one project never touches another project's row. `ifnull(project, '')` matches the unique
    // indexes (a project name is never empty), so these lookups use them.
    this.byHashStatement = db.prepare("SELECT * FROM memories WHERE agent_id = ? AND ifnull(project, '') = ? AND content_hash = ? AND deleted_at IS NULL")
    this.byIdempotencyStatement = db.prepare("SELECT * FROM memories WHERE agent_id = ? AND ifnull(project, '') = ? AND idempotency_key = ?")
    this.byIdStatement = db.prepare('SELECT * FROM memories WHERE id = ? AND deleted_at IS NULL')
    this.countStatement = db.prepare('SELECT coalesce(sum(live), 0) AS n FROM memory_counts')
    this.countAgentStatement = db.prepare('SELECT coalesce(sum(live), 0) AS n FROM memory_counts WHERE agent_id = ?')
    this.forgetStatement = db.prepare('UPDATE memories SET deleted_at = ?, updated_at = ? WHERE id = ? AND agent_id = ? AND deleted_at IS NULL')
    this.rememberTransaction = db.transaction((input: RememberInput): {memory: Memory; deduped: boolean} => {
      const project = input.project || ''
      if (input.idempotencyKey) {
        const replay = this.byIdempotencyStatement.get(input.agentId, project, input.idempotencyKey) as MemoryRow | undefined
        if (replay) return {memory: rowToMemory(replay), deduped: true}
      }
      const hash = contentHash(input.content)
      const existing = this.byHashStatement.get(input.agentId, project, hash) as MemoryRow | undefined
      if (existing) return {memory: rowToMemory(existing), deduped: true}
      const row = newMemoryRow(input, hash, new Date().toISOString())
      this.insertStatement.run(row)
      return {memory: rowToMemory({...row, seq: 0, deleted_at: null}), deduped: false}
    })
  }

  /**
   * Store a memory, or return the live one with the same normalised content for this agent and
   * project. An idempotency key replays only within the same agent and project: the same key sent
   * for another project is a new write there (never that project's row, whose existence stays hidden).
   */
  remember(raw: RememberInput): {memory: Memory; deduped: boolean} {
    return this.rememberTransaction.immediate(redactMemoryInput(raw))
  }

  /**
   * The bulk path (`signet import`, `POST /api/memory/import`): all rows in one transaction, with the
   * same per-agent dedup as remember (the live-hash and idempotency indexes skip repeats, within the
   * batch too). FTS5 costs ~40 µs per row when its trigger fires row by row, so the insert triggers
   * (FTS5 and the live count) are set aside inside the transaction and the new rows are indexed and
   * counted with one INSERT … SELECT each; the write lock is held throughout, so no other write can
   * slip past them, and a failure rolls the triggers back with everything else.
   */
  importMany(rawInputs: RememberInput[]): {imported: number; deduped: number} {
    if (rawInputs.length === 0) return {imported: 0, deduped: 0}
    const inputs = rawInputs.map(redactMemoryInput)
    return this.db
      .transaction(() => {
        const triggers = BULK_INSERT_TRIGGERS.map((name) => {
          const trigger = this.db.prepare("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?").get(name) as {sql: string} | undefined
          if (!trigger) throw new Error(`${name} trigger is missing: the database schema is damaged`)
          return trigger.sql
        })
        const before = (this.db.prepare('SELECT coalesce(max(seq), 0) AS seq FROM memories').get() as {seq: number}).seq
        for (const name of BULK_INSERT_TRIGGERS) this.db.exec(`DROP TRIGGER ${name}`)
        const insert = this.db.prepare(this.insertSql.replace('INSERT INTO', 'INSERT OR IGNORE INTO'))
        const now = new Date().toISOString()
        let imported = 0
        for (const input of inputs) imported += insert.run(newMemoryRow(input, contentHash(input.content), now)).changes
        this.db.prepare('INSERT INTO memories_fts(rowid, content, tags) SELECT seq, content, tags FROM memories WHERE seq > ?').run(before)
        this.db
          .prepare(
            `INSERT INTO memory_counts (agent_id, live) SELECT agent_id, count(*) FROM memories WHERE seq > ? AND deleted_at IS NULL GROUP BY agent_id
             ON CONFLICT (agent_id) DO UPDATE SET live = live + excluded.live`,
          )
          .run(before)
        for (const sql of triggers) this.db.exec(sql)
        return {imported, deduped: inputs.length - imported}
      })
      .immediate()
  }

  /** A live memory, only if it belongs to the agent (another agent's id looks exactly like a missing one). */
  get(id: string, agentId: string): Memory | undefined {
    const row = this.byIdStatement.get(id) as MemoryRow | undefined
    return row && row.agent_id === agentId ? rowToMemory(row) : undefined
  }

  list(query: ListMemoriesQuery): {memories: Memory[]; total: number; byAgent: Record<string, number>} {
    const where = ['deleted_at IS NULL']
    const params: Record<string, unknown> = {limit: query.limit, offset: query.offset}
    if (query.agentId !== undefined) {
      where.push('agent_id = @agentId')
      params.agentId = query.agentId
    }
    const inProjects = projectCondition(query, 'project', params)
    if (inProjects) where.push(inProjects)
    if (query.type !== undefined) {
      where.push('type = @type')
      params.type = query.type
    }
    for (const [index, tag] of (query.tags ?? []).entries()) {
      where.push(`EXISTS (SELECT 1 FROM json_each(memories.tags) WHERE value = @tag${index})`)
      params[`tag${index}`] = tag
    }
    const clause = where.join(' AND ')
    const counts = this.db.prepare(`SELECT agent_id, count(*) AS n FROM memories WHERE ${clause} GROUP BY agent_id ORDER BY agent_id`).all(params) as Array<{
      agent_id: string
      n: number
    }>
    const rows = this.db
      .prepare(`SELECT * FROM memories WHERE ${clause} ORDER BY created_at DESC, seq DESC LIMIT @limit OFFSET @offset`)
      .all(params) as MemoryRow[]
    const byAgent = Object.fromEntries(counts.map((row) => [row.agent_id, row.n]))
    return {memories: rows.map(rowToMemory), total: counts.reduce((sum, row) => sum + row.n, 0), byAgent}
  }

  update(id: string, agentId: string, patch: MemoryPatch): PatchOutcome {
    return this.db
      .transaction((): PatchOutcome => {
        const row = this.byIdStatement.get(id) as MemoryRow | undefined
        if (!row || row.agent_id !== agentId) return {status: 'not_found'}
        const {next, movesIdentity} = applyMemoryPatch(row, patch)
        if (movesIdentity) {
          // The same content may live once per agent and project: a new text or a move must not collide.
          const clash = this.byHashStatement.get(agentId, next.project ?? '', next.content_hash) as MemoryRow | undefined
          if (clash && clash.id !== id) return {status: 'duplicate', existingId: clash.id}
        }
        next.updated_at = new Date().toISOString()
        this.db
          .prepare(
            `UPDATE memories SET content = @content, content_hash = @content_hash, type = @type, tags = @tags,
          importance = @importance, pinned = @pinned, project = @project, updated_at = @updated_at WHERE seq = @seq`,
          )
          .run(next)
        return {status: 'updated', memory: rowToMemory(next)}
      })
      .immediate()
  }

  /** Soft delete: the row stays for audit and recovery but disappears from every read. */
  forget(id: string, agentId: string): boolean {
    const now = new Date().toISOString()
    return this.forgetStatement.run(now, now, id, agentId).changes === 1
  }

  /** Live memories; narrowed to one agent and/or some projects for a scoped caller. */
  count(filter: {agentId?: string} & ProjectFilter = {}): number {
    const params: Record<string, unknown> = {}
    const where = ['deleted_at IS NULL']
    if (filter.agentId !== undefined) {
      where.push('agent_id = @agentId')
      params.agentId = filter.agentId
    }
    const inProjects = projectCondition(filter, 'project', params)
    if (inProjects) where.push(inProjects)
    // Without a project filter the count kept by triggers answers (migration 10 in ./db.ts).
    if (where.length === 1) return (this.countStatement.get() as {n: number}).n
    if (!inProjects) return (this.countAgentStatement.get(filter.agentId) as {n: number}).n
    return (this.db.prepare(`SELECT count(*) AS n FROM memories WHERE ${where.join(' AND ')}`).get(params) as {n: number}).n
  }
}
