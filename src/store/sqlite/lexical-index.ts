import type {Statement} from 'better-sqlite3'

import type {SqliteDatabase} from '../db.js'
import {type MemoryRow, projectCondition} from '../memories.js'
import {type PlannedTerm, planForms, planMatch} from '../query-terms.js'
import {LABEL_PROBE_ROWS, type NeighbourRow, type RecallQuery, speakerLabelForms} from '../search.js'
import type {LexicalIndex} from '../storage.js'
import type {TextStatistics} from '../proximity.js'

/**
 * Rows by a JSON list of seqs, looked up by rowid. Written as a CROSS JOIN so SQLite cannot pick the
 * agent_id index instead: with `seq IN (…) AND agent_id = ?` it scanned every row of the agent
 * (8x slower at 10k memories, growing with the store).
 */
const BY_SEQS = 'json_each(@seqs) AS wanted CROSS JOIN memories m ON m.seq = wanted.value'

/** A MemoryRow's values in its declared order, as `rows` reads them. */
type MemoryRowValues = [
  MemoryRow['seq'],
  MemoryRow['id'],
  MemoryRow['content'],
  MemoryRow['content_hash'],
  MemoryRow['type'],
  MemoryRow['tags'],
  MemoryRow['importance'],
  MemoryRow['pinned'],
  MemoryRow['agent_id'],
  MemoryRow['project'],
  MemoryRow['source'],
  MemoryRow['harness'],
  MemoryRow['key_id'],
  MemoryRow['machine_id'],
  MemoryRow['session_key'],
  MemoryRow['idempotency_key'],
  MemoryRow['created_at'],
  MemoryRow['updated_at'],
  MemoryRow['deleted_at'],
]

/**
 * FTS5's bm25 (lower is better), content weighted over tags. A query names it once and orders by
 * its alias: written out in both the result and ORDER BY, SQLite evaluates it twice for every
 * matching row (≈ 4 % of the query; bench/README.md, "B4, seventh pass").
 */
const BM25 = 'bm25(memories_fts, 1.0, 0.3)'

/** memories_fts's tokenizer (migration 1 in ../db.ts): the stem probe must split and stem words as the index does. */
export const MEMORY_FTS_TOKENIZER = 'porter unicode61 remove_diacritics 2'

/** Words whose stems are kept in process (a stem never changes: the tokenizer is fixed). */
const STEM_CACHE_SIZE = 50_000

/** A date span holding at most this many of the agent's memories is walked, not the words' postings (fewDated). */
const SPAN_FIRST_ROWS = 500

