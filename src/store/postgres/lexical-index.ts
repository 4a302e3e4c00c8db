import type {MemoryRow} from '../memories.js'
import type {TextStatistics} from '../proximity.js'
import {type PlannedTerm, planForms} from '../query-terms.js'
import {LABEL_PROBE_ROWS, type NeighbourRow, type RecallQuery, speakerLabelForms} from '../search.js'
import type {LexicalIndex} from '../storage.js'
import {normaliseForm, postingsBm25Sql} from './bm25.js'
import {Params, type Pool, query, queryOne} from './client.js'
import {SEARCH_CONFIG} from './migrations.js'
import {MEMORY_COLUMNS, projectConditionPg} from './search-index.js'

/** N and avgdl over every indexed memory (all agents, soft-deleted too: FTS5's index holds those as well). */
export const MEMORY_SEARCH_STATS = `SELECT greatest(coalesce(sum(docs), 0), 1)::float8 AS n,
  greatest(coalesce(sum(tokens), 0)::float8 / greatest(coalesce(sum(docs), 0), 1), 1e-6) AS avgdl FROM memory_search_stats`

/** Words whose stems are kept in process (a stem never changes: the text search configuration is fixed). */
const STEM_CACHE_SIZE = 50_000

/**
 * Each word's lexemes as the index holds them (the server's stemmer), asked once per word and
 * kept. Queries then name lexemes as constants, which the planner matches to the postings index
 * directly (a lexeme computed inside the query hid that from it: a sequential scan of every posting).
 */
class StemCache {
  private readonly known = new Map<string, string[]>()

  constructor(private readonly pool: Pool) {}

  async of(words: string[]): Promise<Map<string, string[]>> {
    const missing = [...new Set(words.filter((word) => !this.known.has(word)))]
    if (missing.length > 0) {
      const rows = await query<{word: string; lexemes: string[]}>(
        this.pool,
        `SELECT w.word, array(SELECT l.lexeme FROM unnest(to_tsvector('${SEARCH_CONFIG}', w.word)) AS l ORDER BY l.positions[1]) AS lexemes
          FROM unnest($1::text[]) AS w(word)`,
        [missing],
      )
      if (this.known.size + rows.length > STEM_CACHE_SIZE) this.known.clear()
      for (const row of rows) this.known.set(row.word, row.lexemes)
    }
    return new Map(words.map((word) => [word, this.known.get(word) ?? []]))
  }
}

/**
 * The memories' text index on PostgreSQL: a tsvector per memory (GIN-indexed, for phrases) and the
 * memory_terms postings it is unnested into (for ranking), with FTS5-equivalent BM25 (bm25.ts). The
 * shared recall ranker makes every quality decision; this only matches words and reads rows.
 */
export class PostgresLexicalIndex implements LexicalIndex {
  private readonly stems: StemCache

  constructor(private readonly pool: Pool) {
    this.stems = new StemCache(pool)
  }

  /** N as bm25 counts it (every indexed memory, all agents). */
  async indexedMemories(): Promise<number> {
    const [stats] = await query<{n: number}>(this.pool, MEMORY_SEARCH_STATS)
    return stats.n
  }

  /**
   * Rows of memory_terms per word's lexeme, each counted only up to `atMost` + 1 (an index scan that
   * stops there): a common word costs the bar, not its whole posting list.
   */
  async documentCounts(words: string[], atMost: number): Promise<Map<string, number>> {
    const terms = await this.indexTerms(words)
    const lexemes = [...new Set([...terms.values()].filter((lexeme): lexeme is string => lexeme !== null))]
    const rows =
      lexemes.length === 0
        ? []
        : await query<{lexeme: string; n: number}>(
            this.pool,
            `SELECT w.lexeme, (SELECT count(*) FROM (SELECT 1 FROM memory_terms t WHERE t.lexeme = w.lexeme LIMIT $2) AS held)::int AS n
              FROM unnest($1::text[]) AS w(lexeme)`,
            [lexemes, Math.floor(atMost) + 1],
          )
    const byLexeme = new Map(rows.map((row) => [row.lexeme, Number(row.n)]))
    return new Map(words.map((word) => [word, byLexeme.get(terms.get(word) ?? '') ?? 0]))
  }

