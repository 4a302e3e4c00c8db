import {candidatePlan} from './common-words.js'
import {proximityScores} from './proximity.js'
import {type BudgetedEmbedding, DEFAULT_PROMPT_TIMEOUT_MS, embedWithinBudget} from './embed/embedder.js'
import {type MemoryRow, rowToMemory} from './memories.js'
import {type NamedDate, datesNamedIn, namedDateSpan, onNamedDate} from './query-dates.js'
import {type PlanMatch, type PlannedTerm, isStopWord, matchPlan, planQueryBatched} from './query-terms.js'
import {wordNeighbours} from './embed/word-neighbours.js'
import {
  type HitSource,
  type NeighbourRow,
  type RecallHit,
  type RecallQuery,
  type RecallResult,
  type RecallWhy,
  sameConversation,
  type VectorOutcome,
} from './search.js'
import type {LexicalIndex, RecallRepository, VectorRepository} from './storage.js'

/*
 * The recall ranker every backend shares (docs/architecture.md, "Storage"): a backend gives it a
 * LexicalIndex (its word matching and row reads) and, when it holds vectors, a VectorRepository;
 * every quality decision — pools, weights, proximity, coordination, conversation context,
 * confidence and the per-hit why — is made here, so recall ranks the same on every backend.
 */

// Ranking constants: round values chosen on LoCoMo (never per question; the coordination ones on
// three of the five conversations, confirmed on the other two); the sensitivity of each is in
// bench/README.md.
/** Lexical candidates considered per query. */
const LEXICAL_POOL = 100
/** Ranked without filters first, this many times the pool, then filtered (see lexical()). */
const LEXICAL_OVERFETCH = 2
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
 * A question (a memory ending in "?") followed by a reply in the same conversation: it lends its
 * reply this many times its usual context share, and keeps this share of its own score, since the
 * reply, not the question, is what answers (a question is rarely the memory asked for).
 */
const QUESTION_LENDS = 1.5
const QUESTION_KEEPS = 0.7
/**
 * A memory said by someone the query names ("Caroline: …" for "what did Caroline paint?") gains
 * this much, on the scale where the best word match is 1. The name's own bm25 says nearly nothing:
 * in a two-person conversation half the memories carry it.
 */
const SPEAKER_WEIGHT = 0.6
/** The speaker is read for this many of the best candidates (their texts, read once per query with coordination's and the questions'). */
const SPEAKER_POOL = 60
/** A memory created on the day (or in the month) the query names gains this much, on the same scale. */
const DATE_WEIGHT = 0.3
/** The most that word coverage alone can make a hit's confidence (bm25 or vectors must do the rest). */
const COVERAGE_CEILING = 0.8
/** bm25 → 0..1: half-way at this raw score. */
const BM25_HALF = 3

/**
 * A question asking what someone would, might or is likely to do or be: hedged, it asks for an
 * inference from what they said, not for a statement in its own words.
 */
const HEDGED_QUESTION = /\b(?:would|might|likely|probably|could|considered)\b/i
/** Word-vector neighbours searched per query word, and how close (cosine) each must be. */
const RELATED_NEIGHBOURS = 10
const RELATED_MIN_SIMILARITY = 0.65
/** Memories of the named speaker ranked by those neighbours, and what the best of them gains (scaled to the best word match's 1). */
const RELATED_POOL = 50
const RELATED_WEIGHT = 0.15
/**
 * In a hedged question about someone, their memories that speak of themselves ("I", "my", "me")
 * gain this much, on the same scale: what they would do or be is read from what they say of
 * themselves, not from their replies about the other person ("Wow, that's amazing!"). Added
 * outside a question's QUESTION_KEEPS share: a question said in the first person is still theirs.
 */
const SELF_WEIGHT = 0.3
/** Named people whose memories are searched this way, per query. */
const MAX_RELATED_SPEAKERS = 2

const DAY_MS = 86_400_000

