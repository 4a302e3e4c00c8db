import type {SqliteDatabase} from './db.js'
import {type Memory, type MemoryRow, rowToMemory} from './memories.js'

export interface RecallQuery {
  query: string
  agentId: string
  limit: number
  /** Only memories of this project (plus global ones when includeGlobal is set). */
  project?: string
  includeGlobal?: boolean
  tags?: string[]
  type?: string
  since?: string
  until?: string
  /** Memory ids to leave out (e.g. already injected in this session). */
  excludeIds?: string[]
}

export type HitSource = 'keyword' | 'vector' | 'hybrid'

export interface RecallHit {
  memory: Memory
  /** 0..1, comparable across queries so callers can apply a threshold. */
  score: number
  source: HitSource
}

export interface RecallResult {
  hits: RecallHit[]
  method: 'bm25' | 'hybrid'
}

const MAX_QUERY_TERMS = 32

/**
 * Turn any user text into a safe FTS5 query: words only, each quoted, OR-ed.
 * Operators, quotes, column filters and NEAR in the input are treated as plain words.
 */
export function buildFtsQuery(text: string): string | undefined {
  const terms = new Set<string>()
  for (const match of text.toLowerCase().matchAll(/[\p{L}\p{N}]+/gu)) {
    terms.add(match[0])
    if (terms.size >= MAX_QUERY_TERMS) break
  }
  if (terms.size === 0) return undefined
  return [...terms].map((term) => `"${term}"`).join(' OR ')
}

/** BM25 is unbounded; squash it to 0..1 so a threshold means the same thing for every query. */
function normalizeBm25(raw: number): number {
  const x = Math.max(0, raw)
  return x / (x + 3)
}

const DAY_MS = 86_400_000

/** Lexical recall over FTS5 with filters; a vector source can be fused in later (SPEC §11). */
export class MemorySearch {
  constructor(private readonly db: SqliteDatabase) {}

  recall(query: RecallQuery): RecallResult {
    const match = buildFtsQuery(query.query)
    if (!match) return {hits: [], method: 'bm25'}
    const where = ['memories_fts MATCH @match', 'm.deleted_at IS NULL', 'm.agent_id = @agentId']
    const params: Record<string, unknown> = {match, agentId: query.agentId}
    if (query.project !== undefined) {
      where.push(query.includeGlobal ? '(m.project = @project OR m.project IS NULL)' : 'm.project = @project')
      params.project = query.project
    }
    if (query.type !== undefined) {
      where.push('m.type = @type')
      params.type = query.type
    }
    if (query.since !== undefined) {
      where.push('m.created_at >= @since')
      params.since = query.since
    }
    if (query.until !== undefined) {
      where.push('m.created_at <= @until')
      params.until = query.until
    }
    for (const [index, tag] of (query.tags ?? []).entries()) {
      where.push(`EXISTS (SELECT 1 FROM json_each(m.tags) WHERE value = @tag${index})`)
      params[`tag${index}`] = tag.toLowerCase()
    }
    const pool = Math.max(query.limit * 4, 40)
    params.pool = pool
    const rows = this.db
      .prepare(`SELECT m.*, -bm25(memories_fts, 1.0, 0.3) AS relevance
        FROM memories_fts JOIN memories m ON m.seq = memories_fts.rowid
        WHERE ${where.join(' AND ')}
        ORDER BY bm25(memories_fts, 1.0, 0.3) LIMIT @pool`)
      .all(params) as Array<MemoryRow & {relevance: number}>
    const excluded = new Set(query.excludeIds ?? [])
    const now = Date.now()
    const hits = rows
      .filter((row) => !excluded.has(row.id))
      .map((row) => {
        const lexical = normalizeBm25(row.relevance)
        const ageDays = Math.max(0, (now - Date.parse(row.created_at)) / DAY_MS)
        const recency = 1 / (1 + ageDays / 30)
        // Relevance dominates; importance and recency only break near-ties.
        const score = Math.min(1, lexical * 0.9 + row.importance * 0.06 + recency * 0.04)
        return {memory: rowToMemory(row), score, source: 'keyword' as const}
      })
      .sort((a, b) => b.score - a.score)
      .slice(0, query.limit)
    return {hits, method: 'bm25'}
  }
}