  /** Each word's lexeme (the server's stemmer, after the words are normalised as the index holds them); null for a stop word or several lexemes. */
  async indexTerms(words: string[]): Promise<Map<string, string | null>> {
    const normalised = new Map<string, string>()
    for (const word of words) {
      const form = normaliseForm([word])
      if (form?.length === 1) normalised.set(word, form[0])
    }
    const stems = await this.stems.of([...normalised.values()])
    return new Map(
      words.map((word) => {
        const list = stems.get(normalised.get(word) ?? '') ?? []
        return [word, list.length === 1 ? list[0] : null]
      }),
    )
  }

  async storedWords(words: string[]): Promise<Set<string>> {
    const normalised = new Map<string, string>()
    for (const word of words) {
      const form = normaliseForm([word])
      if (form?.length === 1) normalised.set(word, form[0])
    }
    const stems = await this.stems.of([...normalised.values()])
    const lexemes = [...new Set([...stems.values()].filter((list) => list.length === 1).map((list) => list[0]))]
    if (lexemes.length === 0) return new Set()
    const rows = await query<{lexeme: string}>(
      this.pool,
      'SELECT w.lexeme FROM unnest($1::text[]) AS w(lexeme) WHERE EXISTS (SELECT 1 FROM memory_terms t WHERE t.lexeme = w.lexeme)',
      [lexemes],
    )
    const present = new Set(rows.map((row) => row.lexeme))
    return new Set(
      [...normalised]
        .filter(([, word]) => {
          const list = stems.get(word) ?? []
          return list.length === 1 && present.has(list[0])
        })
        .map(([original]) => original),
    )
  }

  /** With `holding` (../storage.ts): every form of `plan` scores, and only rows holding a form of `holding` are ranked (as SQLite's two passes give). */
  async ranked(plan: PlannedTerm[], limit: number, holding: PlannedTerm[] = plan): Promise<Array<{seq: number; relevance: number}>> {
    return this.bm25(plan, limit, undefined, undefined, holding === plan ? undefined : holding)
  }

  async rankedWithin(plan: PlannedTerm[], recall: RecallQuery, limit: number): Promise<Array<{seq: number; relevance: number}>> {
    return this.bm25(plan, limit, recall)
  }

  async labelledSpeakers(names: string[]): Promise<Set<string>> {
    const labelled = new Set<string>()
    const normalised = new Map(names.map((name) => [name, normaliseForm([name])?.[0]]))
    const stems = await this.stems.of([...normalised.values()].filter((word): word is string => word !== undefined))
    for (const [name, word] of normalised) {
      const lexemes = word === undefined ? [] : (stems.get(word) ?? [])
      if (lexemes.length !== 1) continue
      const [label, capitalised, upper] = speakerLabelForms(name)
      const found = await queryOne(
        this.pool,
        `SELECT 1 FROM (SELECT t.seq FROM memory_terms t WHERE t.lexeme = $1 ORDER BY t.seq LIMIT ${LABEL_PROBE_ROWS}) f
          JOIN memories m ON m.seq = f.seq
          WHERE m.deleted_at IS NULL AND left(m.content, $2::int) IN ($3, $4, $5) LIMIT 1`,
        [lexemes[0], [...label].length, label, capitalised, upper],
      )
      if (found) labelled.add(name)
    }
    return labelled
  }

  async rankedSaidBy(plan: PlannedTerm[], recall: RecallQuery, speaker: string, limit: number): Promise<Array<{seq: number; relevance: number}>> {
    return this.bm25(plan, limit, recall, speaker)
  }

  async textStatistics(): Promise<TextStatistics> {
    const [stats] = await query<{n: number; avgdl: number}>(this.pool, MEMORY_SEARCH_STATS)
    return {memories: stats.n, averageTokens: stats.avgdl}
  }

