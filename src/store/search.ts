import type {Statement} from 'better-sqlite3'

import type {SqliteDatabase} from './db.js'
import {type BudgetedEmbedding, DEFAULT_PROMPT_TIMEOUT_MS, embedWithinBudget} from './embed/embedder.js'
import type {VectorIndex} from './embed/vector-index.js'
import {type Memory, type MemoryRow, type ProjectFilter, projectCondition, rowToMemory} from './memories.js'
import {type PlannedTerm, matchPlan, orQuery, planMatch, planProximityQuery, planQuery, queryTerms} from './query-terms.js'

export {MAX_QUERY_TERMS} from './query-terms.js'

/** `project`/`projects` (plus global ones when includeGlobal is set): the caller's project scope. */
export interface RecallQuery extends ProjectFilter {
  query: string
  agentId: string
  limit: number
  tags?: string[]
  type?: string
  since?: string
  until?: string
  /** Memory ids to leave out (e.g. already injected in this session). */
  excludeIds?: string[]
}

export type HitSource = 'keyword' | 'vector' | 'hybrid' | 'context'

export interface RecallHit {
  memory: Memory
  /** 0..1, comparable across queries so callers can apply a threshold. */
  score: number
  /** What put this memory in the results: its words, its meaning, both, or its neighbours' match. */
  source: HitSource
  /** Why: the receipt a user reads to see what made this memory come up. */
  why: RecallWhy
}

/** Per hit: the query words it holds (and in what form) and each signal's share of its rank. */
export interface RecallWhy {
  /** Query words found in the memory: "staging", or "db→database" / "migratoins→migrations" when a table equivalent or a typo correction matched. */
  matched: string[]
  /** Distinct query words matched in some form (what the prompt hook's minimum-words rule counts). */
  matchedTerms: number
  /** Each signal relative to the query's best: bm25 of its words, proximity of query words, vector similarity, conversation context. */
  signals: {bm25: number; coordination: number; proximity: number; vector?: number; context: number}
}

/** What the vector side did for one recall, so callers (hook receipts, recall meta) can say so. */
export interface VectorOutcome {
  /**
   * used: vectors took part; disabled: no embedder configured; timeout/error: the embedder
   * did not answer within budget, results are lexical only; empty: nothing embedded yet.
   */
  status: 'used' | 'disabled' | 'timeout' | 'error' | 'empty'
  provider?: string
  model?: string
  ms?: number
  reason?: string
}

export interface RecallResult {
  hits: RecallHit[]
  /** The query's distinct content words, as searched. */
  queryTerms: string[]
  method: 'bm25' | 'hybrid'
  vector: VectorOutcome
}

export interface MemorySearchOptions {
  /** Vectors of the configured embedder; absent when `embedding.provider` is none. */
  vectors?: VectorIndex
  /** Budget for embedding a query on the async path (agent.yaml embedding.promptTimeoutMs). */
  promptTimeoutMs?: number
}

// Ranking constants: round values chosen on LoCoMo (never per question; the coordination ones on
// three of the five conversations, confirmed on the other two); the sensitivity of each is in
// bench/README.md.
/** Lexical candidates considered per query. */
const LEXICAL_POOL = 100
/** Ranked without filters first, this many times the pool, then filtered (see lexical()). */
const LEXICAL_OVERFETCH = 2
/**
 * Rows by a JSON list of seqs, looked up by rowid. Written as a CROSS JOIN so SQLite cannot pick the
 * agent_id index instead: with `seq IN (…) AND agent_id = ?` it scanned every row of the agent
 * (8x slower at 10k memories, growing with the store).
 */
const BY_SEQS = 'json_each(@seqs) AS wanted CROSS JOIN memories m ON m.seq = wanted.value'
/** Two query words within this many tokens of each other earn a proximity bonus... */
const PROXIMITY_WINDOW = 5
/** ...worth this share of their bm25 on top of the plain match. */
const PROXIMITY_WEIGHT = 0.2
/** Pairs are formed from this many leading terms (n·(n-1)/2 NEAR clauses). */
const PROXIMITY_TERMS = 8
/** Weight of coordination (share of the query's words held, beyond the first) next to a bm25 scaled to the best match's 1. */
const COORDINATION_WEIGHT = 0.2
/** Only the best bm25 matches are read for coordination: it reorders near-ties, and each read costs a row lookup. */
const COORDINATION_POOL = 20
/** Nearest neighbours by vector per query. */
const VECTOR_POOL = 50
/** Share of the fused score that comes from vector similarity when vectors are available. */
const VECTOR_WEIGHT = 0.2
/**
 * Conversation context: a memory's neighbours (stored just before/after it in the same
 * session) lend it this share of their score, 1 step away at full and 2 steps at half
 * weight. The answer to a question is often the turn next to the one that names its topic.
 */