/** BM25 is unbounded; squash it to 0..1 so a threshold means the same thing for every query. */
function normalizeBm25(raw: number): number {
  const x = Math.max(0, raw)
  return x / (x + BM25_HALF)
}

interface Candidate {
  lexical: number
  proximity: number
  /** Share of the query's distinct words this memory holds in some form, beyond the first. */
  coordination: number
  similarity?: number
  context: number
  /** 1 when the memory was created on a date the query names. */
  date: number
  /** 1 when the memory's speaker label names someone the query names. */
  speaker: number
  /** Relevance (best 1) of word-vector neighbours of the query's words, in a hedged question about a named speaker's memories. */
  related: number
  /** 1 when, in a hedged question about someone, a memory they said speaks of themselves (first person). */
  self: number
  /** A question with a reply after it in the same conversation (lends forward, keeps less of its own score). */
  asking?: boolean
}

export interface RecallRankerOptions {
  /** Vectors of the configured embedder; absent when `embedding.provider` is none. */
  vectors?: VectorRepository
  /** Budget for embedding a query (agent.yaml embedding.promptTimeoutMs). */
  promptTimeoutMs?: number
}

/**
 * Hybrid recall: bm25 over content words (with their table equivalents and typo corrections), a
 * proximity bonus for query words close together, a coordination bonus for holding more of the
 * query's words, cosine similarity from the configured embedder, and conversation context from
 * neighbouring memories of the same session, fused and squashed to 0..1. Each hit carries its why
 * (matched words, signals).
 */
export class RecallRanker implements RecallRepository {
  private readonly vectors: VectorRepository | undefined
  private readonly promptTimeoutMs: number

  constructor(
    private readonly index: LexicalIndex,
    options: RecallRankerOptions = {},
  ) {
    this.vectors = options.vectors
    this.promptTimeoutMs = options.promptTimeoutMs ?? DEFAULT_PROMPT_TIMEOUT_MS
  }

  get embedder() {
    return this.vectors?.embedder
  }

  /**
   * Recall that waits for the query embedding at most `budgetMs` (default
   * embedding.promptTimeoutMs); past it the request is aborted and the answer is lexical, with
   * `vector.status` saying "timeout". An in-process embedder (`local`) is simply called.
   */
  async recall(query: RecallQuery, budgetMs = this.promptTimeoutMs): Promise<RecallResult> {
    const embedder = this.vectors?.embedder
    if (!embedder) return this.rank(query, undefined, {status: 'disabled'})
    if (embedder.embedSync) {
      const started = performance.now()
      const vector = embedder.embedSync([query.query])[0]
      return this.rank(query, vector, {status: 'used', provider: embedder.provider, model: embedder.model, ms: round(performance.now() - started)})
    }
    const outcome: BudgetedEmbedding = await embedWithinBudget(embedder, query.query, budgetMs)
    const described = {provider: embedder.provider, model: embedder.model, ms: outcome.ms}
    if (outcome.status === 'ok') return this.rank(query, outcome.vector, {status: 'used', ...described})
    return this.rank(query, undefined, {status: outcome.status, ...described, reason: outcome.reason})
  }

