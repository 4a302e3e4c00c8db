import type {MemoryRow} from '../memories.js'
import {type PlannedTerm, planForms, planProximityPairs} from '../query-terms.js'
import type {NeighbourRow, RecallQuery} from '../search.js'
import type {LexicalIndex} from '../storage.js'
import {bm25Idf, bm25Sql, bm25Term, normaliseForm} from './bm25.js'
import {Params, type Pool, query} from './client.js'
import {SEARCH_CONFIG} from './migrations.js'
import {MEMORY_COLUMNS, projectConditionPg} from './search-index.js'

/** N and avgdl over every indexed memory (all agents, soft-deleted too: FTS5's index holds those as well). */
export const MEMORY_SEARCH_STATS = `SELECT greatest(coalesce(sum(docs), 0), 1)::float8 AS n,
  greatest(coalesce(sum(tokens), 0)::float8 / greatest(coalesce(sum(docs), 0), 1), 1e-6) AS avgdl FROM memory_search_stats`

/** Weight of a tags position next to a content one (FTS5: bm25(memories_fts, 1.0, 0.3)). */
const TAGS_WEIGHT = 0.3

/**
 * The memories' text index on PostgreSQL: a tsvector per memory (GIN-indexed) matched with OR-ed
 * forms, ranked by FTS5-equivalent BM25 (bm25.ts). The shared recall ranker makes every quality
 * decision; this only matches words and reads rows.
 */
export class PostgresLexicalIndex implements LexicalIndex {
  constructor(private readonly pool: Pool) {}

  async storedWords(words: string[]): Promise<Set<string>> {
    const wanted = new Map<string, string[]>()
    for (const word of words) {
      const form = normaliseForm([word])
      if (!form || form.length !== 1) continue
      wanted.set(form[0], [...(wanted.get(form[0]) ?? []), word])
    }
    if (wanted.size === 0) return new Set()
    const rows = await query<{word: string}>(
      this.pool,
      `SELECT w.word FROM unnest($1::text[]) AS w(word)
        WHERE EXISTS (SELECT 1 FROM memories m WHERE m.search_tsv @@ to_tsquery('${SEARCH_CONFIG}', w.word))`,
      [[...wanted.keys()]],
    )
    return new Set(rows.flatMap((row) => wanted.get(row.word) ?? []))
  }

  async ranked(plan: PlannedTerm[], limit: number): Promise<Array<{seq: number; relevance: number}>> {
    return this.bm25(plan, limit)
  }

  async rankedWithin(plan: PlannedTerm[], recall: RecallQuery, limit: number): Promise<Array<{seq: number; relevance: number}>> {
    return this.bm25(plan, limit, recall)
  }

  /**
   * FTS5's `NEAR("a" "b", window)` for each pair planProximityPairs gives, OR-ed, scored by bm25:
   * per pair, each word's occurrences within `window` words of the other (same column) count as
   * its frequency, with the word's IDF over all rows.
   */
  async proximity(plan: PlannedTerm[], window: number, maxTerms: number, limit: number): Promise<Array<{seq: number; relevance: number}>> {
    const pairs: Array<[string, string]> = []
    for (const [first, second] of planProximityPairs(plan, maxTerms)) {
      const a = normaliseForm([first])
      const b = normaliseForm([second])
      if (a?.length === 1 && b?.length === 1) pairs.push([a[0], b[0]])
    }
    if (pairs.length === 0) return []
    const words = [...new Set(pairs.flat())]
    const match = pairs.map(([a, b]) => `(${a} & ${b})`).join(' | ')
    const [positions, frequencies, [stats]] = await Promise.all([
      query<{seq: number; tokens: number; word: string; positions: number[]; weights: string[]}>(
        this.pool,
        `SELECT m.seq, m.search_tokens AS tokens, q.word, u.positions, u.weights
          FROM memories m
          CROSS JOIN LATERAL unnest(m.search_tsv) AS u
          JOIN (SELECT w.word, l.lexeme FROM unnest($1::text[]) AS w(word) CROSS JOIN LATERAL unnest(to_tsvector('${SEARCH_CONFIG}', w.word)) AS l) AS q
            ON q.lexeme = u.lexeme
          WHERE m.search_tsv @@ to_tsquery('${SEARCH_CONFIG}', $2)`,
        [words, match],
      ),
      query<{word: string; n: number}>(
        this.pool,
        `SELECT w.word, (SELECT count(*) FROM memories m WHERE m.search_tsv @@ to_tsquery('${SEARCH_CONFIG}', w.word)) AS n FROM unnest($1::text[]) AS w(word)`,
        [words],
      ),
      query<{n: number; avgdl: number}>(this.pool, MEMORY_SEARCH_STATS),
    ])
    const idf = new Map(frequencies.map((row) => [row.word, bm25Idf(stats.n, row.n)]))
    const docs = new Map<number, {tokens: number; words: Map<string, Array<{at: number; column: string}>>}>()
    for (const row of positions) {
      let doc = docs.get(row.seq)
      if (!doc) {
        doc = {tokens: row.tokens, words: new Map()}
        docs.set(row.seq, doc)
      }
      // Two planned words can stem to one lexeme ("deploy", "deploys"): each keeps the positions.
      doc.words.set(row.word, row.positions.map((at, index) => ({at, column: row.weights[index] ?? 'A'})))
    }
    const scored: Array<{seq: number; relevance: number}> = []
    for (const [seq, doc] of docs) {
      let relevance = 0
      for (const [a, b] of pairs) {
        const left = doc.words.get(a)
        const right = doc.words.get(b)
        if (!left || !right) continue
        relevance += bm25Term(idf.get(a) ?? 0, nearFrequency(left, right, window), doc.tokens, stats.avgdl)
        relevance += bm25Term(idf.get(b) ?? 0, nearFrequency(right, left, window), doc.tokens, stats.avgdl)
      }
      if (relevance > 0) scored.push({seq, relevance})
    }
    return scored.sort((x, y) => y.relevance - x.relevance || x.seq - y.seq).slice(0, limit)
  }