const CONTEXT_WEIGHT = 0.5
const CONTEXT_DECAY = [1, 0.5]
/** Only the best candidates lend context (the rest add little and cost lookups). */
const CONTEXT_ANCHORS = 50
/**
 * Context is lent only within one session, and only between memories stored this close together:
 * memories without a session (facts typed with `signet remember`, imports) are independent, and
 * neighbours in insertion order are not context unless they come from the same conversation.
 */
const CONTEXT_GAP_MS = 30 * 60_000
/** The most that word coverage alone can make a hit's confidence (bm25 or vectors must do the rest). */
const COVERAGE_CEILING = 0.8
/** bm25 → 0..1: half-way at this raw score. */
const BM25_HALF = 3

const DAY_MS = 86_400_000

/**
 * Turn any user text into a safe FTS5 query: content words only (stop words dropped unless
 * nothing else is left), each quoted, OR-ed. Operators, quotes, column filters and NEAR in
 * the input are treated as plain words.
 */
export function buildFtsQuery(text: string): string | undefined {
  return orQuery(queryTerms(text))
}

/** BM25 is unbounded; squash it to 0..1 so a threshold means the same thing for every query. */
function normalizeBm25(raw: number): number {
  const x = Math.max(0, raw)
  return x / (x + BM25_HALF)
}

interface Filter {
  sql: string
  params: Record<string, unknown>
}

export interface NeighbourRow {
  seq: number
  session_key: string | null
  created_at: string
}

interface Candidate {
  lexical: number
  proximity: number
  /** Share of the query's distinct words this memory holds in some form, beyond the first. */
  coordination: number
  similarity?: number
  context: number
}

/**
 * Hybrid recall: FTS5 bm25 over content words (with their table equivalents and typo
 * corrections), a proximity bonus for query words close together, a coordination bonus for
 * holding more of the query's words, cosine similarity from the configured embedder
 * (sqlite-vec), and conversation context from neighbouring memories of the same session,
 * fused and squashed to 0..1. Each hit carries its why (matched words, signals).
 */
export class MemorySearch {
  private readonly vectors: VectorIndex | undefined
  private readonly promptTimeoutMs: number
  /** Filters make the SQL vary; the few shapes in use are prepared once each. */
  private readonly statements = new Map<string, Statement<unknown[]>>()

  constructor(
    private readonly db: SqliteDatabase,
    options: MemorySearchOptions = {},
  ) {
    this.vectors = options.vectors
    this.promptTimeoutMs = options.promptTimeoutMs ?? DEFAULT_PROMPT_TIMEOUT_MS
  }

  /** The embedder behind the vector side, if any. */
  get embedder() {
    return this.vectors?.embedder
  }

  /**
   * Synchronous recall. Uses vectors when the embedder is in-process (`local`); with an
   * HTTP embedder it answers lexically and says so — use recallWithBudget for those.
   */
  recall(query: RecallQuery): RecallResult {
    const embedder = this.vectors?.embedder
    if (!embedder) return this.rank(query, undefined, {status: 'disabled'})
    if (!embedder.embedSync) {
      return this.rank(query, undefined, {status: 'error', provider: embedder.provider, model: embedder.model, reason: 'asynchronous embedder on the synchronous path'})
    }
    const started = performance.now()
    const vector = embedder.embedSync([query.query])[0]
    return this.rank(query, vector, {status: 'used', provider: embedder.provider, model: embedder.model, ms: round(performance.now() - started)})
  }

  /**
   * Recall that waits for the query embedding at most `budgetMs` (default
   * embedding.promptTimeoutMs); past it the request is aborted and the answer is lexical,
   * with `vector.status` saying "timeout". Never slower than the budget plus the lexical work.
   */
  async recallWithBudget(query: RecallQuery, budgetMs = this.promptTimeoutMs): Promise<RecallResult> {
    const embedder = this.vectors?.embedder
    if (!embedder || embedder.embedSync) return this.recall(query)
    const outcome: BudgetedEmbedding = await embedWithinBudget(embedder, query.query, budgetMs)
    const described = {provider: embedder.provider, model: embedder.model, ms: outcome.ms}
    if (outcome.status === 'ok') return this.rank(query, outcome.vector, {status: 'used', ...described})
    return this.rank(query, undefined, {status: outcome.status, ...described, reason: outcome.reason})
  }