  private async rank(query: RecallQuery, queryVector: Float32Array | undefined, vector: VectorOutcome): Promise<RecallResult> {
    const index = this.index
    const plan = await planQueryBatched(query.query, (words) => index.storedWords(words))
    const terms = plan.map((planned) => planned.term)
    // Very common words do not select candidates on a large store (./common-words.ts); they still count in coordination.
    const selecting = await candidatePlan(index, plan)
    const candidates = new Map<number, Candidate>()
    const candidate = (seq: number): Candidate => {
      let entry = candidates.get(seq)
      if (!entry) {
        entry = {lexical: 0, proximity: 0, coordination: 0, context: 0, date: 0, speaker: 0, related: 0, self: 0}
        candidates.set(seq, entry)
      }
      return entry
    }

    // Texts read once per query: proximity, coordination, questions and speakers look at
    // overlapping candidates (the word matches' come with the filter check, lexical()).
    const texts = new Map<number, string>()
    // 1. Words: bm25 over content words, plus the proximity bonus.
    let topBm25 = 0
    if (plan.length > 0) {
      for (const row of await this.lexical(plan, selecting, query, texts)) {
        candidate(row.seq).lexical = row.relevance
        topBm25 = Math.max(topBm25, row.relevance)
      }
    }
    const readTexts = async (seqs: number[]) => {
      const missing = seqs.filter((seq) => !texts.has(seq))
      if (missing.length > 0) for (const [seq, text] of await index.texts(missing)) texts.set(seq, text)
      return texts
    }
    if (topBm25 > 0) {
      // Close pairs only re-score memories that already matched (and passed the filters), in their texts (./proximity.ts).
      // Here `texts` holds exactly the word matches (lexical() and this read).
      await readTexts([...candidates.keys()])
      const near = await proximityScores(index, selecting, texts, {maxTerms: PROXIMITY_TERMS, window: PROXIMITY_WINDOW})
      for (const [seq, relevance] of near) candidate(seq).proximity = relevance
    }

    // Dates: a query naming a day or a month ranks the memories created then among the words'
    // matches too (a second bm25 pass within that span), and they gain DATE_WEIGHT.
    const dates = plan.length > 0 ? datesNamedIn(query.query) : []
    if (dates.length > 0) {
      for (const row of await this.datedLexical(selecting, query, dates)) {
        const entry = candidate(row.seq)
        if (entry.lexical === 0) entry.lexical = row.relevance
        topBm25 = Math.max(topBm25, row.relevance)
      }
      for (const row of await index.neighbours([...candidates.keys()], query)) {
        if (dates.some((date) => onNamedDate(row.created_at, date))) candidate(row.seq).date = 1
      }
    }

    // Related words: a hedged question about someone ("Would Caroline be considered religious?",
    // "What job might Maria pursue?") asks what their own statements imply, and those rarely use the
    // question's words ("the church", "volunteering at the shelter"). Among the memories that person
    // said, those holding a close word-vector neighbour of a query word (./embed/word-neighbours.ts)
    // gain RELATED_WEIGHT; they are that person's, so they count as named-speaker memories too.
    const named = namesIn(query.query)
    // Only when some memory is labelled as said by that person: the neighbour table is then read
    // (once per process), and a store that merely mentions the name pays one bounded probe.
    const speakers = named.size > 0 && HEDGED_QUESTION.test(query.query) ? [...(await index.labelledSpeakers([...named].slice(0, MAX_RELATED_SPEAKERS)))] : []
    if (speakers.length > 0) {
      // The common-word rule holds for this pass too: on a large store a neighbour held by
      // thousands of memories would have every one of them scored (./common-words.ts).
      const related = await candidatePlan(index, relatedPlan(plan, named))
      if (related.length > 0) {
        const found: Array<{seq: number; relevance: number}> = []
        for (const name of speakers) found.push(...(await index.rankedSaidBy(related, query, name, RELATED_POOL)))
        const top = Math.max(0, ...found.map((row) => row.relevance))
        for (const row of found) {
          const entry = candidate(row.seq)
          entry.related = Math.max(entry.related, top > 0 ? row.relevance / top : 0)
          entry.speaker = 1
        }
      }
    }

    // 2. Meaning: nearest memories by cosine similarity, min-max scaled within the pool.
    let topSimilarity = 0
    let vectorStatus = vector
    if (queryVector && this.vectors) {
      if (!(await this.vectors.ready())) {
        vectorStatus = {...vector, status: 'empty'}
      } else {
        const hits = await this.vectors.nearest(queryVector, query.agentId, VECTOR_POOL)
        const allowed = await index.passing(
          hits.map((hit) => hit.seq),
          query,
        )
        const kept = hits.filter((hit) => allowed.has(hit.seq))
        for (const hit of kept) texts.set(hit.seq, allowed.get(hit.seq)!)
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
    // The same text is matched against the plan for coordination, coverage and each hit's why: once.
    const matches = new Map<string, PlanMatch>()
    const matchOf = (text: string): PlanMatch => {
      let found = matches.get(text)
      if (!found) {
        found = matchPlan(plan, text)
        matches.set(text, found)
      }
      return found
    }
    const distinct = matchOf(terms.join(' ')).count
    if (topBm25 > 0 && distinct > 1) {
      const best = [...candidates.entries()]
        .filter(([, entry]) => entry.lexical > 0)
        .sort((a, b) => b[1].lexical - a[1].lexical)
        .slice(0, COORDINATION_POOL)
        .map(([seq]) => seq)
      await readTexts(best)
      for (const seq of best) {
        const held = matchOf(texts.get(seq) ?? '').count
        candidate(seq).coordination = Math.max(0, held - 1) / (distinct - 1)
      }
    }
    const useVectors = topSimilarity > 0
    const lexicalShare = useVectors ? 1 - VECTOR_WEIGHT : 1
    const own = (entry: Candidate) =>
      (topBm25 > 0 ? (lexicalShare * (entry.lexical + PROXIMITY_WEIGHT * entry.proximity)) / topBm25 : 0) +
      lexicalShare * COORDINATION_WEIGHT * entry.coordination +
      DATE_WEIGHT * entry.date +
      RELATED_WEIGHT * entry.related +
      (useVectors ? VECTOR_WEIGHT * (entry.similarity ?? 0) : 0)

    // 3. Context: the best candidates lend part of their score to their conversation neighbours.
    const anchors = [...candidates.entries()]
      .map(([seq, entry]) => ({seq, score: own(entry)}))
      .filter((anchor) => anchor.score > 0)
      .sort((a, b) => b.score - a.score)
      .slice(0, CONTEXT_ANCHORS)
    await readTexts(anchors.map((anchor) => anchor.seq))
    const questions = new Set(anchors.filter((anchor) => isQuestion(texts.get(anchor.seq) ?? '')).map((anchor) => anchor.seq))
    const context = await this.lendContext(anchors, questions, query)
    for (const [seq, amount] of context.lent) candidate(seq).context = amount
    for (const seq of context.asking) candidate(seq).asking = true

    // 4. Speakers: the best candidates said by someone the query names gain SPEAKER_WEIGHT (after
    // context, so a named speaker's memory does not lift its neighbours), and in a hedged question
    // about them (a speaker the related-words pass found labelled) those in the first person gain SELF_WEIGHT.
    const fuse = (entry: Candidate) =>
      (own(entry) + SPEAKER_WEIGHT * entry.speaker) * (entry.asking ? QUESTION_KEEPS : 1) + SELF_WEIGHT * entry.self + CONTEXT_WEIGHT * entry.context
    const leading = [...candidates.entries()]
      .map(([seq, entry]) => ({seq, fused: fuse(entry)}))
      .filter((item) => item.fused > 0)
      .sort((a, b) => b.fused - a.fused || a.seq - b.seq)
      .slice(0, SPEAKER_POOL)
    await readTexts(leading.map((item) => item.seq))
    for (const item of leading) {
      const label = speakerOf(texts.get(item.seq) ?? '')
      if (label.some((word) => named.has(word))) candidate(item.seq).speaker = 1
    }
    if (speakers.length > 0) {
      for (const item of leading) {
        const entry = candidate(item.seq)
        if (entry.speaker === 1 && speaksOfSelf(texts.get(item.seq) ?? '')) entry.self = 1
      }
    }

    // 5. Fuse, keep the best, and squash to 0..1 with the query's absolute confidence.
    const ranked = [...candidates.entries()]
      .map(([seq, entry]) => ({seq, entry, fused: fuse(entry)}))
      .filter((item) => item.fused > 0)
      .sort((a, b) => b.fused - a.fused || a.seq - b.seq)
      .slice(0, query.limit)
    if (ranked.length === 0) return {hits: [], queryTerms: terms, method: useVectors ? 'hybrid' : 'bm25', vector: vectorStatus}
    const rows = await index.rows(ranked.map((item) => item.seq))
    // How good the best match is in absolute terms; every hit is scaled from it. bm25 alone
    // says little in a small store (every word is "common" among five memories), so the share
    // of the query's words the best match contains counts too.
    const lexicalConfidence = Math.max(normalizeBm25(topBm25), coverage(plan, ranked, rows, matchOf))
    const confidence = !useVectors ? lexicalConfidence : topBm25 > 0 ? lexicalShare * lexicalConfidence + VECTOR_WEIGHT * topSimilarity : topSimilarity
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
      const words = matchOf(`${row.content} ${row.tags}`)
      const why: RecallWhy = {
        matched: words.matched,
        matchedTerms: words.count,
        signals: {
          bm25: share(item.entry.lexical, topBm25),
          coordination: round3(item.entry.coordination),
          proximity: share(item.entry.proximity, topBm25),
          ...(useVectors ? {vector: round3(item.entry.similarity ?? 0)} : {}),
          context: round3(item.entry.context),
          speaker: item.entry.speaker,
          date: item.entry.date,
          related: round3(item.entry.related),
          self: item.entry.self,
        },
      }
      hits.push({memory: rowToMemory(row), score, source: sourceOf(item.entry), why})
    }
    hits.sort((a, b) => b.score - a.score)
    return {hits, queryTerms: terms, method: useVectors ? 'hybrid' : 'bm25', vector: vectorStatus}
  }

  /**
   * Top bm25 matches that pass the filters. Fast path: rank in the text index alone (a wide pool)
   * and filter the winners, which avoids a row lookup per match at 100k memories; when filters
   * remove too many (another agent's memories dominate), rank again with the filter applied.
   * The memories holding a selecting word are the candidates; the whole plan scores them
   * (LexicalIndex.ranked), so a common word a candidate holds still counts in its bm25.
   */
  private async lexical(
    plan: PlannedTerm[],
    selecting: PlannedTerm[],
    query: RecallQuery,
    texts: Map<number, string>,
  ): Promise<Array<{seq: number; relevance: number}>> {
    const wide = await this.index.ranked(plan, LEXICAL_POOL * LEXICAL_OVERFETCH, selecting)
    // The best pool's worth first: when they all pass (one agent, no filter that bites) the rest
    // need no row lookups. The rows read give the kept memories' texts too (`texts`).
    const allowed = await this.index.passing(
      wide.slice(0, LEXICAL_POOL).map((row) => row.seq),
      query,
    )
    if (allowed.size < LEXICAL_POOL && wide.length > LEXICAL_POOL) {
      for (const [seq, text] of await this.index.passing(
        wide.slice(LEXICAL_POOL).map((row) => row.seq),
        query,
      ))
        allowed.set(seq, text)
    }
    const kept = wide.filter((row) => allowed.has(row.seq)).slice(0, LEXICAL_POOL)
    for (const row of kept) texts.set(row.seq, allowed.get(row.seq)!)
    if (kept.length === LEXICAL_POOL || wide.length < LEXICAL_POOL * LEXICAL_OVERFETCH) return kept
    return this.index.rankedWithin(selecting, query, LEXICAL_POOL)
  }

  /**
   * bm25 matches created within each dated span the query names (those with a year), so the
   * memories of that day compete with the whole store's best matches.
   */
  private async datedLexical(plan: PlannedTerm[], query: RecallQuery, dates: NamedDate[]): Promise<Array<{seq: number; relevance: number}>> {
    const found: Array<{seq: number; relevance: number}> = []
    for (const date of dates) {
      const span = namedDateSpan(date)
      if (!span) continue
      const since = query.since !== undefined && query.since > span.since ? query.since : span.since
      const until = query.until !== undefined && query.until < span.until ? query.until : span.until
      if (since > until) continue
      found.push(...(await this.index.rankedWithin(plan, {...query, since, until}, LEXICAL_POOL)))
    }
    return found
  }

  /**
   * Each anchor lends part of its score to the memories stored right before and after it
   * (1–2 positions away in insertion order) that pass the filters and belong to the same
   * conversation; a question lends its reply (the next memory) QUESTION_LENDS times as much.
   * One read fetches anchors and neighbours together. `asking`: the questions that have a reply.
   */
  private async lendContext(
    anchors: Array<{seq: number; score: number}>,
    questions: Set<number>,
    query: RecallQuery,
  ): Promise<{lent: Map<number, number>; asking: Set<number>}> {
    const lent = new Map<number, number>()
    const asking = new Set<number>()
    if (anchors.length === 0) return {lent, asking}
    const reach = CONTEXT_DECAY.length
    // A memory without a session joins no conversation (sameConversation), as anchor or as
    // neighbour: the anchors are read first, and only those with a session have theirs read (none,
    // in a store of memories remembered outside any session).
    const rows = new Map<number, NeighbourRow>(
      (
        await this.index.neighbours(
          anchors.map((anchor) => anchor.seq),
          query,
          {sessionsOnly: true},
        )
      ).map((row) => [row.seq, row]),
    )
    if (rows.size === 0) return {lent, asking}
    const around = new Set<number>()
    for (const seq of rows.keys()) for (let step = -reach; step <= reach; step++) if (!rows.has(seq + step)) around.add(seq + step)
    for (const row of await this.index.neighbours([...around], query, {sessionsOnly: true})) rows.set(row.seq, row)
    for (const anchor of anchors) {
      const self = rows.get(anchor.seq)
      if (!self) continue
      for (const direction of [-1, 1]) {
        for (let step = 1; step <= reach; step++) {
          const neighbour = rows.get(anchor.seq + direction * step)
          if (!neighbour || !sameConversation(self, neighbour)) break
          const replied = direction > 0 && questions.has(anchor.seq)
          if (replied) asking.add(anchor.seq)
          lent.set(neighbour.seq, (lent.get(neighbour.seq) ?? 0) + anchor.score * CONTEXT_DECAY[step - 1] * (replied ? QUESTION_LENDS : 1))
        }
      }
    }
    return {lent, asking}
  }
}

/**
 * A memory that asks rather than tells: its content ends with a question mark. `text` is what
 * LexicalIndex.texts gives: the content, a space, and the tags as a JSON array.
 */
function isQuestion(text: string): boolean {
  return contentOf(text).trimEnd().endsWith('?')
}

/** The content of what LexicalIndex.texts gives (the content, a space, the tags as a JSON array). */
function contentOf(text: string): string {
  const tags = text.lastIndexOf(' [')
  return tags >= 0 && text.endsWith(']') ? text.slice(0, tags) : text
}

const FIRST_PERSON = /\b(?:i|my|me|mine|myself)\b/i

/**
 * A memory in which its speaker speaks of themselves: past the speaker label, its content says I,
 * me, my, mine or myself ("Caroline: I'm keen on counseling"); "Caroline: Wow, that's amazing!" does
 * not. `text` is what LexicalIndex.texts gives; the tags are not read.
 */
export function speaksOfSelf(text: string): boolean {
  const content = contentOf(text)
  const label = SPEAKER_LABEL.exec(content)
  return FIRST_PERSON.test(label ? content.slice(label[0].length) : content)
}

/**
 * The speaker label a memory starts with ("Caroline: …", "Dr Ruiz: …"): one to three capitalised
 * words and a colon, as lowercase words; none for other text ("Lumen tests: …" is a heading, and
 * "The fix: …" a sentence, not a speaker) or for a transcript's role ("User: …", "Assistant: …"):
 * a query saying "user" is not asking what the user said.
 */
const SPEAKER_LABEL = /^(\p{Lu}[\p{L}\p{N}'’.-]{0,30}(?: \p{Lu}[\p{L}\p{N}'’.-]{0,30}){0,2}):\s/u
const ROLE_LABELS = new Set(['user', 'assistant', 'system', 'human', 'ai', 'model', 'tool'])

