import {contentHash} from '../content-hash.js'
import {
  type ListMemoriesQuery,
  type Memory,
  type MemoryPatch,
  type MemoryRow,
  type PatchOutcome,
  type ProjectFilter,
  type RememberInput,
  rowToMemory,
} from '../memories.js'
import {contextMemoryPool, type ContextMemoryQuery, scoreContextMemories, type SessionLedgerRow, workingMemoryMarkdown} from '../memory-md.js'
import {applyMemoryPatch, newMemoryRow, type NewMemoryRow, redactMemoryInput} from '../memory-records.js'
import type {MemoryRepository} from '../storage.js'
import {execute, inTransaction, isUniqueViolation, Params, pgSafe, type Pool, query, queryOne, type Queryable} from './client.js'
import {MEMORY_COLUMNS, memorySearchValues, memorySearchVector, projectConditionPg} from './search-index.js'

const INSERT_COLUMNS = [
  'id',
  'content',
  'content_hash',
  'type',
  'tags',
  'importance',
  'pinned',
  'agent_id',
  'project',
  'source',
  'harness',
  'key_id',
  'machine_id',
  'session_key',
  'idempotency_key',
  'created_at',
  'updated_at',
] as const

/** Rows per INSERT of an import: one statement's parameters stay far below PostgreSQL's limits. */
const IMPORT_BATCH = 500

/** Memory rows on PostgreSQL: the same rules as the SQLite MemoryStore (memories.ts), for several daemons at once. */
export class PostgresMemories implements MemoryRepository {
  constructor(private readonly pool: Pool) {}

  /**
   * Store a memory, or return the live one with the same normalised content (or idempotency key) for
   * this agent and project. Without SQLite's single writer, two daemons may race: the insert skips
   * on any unique conflict (waiting for the other transaction to settle) and the lookups run again.
   */
  async remember(raw: RememberInput): Promise<{memory: Memory; deduped: boolean}> {
    const input = redactMemoryInput(raw)
    const project = input.project || ''
    const hash = contentHash(input.content)
    for (let attempt = 0; ; attempt++) {
      if (input.idempotencyKey) {
        const replay = await queryOne<MemoryRow>(
          this.pool,
          `SELECT ${MEMORY_COLUMNS} FROM memories WHERE agent_id = $1 AND coalesce(project, '') = $2 AND idempotency_key = $3`,
          [input.agentId, project, input.idempotencyKey],
        )
        if (replay) return {memory: rowToMemory(replay), deduped: true}
      }
      const existing = await this.liveByHash(this.pool, input.agentId, project, hash)
      if (existing) return {memory: rowToMemory(existing), deduped: true}
      const row = newMemoryRow(input, hash, new Date().toISOString())
      const inserted = await queryOne<MemoryRow>(this.pool, `${insertSql(1)} ON CONFLICT DO NOTHING RETURNING ${MEMORY_COLUMNS}`, insertValues([row]))
      if (inserted) return {memory: rowToMemory(inserted), deduped: false}
      // A concurrent write took the hash or the key between the lookups and the insert: find it now.
      if (attempt >= 3) throw new Error('memory insert kept conflicting with concurrent writes')
    }
  }

  /** All rows in one transaction, with the same per-agent-and-project dedup as remember (within the batch too). */
  async importMany(rawInputs: RememberInput[]): Promise<{imported: number; deduped: number}> {
    if (rawInputs.length === 0) return {imported: 0, deduped: 0}
    const now = new Date().toISOString()
    const rows = rawInputs.map(redactMemoryInput).map((input) => newMemoryRow(input, contentHash(input.content), now))
    return inTransaction(this.pool, async (client) => {
      let imported = 0
      for (let start = 0; start < rows.length; start += IMPORT_BATCH) {
        const batch = rows.slice(start, start + IMPORT_BATCH)
        imported += (await query(client, `${insertSql(batch.length)} ON CONFLICT DO NOTHING RETURNING 1`, insertValues(batch))).length
      }
      return {imported, deduped: rows.length - imported}
    })
  }

  /** A live memory, only if it belongs to the agent (another agent's id looks exactly like a missing one). */
  async get(id: string, agentId: string): Promise<Memory | undefined> {
    const row = await queryOne<MemoryRow>(this.pool, `SELECT ${MEMORY_COLUMNS} FROM memories WHERE id = $1 AND deleted_at IS NULL`, [id])
    return row && row.agent_id === agentId ? rowToMemory(row) : undefined
  }