  private rank(query: RecallQuery, queryVector: Float32Array | undefined, vector: VectorOutcome): RecallResult {
    const plan = planQuery(query.query, (word) => this.stored(word))
    const terms = plan.map((planned) => planned.term)
    const filter = buildFilter(query)
    const candidates = new Map<number, Candidate>()
    const candidate = (seq: number): Candidate => {
      let entry = candidates.get(seq)
      if (!entry) {
        entry = {lexical: 0, proximity: 0, coordination: 0, context: 0}
        candidates.set(seq, entry)
      }
      return entry
    }

    // 1. Words: bm25 over content words, plus the proximity bonus.
    let topBm25 = 0
    const match = planMatch(plan)
    if (match) {
      for (const row of this.lexical(match, filter)) {
        candidate(row.seq).lexical = row.relevance
        topBm25 = Math.max(topBm25, row.relevance)
      }
      const near = planProximityQuery(plan, PROXIMITY_WINDOW, PROXIMITY_TERMS)
      if (near && topBm25 > 0) {
        // Close pairs only re-score memories that already matched (and passed the filters).
        for (const row of this.ranked(near, LEXICAL_POOL)) {
          const entry = candidates.get(row.seq)
          if (entry) entry.proximity = row.relevance
        }
      }
    }

    // 2. Meaning: nearest memories by cosine similarity, min-max scaled within the pool.
    let topSimilarity = 0
    let vectorStatus = vector
    if (queryVector && this.vectors) {
      if (!this.vectors.ready) {
        vectorStatus = {...vector, status: 'empty'}
      } else {
        const hits = this.vectors.nearest(queryVector, query.agentId, VECTOR_POOL)
        const allowed = this.passing(hits.map((hit) => hit.seq), filter)
        const kept = hits.filter((hit) => allowed.has(hit.seq))
        if (kept.length > 0) {
          topSimilarity = Math.max(0, kept[0].similarity)
          const low = kept[kept.length - 1].similarity
          const span = kept[0].similarity - low
          for (const hit of kept) candidate(hit.seq).similarity = span > 0 ? (hit.similarity - low) / span : 1
        }
      }
    }
    // Coordination: bm25 sums per-word weights, so one rare word can outrank a memory holding
    // every word of the query, and in a small store (a handful of project facts) the weights say
    // almost nothing. Holding more of the query's words, in any form, counts on its own.
    const distinct = matchPlan(plan, terms.join(' ')).count
    if (topBm25 > 0 && distinct > 1) {
      const best = [...candidates.entries()]
        .filter(([, entry]) => entry.lexical > 0)
        .sort((a, b) => b[1].lexical - a[1].lexical)
        .slice(0, COORDINATION_POOL)
        .map(([seq]) => seq)
      for (const [seq, text] of this.textsBySeq(best)) {
        const held = matchPlan(plan, text).count
        candidate(seq).coordination = Math.max(0, held - 1) / (distinct - 1)
      }
    }
    const useVectors = topSimilarity > 0
    const lexicalShare = useVectors ? 1 - VECTOR_WEIGHT : 1
    const own = (entry: Candidate) =>
      (topBm25 > 0 ? (lexicalShare * (entry.lexical + PROXIMITY_WEIGHT * entry.proximity)) / topBm25 : 0) +
      lexicalShare * COORDINATION_WEIGHT * entry.coordination +
      (useVectors ? VECTOR_WEIGHT * (entry.similarity ?? 0) : 0)

    // 3. Context: the best candidates lend part of their score to their conversation neighbours.
    const anchors = [...candidates.entries()]
      .map(([seq, entry]) => ({seq, score: own(entry)}))
      .filter((anchor) => anchor.score > 0)
      .sort((a, b) => b.score - a.score)
      .slice(0, CONTEXT_ANCHORS)
    for (const [seq, amount] of this.lendContext(anchors, filter)) candidate(seq).context = amount

    // 4. Fuse, keep the best, and squash to 0..1 with the query's absolute confidence.
    const ranked = [...candidates.entries()]
      .map(([seq, entry]) => ({seq, entry, fused: own(entry) + CONTEXT_WEIGHT * entry.context}))
      .filter((item) => item.fused > 0)
      .sort((a, b) => b.fused - a.fused || a.seq - b.seq)
      .slice(0, query.limit)
    if (ranked.length === 0) return {hits: [], queryTerms: terms, method: useVectors ? 'hybrid' : 'bm25', vector: vectorStatus}
    const rows = this.rowsBySeq(ranked.map((item) => item.seq))
    // How good the best match is in absolute terms; every hit is scaled from it. bm25 alone
    // says little in a small store (every word is "common" among five memories), so the share
    // of the query's words the best match contains counts too.
    const lexicalConfidence = Math.max(normalizeBm25(topBm25), this.coverage(plan, ranked, rows))
    const confidence = !useVectors
      ? lexicalConfidence
      : topBm25 > 0
        ? lexicalShare * lexicalConfidence + VECTOR_WEIGHT * topSimilarity
        : topSimilarity
    const now = Date.now()
    const topFused = ranked[0].fused
    const hits: RecallHit[] = []
    for (const item of ranked) {
      const row = rows.get(item.seq)
      if (!row) continue
      const relevance = confidence * (item.fused / topFused)
      const ageDays = Math.max(0, (now - Date.parse(row.created_at)) / DAY_MS)
      const recency = 1 / (1 + ageDays / 30)
      // Relevance dominates; importance and recency only break near-ties.
      const score = Math.min(1, relevance * 0.9 + row.importance * 0.06 + recency * 0.04)
      const words = matchPlan(plan, `${row.content} ${row.tags}`)
      const why: RecallWhy = {
        matched: words.matched,
        matchedTerms: words.count,
        signals: {
          bm25: share(item.entry.lexical, topBm25),
          coordination: round3(item.entry.coordination),
          proximity: share(item.entry.proximity, topBm25),
          ...(useVectors ? {vector: round3(item.entry.similarity ?? 0)} : {}),
          context: round3(item.entry.context),
        },
      }
      hits.push({memory: rowToMemory(row), score, source: sourceOf(item.entry), why})
    }
    hits.sort((a, b) => b.score - a.score)
    return {hits, queryTerms: terms, method: useVectors ? 'hybrid' : 'bm25', vector: vectorStatus}
  }