/**
 * The names a query mentions: words written capitalised anywhere but at the start of a sentence
 * ("What did Melanie paint?"), as lowercase words. A capitalised heading word such as "Decision:"
 * or "Note:" is a label, not a person; it counts only when the query capitalises it mid-sentence.
 */
export function namesIn(query: string): Set<string> {
  const names = new Set<string>()
  let sentenceStart = true
  for (const token of query.split(/\s+/)) {
    if (token === '') continue
    const word = trimToWord(token)
    if (!sentenceStart && /^\p{Lu}/u.test(word)) {
      for (const part of word.toLowerCase().split(/[^\p{L}\p{N}]+/u)) if (part) names.add(part)
    }
    // A full stop after a short capitalised word is an abbreviation ("Dr.", "Mrs."), not a sentence end.
    sentenceStart = /[?!:]$/.test(token) || (token.endsWith('.') && !/^\p{Lu}\p{L}{0,3}\.$/u.test(token))
  }
  return names
}

const LETTER_OR_DIGIT = /^[\p{L}\p{N}]$/u

/** A token without the punctuation around it, by index (no regular expression runs over the token). */
function trimToWord(token: string): string {
  const chars = [...token]
  let start = 0
  let end = chars.length
  while (start < end && !LETTER_OR_DIGIT.test(chars[start])) start++
  while (end > start && !LETTER_OR_DIGIT.test(chars[end - 1])) end--
  return chars.slice(start, end).join('')
}