  async list(query_: ListMemoriesQuery): Promise<{memories: Memory[]; total: number; byAgent: Record<string, number>}> {
    const params = new Params()
    const where = ['deleted_at IS NULL']
    if (query_.agentId !== undefined) where.push(`agent_id = ${params.add(query_.agentId)}`)
    const inProjects = projectConditionPg(query_, 'project', params)
    if (inProjects) where.push(inProjects)
    if (query_.type !== undefined) where.push(`type = ${params.add(query_.type)}`)
    for (const tag of query_.tags ?? []) where.push(`(tags::jsonb) ? ${params.add(tag)}`)
    const clause = where.join(' AND ')
    const counts = await query<{agent_id: string; n: number}>(
      this.pool,
      `SELECT agent_id, count(*) AS n FROM memories WHERE ${clause} GROUP BY agent_id ORDER BY agent_id`,
      params.values,
    )
    const limit = params.add(query_.limit)
    const offset = params.add(query_.offset)
    const rows = await query<MemoryRow>(
      this.pool,
      `SELECT ${MEMORY_COLUMNS} FROM memories WHERE ${clause} ORDER BY created_at DESC, seq DESC LIMIT ${limit} OFFSET ${offset}`,
      params.values,
    )
    const byAgent = Object.fromEntries(counts.map((row) => [row.agent_id, row.n]))
    return {memories: rows.map(rowToMemory), total: counts.reduce((sum, row) => sum + row.n, 0), byAgent}
  }

  async update(id: string, agentId: string, patch: MemoryPatch): Promise<PatchOutcome> {
    try {
      return await inTransaction(this.pool, async (client): Promise<PatchOutcome> => {
        const row = await queryOne<MemoryRow>(client, `SELECT ${MEMORY_COLUMNS} FROM memories WHERE id = $1 AND deleted_at IS NULL FOR UPDATE`, [id])
        if (!row || row.agent_id !== agentId) return {status: 'not_found'}
        const {next, movesIdentity} = applyMemoryPatch(row, patch)
        if (movesIdentity) {
          // The same content may live once per agent and project: a new text or a move must not collide.
          const clash = await this.liveByHash(client, agentId, next.project ?? '', next.content_hash)
          if (clash && clash.id !== id) return {status: 'duplicate', existingId: clash.id}
        }
        next.updated_at = new Date().toISOString()
        const search = memorySearchValues(next.content, next.tags)
        await execute(
          client,
          `UPDATE memories SET content = $1, content_hash = $2, type = $3, tags = $4, importance = $5, pinned = $6, project = $7, updated_at = $8,
             search_tsv = ${memorySearchVector('$9', '$10')}, search_tokens = $11 WHERE seq = $12`,
          [
            next.content,
            next.content_hash,
            next.type,
            next.tags,
            next.importance,
            next.pinned,
            next.project,
            next.updated_at,
            search.content,
            search.tags,
            search.tokens,
            next.seq,
          ],
        )
        return {status: 'updated', memory: rowToMemory(next)}
      })
    } catch (error) {
      // Another daemon stored the same content in that project after the clash check.
      if (!isUniqueViolation(error)) throw error
      const current = await queryOne<MemoryRow>(this.pool, `SELECT ${MEMORY_COLUMNS} FROM memories WHERE id = $1 AND deleted_at IS NULL`, [id])
      if (!current || current.agent_id !== agentId) return {status: 'not_found'}
      const {next} = applyMemoryPatch(current, patch)
      const clash = await this.liveByHash(this.pool, agentId, next.project ?? '', next.content_hash)
      if (clash && clash.id !== id) return {status: 'duplicate', existingId: clash.id}
      throw error
    }
  }

  /** Soft delete: the row stays for audit and recovery but disappears from every read. */
  async forget(id: string, agentId: string): Promise<boolean> {
    const now = new Date().toISOString()
    return (
      (await execute(this.pool, 'UPDATE memories SET deleted_at = $1, updated_at = $1 WHERE id = $2 AND agent_id = $3 AND deleted_at IS NULL', [
        now,
        id,
        agentId,
      ])) === 1
    )
  }