  async passing(seqs: number[], recall: RecallQuery): Promise<Map<number, string>> {
    if (seqs.length === 0) return new Map()
    const params = new Params()
    const wanted = params.add(seqs)
    const filter = recallFilter(recall, 'm', params)
    const rows = await query<{seq: number; content: string; tags: string}>(
      this.pool,
      `SELECT m.seq, m.content, m.tags FROM memories m WHERE m.seq = ANY(${wanted}::bigint[]) AND ${filter}`,
      params.values,
    )
    return new Map(rows.map((row) => [row.seq, `${row.content} ${row.tags}`]))
  }

  async neighbours(seqs: number[], recall: RecallQuery, {sessionsOnly = false}: {sessionsOnly?: boolean} = {}): Promise<NeighbourRow[]> {
    if (seqs.length === 0) return []
    const params = new Params()
    const wanted = params.add(seqs)
    const filter = recallFilter(recall, 'm', params)
    const inSession = sessionsOnly ? ' AND m.session_key IS NOT NULL' : ''
    return query<NeighbourRow>(
      this.pool,
      `SELECT m.seq, m.session_key, m.created_at FROM memories m WHERE m.seq = ANY(${wanted}::bigint[]) AND ${filter}${inSession}`,
      params.values,
    )
  }

  async texts(seqs: number[]): Promise<Map<number, string>> {
    if (seqs.length === 0) return new Map()
    const rows = await query<{seq: number; content: string; tags: string}>(this.pool, 'SELECT seq, content, tags FROM memories WHERE seq = ANY($1::bigint[])', [
      seqs,
    ])
    return new Map(rows.map((row) => [row.seq, `${row.content} ${row.tags}`]))
  }

  async rows(seqs: number[]): Promise<Map<number, MemoryRow>> {
    if (seqs.length === 0) return new Map()
    const rows = await query<MemoryRow>(this.pool, `SELECT ${MEMORY_COLUMNS} FROM memories WHERE seq = ANY($1::bigint[])`, [seqs])
    return new Map(rows.map((row) => [row.seq, row]))
  }

  /**
   * `speaker`: only memories whose content starts with that speaker's label (rankedSaidBy).
   * `holding`: only memories holding one of its forms (ranked).
   */
  private async bm25(
    plan: PlannedTerm[],
    limit: number,
    recall?: RecallQuery,
    speaker?: string,
    holding?: PlannedTerm[],
  ): Promise<Array<{seq: number; relevance: number}>> {
    const normalised = (of: PlannedTerm[]) =>
      planForms(of)
        .map(normaliseForm)
        .filter((form): form is string[] => form !== undefined)
    const distinct = [...new Map(normalised(plan).map((form) => [form.join(' '), form])).values()]
    const held = holding && new Set(normalised(holding).map((form) => form.join(' ')))
    const stems = await this.stems.of(distinct.filter((form) => form.length === 1).map((form) => form[0]))
    const params = new Params()
    let filter = recall ? recallFilter(recall, 'f', params) : undefined
    if (filter && speaker !== undefined) {
      const [lower, capitalised, upper] = speakerLabelForms(speaker)
      filter += ` AND left(f.content, ${params.add([...lower].length)}::int) IN (${params.add(lower)}, ${params.add(capitalised)}, ${params.add(upper)})`
    }
    const sql = postingsBm25Sql({
      forms: distinct.map((words) => (words.length === 1 ? {lexemes: stems.get(words[0]) ?? []} : {phrase: words})),
      stats: MEMORY_SEARCH_STATS,
      agentId: recall?.agentId,
      filter,
      holding: held && distinct.flatMap((form, index) => (held.has(form.join(' ')) ? [index] : [])),
      limit,
      params,
    })
    if (!sql) return []
    const rows = await query<{seq: number; relevance: number}>(this.pool, sql, params.values)
    return rows.sort((a, b) => b.relevance - a.relevance || a.seq - b.seq)
  }
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