export function speakerOf(content: string): string[] {
  const label = SPEAKER_LABEL.exec(content)
  return label && !ROLE_LABELS.has(label[1].toLowerCase())
    ? label[1]
        .toLowerCase()
        .split(/[^\p{L}\p{N}]+/u)
        .filter((word) => word.length > 0)
    : []
}

/** Share of the query's words found in the best word-matching hit, damped so it never alone means certainty. */
function coverage(
  plan: PlannedTerm[],
  ranked: Array<{seq: number; entry: Candidate}>,
  rows: Map<number, MemoryRow>,
  matchOf: (text: string) => PlanMatch,
): number {
  const best = ranked.find((item) => item.entry.lexical > 0)
  const row = best && rows.get(best.seq)
  if (!row || plan.length === 0) return 0
  const distinct = matchOf(plan.map((planned) => planned.term).join(' ')).count
  return COVERAGE_CEILING * (matchOf(`${row.content} ${row.tags}`).count / Math.max(1, distinct))
}

function share(value: number, top: number): number {
  return top > 0 ? round3(value / top) : 0
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000
}

function round(value: number): number {
  return Math.round(value * 10) / 10
}

function sourceOf(entry: Candidate): HitSource {
  const lexical = entry.lexical > 0
  const vector = (entry.similarity ?? 0) > 0
  if (lexical && vector) return 'hybrid'
  if (lexical) return 'keyword'
  if (vector) return 'vector'
  return 'context'
}

/** The close word-vector neighbours of the plan's words (not the names, not words already searched), as a plan of their own. */
function relatedPlan(plan: PlannedTerm[], named: Set<string>): PlannedTerm[] {
  const searched = new Set(plan.map((planned) => planned.term))
  const related = new Set<string>()
  for (const planned of plan) {
    if (named.has(planned.term)) continue
    for (const word of wordNeighbours(planned.term, RELATED_NEIGHBOURS, RELATED_MIN_SIMILARITY)) {
      if (!searched.has(word) && !named.has(word) && !isStopWord(word)) related.add(word)
    }
  }
  return [...related].map((term) => ({term, alternatives: [{words: [term], route: 'word'}]}))
}