/** Cached document counts are dropped once the store grows (or shrinks) by this share. */
const COUNT_CACHE_GROWTH = 0.01

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

  /** Each word's index term (porter stem), or null when the tokenizer does not make it exactly one term. */
  private readonly stems = new Map<string, string | null>()
  /** Document count per index term, valid while the store is within COUNT_CACHE_GROWTH of countsAt memories. */
  private readonly termCounts = new Map<string, number>()
  private countsAt = 0
  /** False once the per-connection probe tables could not be made (then every count is unknown: no word is left out). */
  private probeReady: boolean | undefined

  constructor(private readonly db: SqliteDatabase) {}

  /** The highest seq: O(1), and what FTS5's index spans (it counts hard-deleted rows too, which only raises the bar). */
  async indexedMemories(): Promise<number> {
    return (this.prepare('SELECT max(seq) FROM memories', 'pluck').get() as number | null) ?? 0
  }

  /**
   * Document counts from FTS5's own term statistics (an fts5vocab table, one seek per word) under
   * each word's index term, which a probe FTS5 table with the same tokenizer gives; both are TEMP
   * tables of this connection, so the schema is untouched. Counts are kept until the store has
   * grown by COUNT_CACHE_GROWTH of its size (they only set which words select candidates).
   */
  async documentCounts(words: string[]): Promise<Map<string, number>> {
    const counts = new Map<string, number>()
    if (words.length === 0 || !this.ensureProbe()) return counts
    const highest = await this.indexedMemories()
    if (Math.abs(highest - this.countsAt) > this.countsAt * COUNT_CACHE_GROWTH) {
      this.termCounts.clear()
      this.countsAt = highest
    }
    const documents = this.prepare('SELECT doc FROM temp.memories_fts_terms WHERE term = ?')
    for (const [word, term] of this.termsOf(words)) {
      if (term === null) {
        counts.set(word, 0)
        continue
      }
      let count = this.termCounts.get(term)
      if (count === undefined) {
        count = (documents.get(term) as {doc: number} | undefined)?.doc ?? 0
        if (this.termCounts.size >= STEM_CACHE_SIZE) this.termCounts.clear()
        this.termCounts.set(term, count)
      }
      counts.set(word, count)
    }
    return counts
  }

  /** Each word's FTS5 term (its porter stem); null when the tokenizer makes it no single term, or no probe could be made. */
  async indexTerms(words: string[]): Promise<Map<string, string | null>> {
    return this.ensureProbe() ? this.termsOf(words) : new Map(words.map((word) => [word, null]))
  }

  /** The index term of each word; words not yet known are written to the probe table and cleared again, in one transaction. */
  private termsOf(words: string[]): Map<string, string | null> {
    const unknown = [...new Set(words.filter((word) => !this.stems.has(word)))]
    if (unknown.length > 0) {
      const insert = this.prepare('INSERT INTO temp.memories_stem_probe(rowid, word) VALUES (?, ?)')
      const read = this.prepare('SELECT doc, term FROM temp.memories_stem_probe_terms')
      const clear = this.prepare('DELETE FROM temp.memories_stem_probe')
      const found = this.db.transaction(() => {
        for (const [index, word] of unknown.entries()) insert.run(index + 1, word)
        const rows = read.all() as Array<{doc: number; term: string}>
        clear.run()
        return rows
      })()
      const terms = new Map<number, string[]>()
      for (const row of found) terms.set(row.doc, [...(terms.get(row.doc) ?? []), row.term])
      if (this.stems.size + unknown.length > STEM_CACHE_SIZE) this.stems.clear()
      for (const [index, word] of unknown.entries()) {
        const list = terms.get(index + 1) ?? []
        this.stems.set(word, list.length === 1 ? list[0] : null)
      }
    }
    return new Map(words.map((word) => [word, this.stems.get(word) ?? null]))
  }

  private ensureProbe(): boolean {
    if (this.probeReady === undefined) {
      try {
        this.db.exec(`
          CREATE VIRTUAL TABLE IF NOT EXISTS temp.memories_fts_terms USING fts5vocab(main, memories_fts, row);
          CREATE VIRTUAL TABLE IF NOT EXISTS temp.memories_stem_probe USING fts5(word, tokenize='${MEMORY_FTS_TOKENIZER}');
          CREATE VIRTUAL TABLE IF NOT EXISTS temp.memories_stem_probe_terms USING fts5vocab(temp, memories_stem_probe, instance);
        `)
        this.probeReady = true
      } catch {
        this.probeReady = false
      }
    }
    return this.probeReady
  }

  /** Whether any memory holds each word (as FTS5 indexes it, stemmed). */
  async storedWords(words: string[]): Promise<Set<string>> {
    const probe = this.prepare('SELECT 1 FROM memories_fts WHERE memories_fts MATCH @match LIMIT 1')
    return new Set(words.filter((word) => probe.get({match: `"${word}"`}) !== undefined))
  }

  /**
   * bm25 ranking in FTS5 alone, no filters. With `holding` (../storage.ts), two passes, neither of
   * which scores a memory holding only common words: the memories holding a `holding` form, scored
   * by those forms; and those also holding a common form (FTS5 intersects the lists, so only they
   * are scored), scored by every form, which is the full query's bm25. A memory in the second pass
   * takes its score from there. The merged best `limit` are exactly the best `limit` by the full
   * query's bm25 among the memories holding a `holding` form: a memory holding no common form scores
   * the same in both, and one the second pass cut off has `limit` others above it.
   * A common word held by half the index or more is left out of the second pass: FTS5's bm25 gives
   * it an idf of 1e-6 (log((N − n + 0.5) / (n + 0.5)) ≤ 0, floored), so it changes no score and the
   * pass would only cost its postings (on a 10k store, where the bar is half the store, that is
   * every common word: bench/README.md, "B4 after the fifth pass").
   */
  async ranked(plan: PlannedTerm[], limit: number, holding: PlannedTerm[] = plan): Promise<Array<{seq: number; relevance: number}>> {
    const match = planMatch(holding)
    if (!match) return []
    const own = this.rankedBy(match, limit)
    const chosen = new Set(planForms(holding).map((words) => words.join(' ')))
    const common = await this.weighed(planForms(plan).filter((words) => !chosen.has(words.join(' '))))
    if (common.length === 0) return own
    const best = new Map(own.map((row) => [row.seq, row.relevance]))
    for (const row of this.rankedBy(`(${match}) AND (${common.map((words) => `"${words.join(' ')}"`).join(' OR ')})`, limit)) best.set(row.seq, row.relevance)
    return [...best]
      .map(([seq, relevance]) => ({seq, relevance}))
      .sort((a, b) => b.relevance - a.relevance || a.seq - b.seq)
      .slice(0, limit)
  }

  /**
   * The forms bm25 gives weight to: a single word held by fewer than half the memories the index
   * spans (max(seq) is at least its row count, so a word kept here may still be at the floor, never
   * the reverse). Phrases and words whose count is unknown (0) are kept.
   */
  private async weighed(forms: string[][]): Promise<string[][]> {
    const single = forms.filter((words) => words.length === 1).map((words) => words[0])
    if (single.length === 0) return forms
    const [counts, spanned] = await Promise.all([this.documentCounts(single), this.indexedMemories()])
    return forms.filter((words) => words.length > 1 || 2 * (counts.get(words[0]) ?? 0) < spanned)
  }

  async rankedWithin(plan: PlannedTerm[], query: RecallQuery, limit: number): Promise<Array<{seq: number; relevance: number}>> {
    return this.rankedFiltered(plan, buildFilter(query), limit, !this.fewDated(query))
  }

  /**
   * Whether the query's date span holds at most SPAN_FIRST_ROWS of its agent's memories (counted
   * through the (agent_id, created_at) index, stopping past the bound). Then walking the span and
   * matching each memory is cheaper than reading every posting of the words (a named month on a
   * 10k store: ≈ 0.1 ms of daemon CPU per B4 request, bench/README.md "B4 after the fifth pass");
   * over it the text index goes first.
   */
  private fewDated(query: RecallQuery): boolean {
    if (query.since === undefined && query.until === undefined) return false
    const bounds = [query.since === undefined ? '' : ' AND created_at >= @since', query.until === undefined ? '' : ' AND created_at <= @until'].join('')
    const count = this.prepare(`SELECT count(*) FROM (SELECT 1 FROM memories WHERE agent_id = @agentId${bounds} LIMIT ${SPAN_FIRST_ROWS + 1})`, 'pluck').get({
      agentId: query.agentId,
      since: query.since,
      until: query.until,
    }) as number
    return count <= SPAN_FIRST_ROWS
  }

  async labelledSpeakers(names: string[]): Promise<Set<string>> {
    const probe = this.prepare(
      `SELECT 1 FROM (SELECT rowid AS seq FROM memories_fts WHERE memories_fts MATCH @match LIMIT ${LABEL_PROBE_ROWS}) f
       JOIN memories m ON m.seq = f.seq
       WHERE m.deleted_at IS NULL AND substr(m.content, 1, @labelLength) IN (@label, @capitalised, @upper) LIMIT 1`,
    )
    return new Set(
      names.filter((name) => {
        const [label, capitalised, upper] = speakerLabelForms(name)
        return probe.get({match: `"${name.replaceAll('"', '""')}"`, label, capitalised, upper, labelLength: [...label].length}) !== undefined
      }),
    )
  }

  async rankedSaidBy(plan: PlannedTerm[], query: RecallQuery, speaker: string, limit: number): Promise<Array<{seq: number; relevance: number}>> {
    const filter = buildFilter(query)
    const [label, capitalised, upper] = speakerLabelForms(speaker)
    filter.sql += ' AND substr(m.content, 1, @labelLength) IN (@label, @capitalised, @upper)'
    Object.assign(filter.params, {label, capitalised, upper, labelLength: [...label].length})
    return this.rankedFiltered(plan, filter, limit)
  }

  /**
   * bm25 within the filter, the text index first: a CROSS JOIN keeps SQLite from walking a filter's
   * index (a named month's created_at span: 28,000 memories at a million) and running the MATCH
   * once per row, 0.65–1.1 s; the index first costs what the words' postings cost, which the
   * common-word rule bounds (bench/README.md, "B8: the prompt hook at a million memories").
   * `textFirst` false leaves the order to SQLite, for a span known to be small (fewDated).
   */
  private rankedFiltered(plan: PlannedTerm[], filter: Filter, limit: number, textFirst = true): Array<{seq: number; relevance: number}> {
    const match = planMatch(plan)
    if (!match) return []
    const rows = this.prepare(
      `SELECT m.seq, ${BM25} AS score
       FROM memories_fts ${textFirst ? 'CROSS JOIN' : 'JOIN'} memories m ON m.seq = memories_fts.rowid
       WHERE memories_fts MATCH @match AND ${filter.sql}
       ORDER BY score LIMIT ${Math.trunc(limit)}`,
      'raw',
    ).all({...filter.params, match}) as Array<[number, number]>
    return rows.map(([seq, score]) => ({seq, relevance: -score}))
  }

  /**
   * N and avgdl exactly as FTS5's bm25 reads them: the index's averages record (its row count, then
   * each column's total word count, as varints; fts5_index.c), one small read.
   */
  async textStatistics(): Promise<TextStatistics> {
    const record = this.prepare('SELECT block FROM memories_fts_data WHERE id = 1', 'pluck').get() as Buffer | undefined
    const values = record ? readVarints(record) : []
    const memories = values[0] ?? 0
    const words = values.slice(1).reduce((sum, value) => sum + value, 0)
    return {memories, averageTokens: memories > 0 ? words / memories : 0}
  }

  async passing(seqs: number[], query: RecallQuery): Promise<Map<number, string>> {
    if (seqs.length === 0) return new Map()
    const filter = buildFilter(query)
    const rows = this.prepare(`SELECT m.seq, m.content || ' ' || m.tags FROM ${BY_SEQS} WHERE ${filter.sql}`, 'raw').all({
      ...filter.params,
      seqs: JSON.stringify(seqs),
    }) as Array<[number, string]>
    return new Map(rows)
  }

  async neighbours(seqs: number[], query: RecallQuery, {sessionsOnly = false}: {sessionsOnly?: boolean} = {}): Promise<NeighbourRow[]> {
    if (seqs.length === 0) return []
    const filter = buildFilter(query)
    const inSession = sessionsOnly ? ' AND m.session_key IS NOT NULL' : ''
    const rows = this.prepare(`SELECT m.seq, m.session_key, m.created_at FROM ${BY_SEQS} WHERE ${filter.sql}${inSession}`, 'raw').all({
      ...filter.params,
      seqs: JSON.stringify(seqs),
    }) as Array<[number, string | null, string]>
    return rows.map(([seq, session_key, created_at]) => ({seq, session_key, created_at}))
  }

  async texts(seqs: number[]): Promise<Map<number, string>> {
    // Joined in SQL: one string per row reaches JS instead of two and their concatenation.
    const rows = this.prepare(`SELECT m.seq, m.content || ' ' || m.tags FROM ${BY_SEQS}`, 'raw').all({seqs: JSON.stringify(seqs)}) as Array<[number, string]>
    return new Map(rows)
  }

  /**
   * The hits' rows. Read as arrays and built here, one object shape for all: better-sqlite3's row
   * objects get their 19 columns set one by one, which cost twice the read (bench/README.md, "B4,
   * seventh pass").
   */
  async rows(seqs: number[]): Promise<Map<number, MemoryRow>> {
    const rows = this.prepare(
      `SELECT m.seq, m.id, m.content, m.content_hash, m.type, m.tags, m.importance, m.pinned, m.agent_id, m.project, m.source, m.harness,
         m.key_id, m.machine_id, m.session_key, m.idempotency_key, m.created_at, m.updated_at, m.deleted_at FROM ${BY_SEQS}`,
      'raw',
    ).all({seqs: JSON.stringify(seqs)}) as MemoryRowValues[]
    const found = new Map<number, MemoryRow>()
    for (const v of rows)
      found.set(v[0], {
        seq: v[0],
        id: v[1],
        content: v[2],
        content_hash: v[3],
        type: v[4],
        tags: v[5],
        importance: v[6],
        pinned: v[7],
        agent_id: v[8],
        project: v[9],
        source: v[10],
        harness: v[11],
        key_id: v[12],
        machine_id: v[13],
        session_key: v[14],
        idempotency_key: v[15],
        created_at: v[16],
        updated_at: v[17],
        deleted_at: v[18],
      })
    return found
  }

  private rankedBy(match: string, limit: number): Array<{seq: number; relevance: number}> {
    const rows = this.prepare(
      `SELECT rowid, ${BM25} AS score FROM memories_fts
       WHERE memories_fts MATCH @match ORDER BY score LIMIT @limit`,
      'raw',
    ).all({match, limit}) as Array<[number, number]>
    return rows.map(([seq, score]) => ({seq, relevance: -score}))
  }

  /**
   * `mode` is how rows come back: better-sqlite3 builds an object per row by setting each column
   * as a named property, which cost as much as the lookups themselves on recall's hundreds of rows;
   * an array per row ('raw') or the first column's value alone ('pluck') does not.
   */
  private prepare(sql: string, mode: 'objects' | 'raw' | 'pluck' = 'objects') {
    const key = `${mode} ${sql}`
    let statement = this.statements.get(key)
    if (!statement) {
      statement = this.db.prepare(sql)
      if (mode === 'raw') statement.raw(true)
      if (mode === 'pluck') statement.pluck(true)
      if (this.statements.size > 256) this.statements.clear()
      this.statements.set(key, statement)
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

/** The unsigned varints (SQLite's format: 7 bits a byte, high bit set on all but the last; a ninth byte holds 8 bits) one after another in `bytes`. */
function readVarints(bytes: Uint8Array): number[] {
  const values: number[] = []
  let at = 0
  while (at < bytes.length) {
    let value = 0
    let used = 0
    for (;;) {
      const byte = bytes[at++]
      if (used === 8) {
        value = value * 256 + byte
        break
      }
      value = value * 128 + (byte & 0x7f)
      used++
      if (byte < 0x80 || at >= bytes.length) break
    }
    values.push(value)
  }
  return values
}