  /** Share of the query's words found in the best word-matching hit, damped so it never alone means certainty. */
  private coverage(plan: PlannedTerm[], ranked: Array<{seq: number; entry: Candidate}>, rows: Map<number, MemoryRow>): number {
    const best = ranked.find((item) => item.entry.lexical > 0)
    const row = best && rows.get(best.seq)
    if (!row || plan.length === 0) return 0
    const distinct = matchPlan(plan, plan.map((planned) => planned.term).join(' ')).count
    return COVERAGE_CEILING * (matchPlan(plan, `${row.content} ${row.tags}`).count / Math.max(1, distinct))
  }

  /** Whether any memory holds `word` (as FTS5 indexes it, stemmed): tells a typo from a word the store knows. */
  private stored(word: string): boolean {
    return this.prepare('SELECT 1 FROM memories_fts WHERE memories_fts MATCH @match LIMIT 1').get({match: `"${word}"`}) !== undefined
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

  /**
   * Top bm25 matches that pass the filters. Fast path: rank in FTS5 alone (a wide pool) and
   * filter the winners, which avoids a row lookup per match at 100k memories; when filters
   * remove too many (another agent's memories dominate), rank again with the filter joined in.
   */
  private lexical(match: string, filter: Filter): Array<{seq: number; relevance: number}> {
    const wide = this.ranked(match, LEXICAL_POOL * LEXICAL_OVERFETCH)
    const allowed = this.passing(wide.map((row) => row.seq), filter)
    const kept = wide.filter((row) => allowed.has(row.seq)).slice(0, LEXICAL_POOL)
    if (kept.length === LEXICAL_POOL || wide.length < LEXICAL_POOL * LEXICAL_OVERFETCH) return kept
    return this.prepare(
      `SELECT m.seq AS seq, -bm25(memories_fts, 1.0, 0.3) AS relevance
       FROM memories_fts JOIN memories m ON m.seq = memories_fts.rowid
       WHERE memories_fts MATCH @match AND ${filter.sql}
       ORDER BY bm25(memories_fts, 1.0, 0.3) LIMIT ${LEXICAL_POOL}`,
    ).all({...filter.params, match}) as Array<{seq: number; relevance: number}>
  }

  /** bm25 ranking in FTS5 alone, no filters. */
  private ranked(match: string, limit: number): Array<{seq: number; relevance: number}> {
    return this.prepare(
      `SELECT rowid AS seq, -bm25(memories_fts, 1.0, 0.3) AS relevance FROM memories_fts
       WHERE memories_fts MATCH @match ORDER BY bm25(memories_fts, 1.0, 0.3) LIMIT @limit`,
    ).all({match, limit}) as Array<{seq: number; relevance: number}>
  }

  /** Which of `seqs` pass the query's filters (agent, project, type, dates, tags, exclusions, not deleted). */
  private passing(seqs: number[], filter: Filter): Set<number> {
    if (seqs.length === 0) return new Set()
    const rows = this
      .prepare(`SELECT m.seq AS seq FROM ${BY_SEQS} WHERE ${filter.sql}`)
      .all({...filter.params, seqs: JSON.stringify(seqs)}) as Array<{seq: number}>
    return new Set(rows.map((row) => row.seq))
  }

  /**
   * Each anchor lends part of its score to the memories stored right before and after it
   * (1–2 positions away in insertion order) that pass the filters and belong to the same
   * conversation. One query fetches anchors and neighbours together.
   */
  private lendContext(anchors: Array<{seq: number; score: number}>, filter: Filter): Map<number, number> {
    const lent = new Map<number, number>()
    if (anchors.length === 0) return lent
    const reach = CONTEXT_DECAY.length
    const around = new Set<number>()
    for (const anchor of anchors) for (let step = -reach; step <= reach; step++) around.add(anchor.seq + step)
    const rows = new Map(
      (
        this.prepare(
          `SELECT m.seq AS seq, m.session_key AS session_key, m.created_at AS created_at FROM ${BY_SEQS}
           WHERE ${filter.sql}`,
        ).all({...filter.params, seqs: JSON.stringify([...around])}) as NeighbourRow[]
      ).map((row) => [row.seq, row]),
    )
    for (const anchor of anchors) {
      const self = rows.get(anchor.seq)
      if (!self) continue
      for (const direction of [-1, 1]) {
        for (let step = 1; step <= reach; step++) {
          const neighbour = rows.get(anchor.seq + direction * step)
          if (!neighbour || !sameConversation(self, neighbour)) break
          lent.set(neighbour.seq, (lent.get(neighbour.seq) ?? 0) + anchor.score * CONTEXT_DECAY[step - 1])
        }
      }
    }
    return lent
  }

  /** Content and tags only, for word matching. */
  private textsBySeq(seqs: number[]): Map<number, string> {
    const rows = this
      .prepare('SELECT seq, content, tags FROM memories WHERE seq IN (SELECT value FROM json_each(?))')
      .all(JSON.stringify(seqs)) as Array<{seq: number; content: string; tags: string}>
    return new Map(rows.map((row) => [row.seq, `${row.content} ${row.tags}`]))
  }

  private rowsBySeq(seqs: number[]): Map<number, MemoryRow> {
    const rows = this
      .prepare('SELECT * FROM memories WHERE seq IN (SELECT value FROM json_each(?))')
      .all(JSON.stringify(seqs)) as MemoryRow[]
    return new Map(rows.map((row) => [row.seq, row]))
  }
}

/** Real context: the same session (both have one, and it is the same) and stored within CONTEXT_GAP_MS. */
export function sameConversation(a: NeighbourRow, b: NeighbourRow): boolean {
  if (a.session_key === null || a.session_key !== b.session_key) return false
  return Math.abs(Date.parse(a.created_at) - Date.parse(b.created_at)) <= CONTEXT_GAP_MS
}

function share(value: number, top: number): number {
  return top > 0 ? round3(value / top) : 0
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000
}

function sourceOf(entry: Candidate): HitSource {
  const lexical = entry.lexical > 0
  const vector = (entry.similarity ?? 0) > 0
  if (lexical && vector) return 'hybrid'
  if (lexical) return 'keyword'
  if (vector) return 'vector'
  return 'context'
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

function round(value: number): number {
  return Math.round(value * 10) / 10
}
