import type {Statement} from 'better-sqlite3'

import type {SqliteDatabase} from '../db.js'
import {type MemoryRow, projectCondition} from '../memories.js'
import {type PlannedTerm, planMatch, planProximityQuery} from '../query-terms.js'
import type {NeighbourRow, RecallQuery} from '../search.js'
import type {LexicalIndex} from '../storage.js'

/**
 * Rows by a JSON list of seqs, looked up by rowid. Written as a CROSS JOIN so SQLite cannot pick the
 * agent_id index instead: with `seq IN (…) AND agent_id = ?` it scanned every row of the agent
 * (8x slower at 10k memories, growing with the store).
 */
const BY_SEQS = 'json_each(@seqs) AS wanted CROSS JOIN memories m ON m.seq = wanted.value'

interface Filter {
  sql: string
  params: Record<string, unknown>
}

/**
 * SQLite's half of recall: FTS5 (porter-stemmed `memories_fts`) with bm25 weighting content over
 * tags (1.0 / 0.3), NEAR for proximity, and json_each for reading rows by seq. The ranking that
 * uses it is the shared RecallRanker (../recall-ranker.ts).
 */
export class SqliteLexicalIndex implements LexicalIndex {
  /** Filters make the SQL vary; the few shapes in use are prepared once each. */
  private readonly statements = new Map<string, Statement<unknown[]>>()

  constructor(private readonly db: SqliteDatabase) {}

  /** Whether any memory holds each word (as FTS5 indexes it, stemmed). */
  async storedWords(words: string[]): Promise<Set<string>> {
    const probe = this.prepare('SELECT 1 FROM memories_fts WHERE memories_fts MATCH @match LIMIT 1')
    return new Set(words.filter((word) => probe.get({match: `"${word}"`}) !== undefined))
  }

  /** bm25 ranking in FTS5 alone, no filters. */
  async ranked(plan: PlannedTerm[], limit: number): Promise<Array<{seq: number; relevance: number}>> {
    const match = planMatch(plan)
    return match ? this.rankedBy(match, limit) : []
  }

  async rankedWithin(plan: PlannedTerm[], query: RecallQuery, limit: number): Promise<Array<{seq: number; relevance: number}>> {
    const match = planMatch(plan)
    if (!match) return []
    const filter = buildFilter(query)
    return this.prepare(
      `SELECT m.seq AS seq, -bm25(memories_fts, 1.0, 0.3) AS relevance
       FROM memories_fts JOIN memories m ON m.seq = memories_fts.rowid
       WHERE memories_fts MATCH @match AND ${filter.sql}
       ORDER BY bm25(memories_fts, 1.0, 0.3) LIMIT ${Math.trunc(limit)}`,
    ).all({...filter.params, match}) as Array<{seq: number; relevance: number}>
  }

  async proximity(plan: PlannedTerm[], window: number, maxTerms: number, limit: number): Promise<Array<{seq: number; relevance: number}>> {
    const near = planProximityQuery(plan, window, maxTerms)
    return near ? this.rankedBy(near, limit) : []
  }

  async passing(seqs: number[], query: RecallQuery): Promise<Set<number>> {
    if (seqs.length === 0) return new Set()
    const filter = buildFilter(query)
    const rows = this.prepare(`SELECT m.seq AS seq FROM ${BY_SEQS} WHERE ${filter.sql}`).all({...filter.params, seqs: JSON.stringify(seqs)}) as Array<{
      seq: number
    }>
    return new Set(rows.map((row) => row.seq))
  }

  async neighbours(seqs: number[], query: RecallQuery): Promise<NeighbourRow[]> {
    if (seqs.length === 0) return []
    const filter = buildFilter(query)
    return this.prepare(
      `SELECT m.seq AS seq, m.session_key AS session_key, m.created_at AS created_at FROM ${BY_SEQS}
           WHERE ${filter.sql}`,
    ).all({...filter.params, seqs: JSON.stringify(seqs)}) as NeighbourRow[]
  }

  async texts(seqs: number[]): Promise<Map<number, string>> {
    const rows = this.prepare('SELECT seq, content, tags FROM memories WHERE seq IN (SELECT value FROM json_each(?))').all(JSON.stringify(seqs)) as Array<{
      seq: number
      content: string
      tags: string
    }>
    return new Map(rows.map((row) => [row.seq, `${row.content} ${row.tags}`]))
  }

  async rows(seqs: number[]): Promise<Map<number, MemoryRow>> {
    const rows = this.prepare('SELECT * FROM memories WHERE seq IN (SELECT value FROM json_each(?))').all(JSON.stringify(seqs)) as MemoryRow[]
    return new Map(rows.map((row) => [row.seq, row]))
  }

  private rankedBy(match: string, limit: number): Array<{seq: number; relevance: number}> {
    return this.prepare(
      `SELECT rowid AS seq, -bm25(memories_fts, 1.0, 0.3) AS relevance FROM memories_fts
       WHERE memories_fts MATCH @match ORDER BY bm25(memories_fts, 1.0, 0.3) LIMIT @limit`,
    ).all({match, limit}) as Array<{seq: number; relevance: number}>
  }

  private prepare(sql: string) {
    let statement = this.statements.get(sql)
    if (!statement) {
      statement = this.db.prepare(sql)
      if (this.statements.size > 256) this.statements.clear()
      this.statements.set(sql, statement)
    }
    return statement
  }
}

function buildFilter(query: RecallQuery): Filter {
  const where = ['m.deleted_at IS NULL', 'm.agent_id = @agentId']
  const params: Record<string, unknown> = {agentId: query.agentId}
  const inProjects = projectCondition(query, 'm.project', params)
  if (inProjects) where.push(inProjects)
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
  if (query.excludeIds && query.excludeIds.length > 0) {
    where.push('m.id NOT IN (SELECT value FROM json_each(@excludeIds))')
    params.excludeIds = JSON.stringify(query.excludeIds)
  }
  return {sql: where.join(' AND '), params}
}
