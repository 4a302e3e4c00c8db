import type {Memory, ProjectFilter} from './memories.js'
import {orQuery, queryTerms} from './query-terms.js'

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
  /**
   * Each signal relative to the query's best: bm25 of its words, proximity of query words, vector
   * similarity, conversation context; speaker and date are 1 when the memory's speaker label, or
   * the day it was created, is one the query names; related is the relevance (best 1) of words close
   * in meaning to the query's, for a hedged question about a named speaker; self is 1 when, in such
   * a question, the memory is that speaker speaking of themselves (first person).
   */
  signals: {
    bm25: number
    coordination: number
    proximity: number
    vector?: number
    context: number
    speaker: number
    date: number
    related: number
    self: number
  }
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

/*
 * Recall's vocabulary: the query, hits, receipts and outcomes every backend returns. The ranking
 * itself is the shared RecallRanker (recall-ranker.ts); a backend's word matching is its
 * LexicalIndex (storage.ts; SQLite's in sqlite/lexical-index.ts).
 */

/**
 * Context is lent only within one session, and only between memories stored this close together:
 * memories without a session (facts typed with `signet remember`, imports) are independent, and
 * neighbours in insertion order are not context unless they come from the same conversation.
 */
export const CONTEXT_GAP_MS = 30 * 60_000

/**
 * Turn any user text into a safe FTS5 query: content words only (stop words dropped unless
 * nothing else is left), each quoted, OR-ed. Operators, quotes, column filters and NEAR in
 * the input are treated as plain words.
 */
export function buildFtsQuery(text: string): string | undefined {
  return orQuery(queryTerms(text))
}

export interface NeighbourRow {
  seq: number
  session_key: string | null
  created_at: string
}

/** Real context: the same session (both have one, and it is the same) and stored within CONTEXT_GAP_MS. */
export function sameConversation(a: NeighbourRow, b: NeighbourRow): boolean {
  if (a.session_key === null || a.session_key !== b.session_key) return false
  return Math.abs(Date.parse(a.created_at) - Date.parse(b.created_at)) <= CONTEXT_GAP_MS
}

/**
 * The label prefixes a memory said by `speaker` (a lowercase name) may start with: lowercase,
 * capitalised ("Caroline: ") or uppercase. Compared byte for byte, so SQLite (whose lower() folds
 * ASCII only) and PostgreSQL (whose lower() follows the database's locale) select the same memories,
 * "Élodie: " included.
 */
/** How many memories holding a name labelledSpeakers reads before it says the name labels none. */
export const LABEL_PROBE_ROWS = 500

export function speakerLabelForms(speaker: string): [string, string, string] {
  const [first = '', ...rest] = [...speaker]
  return [`${speaker}: `, `${first.toUpperCase()}${rest.join('')}: `, `${speaker.toUpperCase()}: `]
}