  async passing(seqs: number[], recall: RecallQuery): Promise<Set<number>> {
    if (seqs.length === 0) return new Set()
    const params = new Params()
    const wanted = params.add(seqs)
    const filter = recallFilter(recall, 'm', params)
    const rows = await query<{seq: number}>(this.pool, `SELECT m.seq FROM memories m WHERE m.seq = ANY(${wanted}::bigint[]) AND ${filter}`, params.values)
    return new Set(rows.map((row) => row.seq))
  }

  async neighbours(seqs: number[], recall: RecallQuery): Promise<NeighbourRow[]> {
    if (seqs.length === 0) return []
    const params = new Params()
    const wanted = params.add(seqs)
    const filter = recallFilter(recall, 'm', params)
    return query<NeighbourRow>(this.pool, `SELECT m.seq, m.session_key, m.created_at FROM memories m WHERE m.seq = ANY(${wanted}::bigint[]) AND ${filter}`, params.values)
  }

  async texts(seqs: number[]): Promise<Map<number, string>> {
    if (seqs.length === 0) return new Map()
    const rows = await query<{seq: number; content: string; tags: string}>(this.pool, 'SELECT seq, content, tags FROM memories WHERE seq = ANY($1::bigint[])', [seqs])
    return new Map(rows.map((row) => [row.seq, `${row.content} ${row.tags}`]))
  }

  async rows(seqs: number[]): Promise<Map<number, MemoryRow>> {
    if (seqs.length === 0) return new Map()
    const rows = await query<MemoryRow>(this.pool, `SELECT ${MEMORY_COLUMNS} FROM memories WHERE seq = ANY($1::bigint[])`, [seqs])
    return new Map(rows.map((row) => [row.seq, row]))
  }

  private async bm25(plan: PlannedTerm[], limit: number, recall?: RecallQuery): Promise<Array<{seq: number; relevance: number}>> {
    const forms = planForms(plan)
      .map(normaliseForm)
      .filter((form): form is string[] => form !== undefined)
    const distinct = [...new Map(forms.map((form) => [form.join(' '), form])).values()]
    const params = new Params()
    const filter = recall ? recallFilter(recall, 'f', params) : undefined
    const sql = bm25Sql({table: 'memories', forms: distinct, stats: MEMORY_SEARCH_STATS, filter, limit, params})
    if (!sql) return []
    return query<{seq: number; relevance: number}>(this.pool, sql, params.values)
  }
}

/**
 * FTS5 NEAR for two single words: an occurrence of the first takes part in a match when the second
 * occurs in the same column with at most `window` words between them. Weighted by column.
 */
function nearFrequency(self: Array<{at: number; column: string}>, other: Array<{at: number; column: string}>, window: number): number {
  let frequency = 0
  for (const mine of self) {
    if (other.some((theirs) => theirs.column === mine.column && theirs.at !== mine.at && Math.abs(theirs.at - mine.at) - 1 <= window)) {
      frequency += mine.column === 'B' ? TAGS_WEIGHT : 1
    }
  }
  return frequency
}

/** The query's filters on memories aliased `alias`: agent, project, type, dates, tags, exclusions, not deleted. */
export function recallFilter(recall: RecallQuery, alias: string, params: Params): string {
  const where = [`${alias}.deleted_at IS NULL`, `${alias}.agent_id = ${params.add(recall.agentId)}`]
  const inProjects = projectConditionPg(recall, `${alias}.project`, params)
  if (inProjects) where.push(inProjects)
  if (recall.type !== undefined) where.push(`${alias}.type = ${params.add(recall.type)}`)
  if (recall.since !== undefined) where.push(`${alias}.created_at >= ${params.add(recall.since)}`)
  if (recall.until !== undefined) where.push(`${alias}.created_at <= ${params.add(recall.until)}`)
  for (const tag of recall.tags ?? []) where.push(`(${alias}.tags::jsonb) ? ${params.add(tag.toLowerCase())}`)
  if (recall.excludeIds && recall.excludeIds.length > 0) where.push(`${alias}.id <> ALL(${params.add(recall.excludeIds)}::text[])`)
  return where.join(' AND ')
}