  async count(filter: {agentId?: string} & ProjectFilter = {}): Promise<number> {
    const params = new Params()
    const where = ['deleted_at IS NULL']
    if (filter.agentId !== undefined) where.push(`agent_id = ${params.add(filter.agentId)}`)
    const inProjects = projectConditionPg(filter, 'project', params)
    if (inProjects) where.push(inProjects)
    const row = await queryOne<{n: number}>(this.pool, `SELECT count(*) AS n FROM memories WHERE ${where.join(' AND ')}`, params.values)
    return row?.n ?? 0
  }

  async contextMemories(context: ContextMemoryQuery): Promise<Array<{memory: Memory; score: number}>> {
    const params = new Params()
    const agent = params.add(context.agentId)
    const scope = context.project === undefined ? '' : `AND (project = ${params.add(context.project)} OR project IS NULL)`
    const pool = params.add(contextMemoryPool(context))
    const rows = await query<MemoryRow>(
      this.pool,
      `SELECT ${MEMORY_COLUMNS} FROM memories WHERE agent_id = ${agent} AND deleted_at IS NULL ${scope}
        ORDER BY pinned DESC, importance DESC, created_at DESC LIMIT ${pool}`,
      params.values,
    )
    return scoreContextMemories(rows, context)
  }

  async workingMemory(agentId: string, options: {project?: string; now?: Date} = {}): Promise<string> {
    const now = options.now ?? new Date()
    const values = options.project === undefined ? [agentId] : [agentId, options.project]
    const memoryScope = options.project === undefined ? '' : 'AND (project = $2 OR project IS NULL)'
    const pinned = await query<MemoryRow>(
      this.pool,
      `SELECT ${MEMORY_COLUMNS} FROM memories WHERE agent_id = $1 AND deleted_at IS NULL AND pinned = 1 ${memoryScope}
        ORDER BY importance DESC, created_at DESC LIMIT 20`,
      values,
    )
    const durable = await query<MemoryRow>(
      this.pool,
      `SELECT ${MEMORY_COLUMNS} FROM memories WHERE agent_id = $1 AND deleted_at IS NULL AND pinned = 0 ${memoryScope}
        AND (type IN ('decision', 'preference') OR importance >= 0.75) ORDER BY importance DESC, created_at DESC LIMIT 30`,
      values,
    )
    const sessions = await query<SessionLedgerRow>(
      this.pool,
      `SELECT s.session_key, s.harness, s.project, s.started_at, s.ended_at,
          (SELECT count(*) FROM memories m WHERE m.agent_id = s.agent_id AND m.session_key = s.session_key AND m.deleted_at IS NULL) AS saved
        FROM sessions s WHERE s.agent_id = $1 ${options.project === undefined ? '' : 'AND s.project = $2'}
        ORDER BY s.started_at DESC, s.session_key DESC LIMIT 10`,
      values,
    )
    return workingMemoryMarkdown(agentId, {pinned, durable, sessions}, now)
  }

  private async liveByHash(db: Queryable, agentId: string, project: string, hash: string): Promise<MemoryRow | undefined> {
    return queryOne<MemoryRow>(
      db,
      `SELECT ${MEMORY_COLUMNS} FROM memories WHERE agent_id = $1 AND coalesce(project, '') = $2 AND content_hash = $3 AND deleted_at IS NULL`,
      [agentId, project, hash],
    )
  }
}

/** `INSERT … VALUES (…), (…)` for `count` rows, with the search vector computed from words bound after the columns. */
function insertSql(count: number): string {
  const width = INSERT_COLUMNS.length + 3
  const tuples: string[] = []
  for (let row = 0; row < count; row++) {
    const base = row * width
    const columns = INSERT_COLUMNS.map((_, index) => `$${base + index + 1}`)
    const at = base + INSERT_COLUMNS.length
    tuples.push(`(${columns.join(', ')}, ${memorySearchVector(`$${at + 1}`, `$${at + 2}`)}, $${at + 3})`)
  }
  return `INSERT INTO memories (${INSERT_COLUMNS.join(', ')}, search_tsv, search_tokens) VALUES ${tuples.join(', ')}`
}

function insertValues(rows: NewMemoryRow[]): unknown[] {
  const values: unknown[] = []
  for (const row of rows) {
    for (const column of INSERT_COLUMNS) values.push(row[column])
    const search = memorySearchValues(row.content, row.tags)
    values.push(search.content, search.tags, search.tokens)
  }
  return values.map(pgSafe)
}
