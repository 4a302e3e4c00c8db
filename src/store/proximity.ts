import {TAGS_WEIGHT, bm25Idf, bm25Term} from './bm25.js'
import {type PlannedTerm, planProximityPairs} from './query-terms.js'
import type {LexicalIndex} from './storage.js'
import {eachWord, isAscii, openingOf} from './word-runs.js'

/**
 * The proximity signal (docs/architecture.md, "Recall"): query words close together in a memory's
 * content. Scored like FTS5's bm25 of `NEAR("a" "b", window)` for each pair planProximityPairs
 * gives, OR-ed: per pair, each word's occurrences within `window` words of the other's count as its
 * frequency, with the word's IDF over every row and the row's length normalised by the store's
 * average. It is computed here, over the texts of the candidates the words already found, so every
 * backend scores it the same way and none runs a NEAR query over its whole index: on SQLite that
 * query scored every memory holding a pair and computed each pair's IDF twice, which was a third of
 * a recall's CPU once the store held many memories sharing the query's words (bench/README.md,
 * "Proximity among the candidates").
 */

/** What the index knows about its words and rows, for IDF and length normalisation. */
export interface TextStatistics {
  /** Rows the index holds (N). */
  memories: number
  /** Their average length in words, content and tags together (avgdl). */
  averageTokens: number
}

/** The index's side: its terms for words, how many rows hold each word, and N and avgdl. */
export type ProximityIndex = Pick<LexicalIndex, 'indexTerms' | 'documentCounts' | 'textStatistics'>

/** One pair of query words as index terms, with each word's IDF. */
interface TermPair {
  left: string
  right: string
  leftIdf: number
  rightIdf: number
}

/**
 * The proximity relevance of each of `texts` (LexicalIndex.texts: content, a space, the tags as a
 * JSON array) for the pairs of the plan's first `maxTerms` words: only texts where some pair is
 * close get an entry. Words are compared as the index's terms, so a pair matches what the index
 * would match ("painting" beside "paints"): the text's words that could be a query term (they start
 * as one does) are asked for their terms in one batch, which the index keeps.
 */
export async function proximityScores(
  index: ProximityIndex,
  plan: PlannedTerm[],
  texts: Map<number, string>,
  {maxTerms, window}: {maxTerms: number; window: number},
): Promise<Map<number, number>> {
  const scores = new Map<number, number>()
  const wordPairs = planProximityPairs(plan, maxTerms)
  if (wordPairs.length === 0 || texts.size === 0) return scores
  const words = [...new Set(wordPairs.flat())]
  const [terms, documents, statistics] = await Promise.all([
    index.indexTerms(words),
    index.documentCounts(words, Number.MAX_SAFE_INTEGER),
    index.textStatistics(),
  ])
  const idf = (word: string) => bm25Idf(statistics.memories, documents.get(word) ?? 0)
  const pairs: TermPair[] = []
  for (const [left, right] of wordPairs) {
    const leftTerm = terms.get(left)
    const rightTerm = terms.get(right)
    if (leftTerm && rightTerm) pairs.push({left: leftTerm, right: rightTerm, leftIdf: idf(left), rightIdf: idf(right)})
  }
  if (pairs.length === 0) return scores
  // A stemmer rewrites at most a term's last three letters ("sensibility" → "sensibl"; Snowball's
  // irregular "dying", "lying" and "tying" aside): a word can only be a wanted term if it starts
  // with the rest, the term's core. Only such words are looked up, and a text holding no two cores
  // holds no pair and is not split into words at all.
  const cores = [...new Set(pairs.flatMap((pair) => [pair.left, pair.right]))].map((term) => term.slice(0, Math.max(2, term.length - 3)))
  const coresByOpening = new Map<number, string[]>()
  for (const core of cores) {
    const opening = openingOf(core, 0, core.length)
    coresByOpening.set(opening, [...(coresByOpening.get(opening) ?? []), core])
  }
  // Two query words with one term ("painting paints") pair with themselves: one term suffices.
  const needed = pairs.some((pair) => pair.left === pair.right) ? 1 : 2
  const split = new Map<number, SplitText>()
  const asked = new Set<string>()
  for (const [seq, text] of texts) {
    const folded = fold(text)
    let held = 0
    for (const core of cores) if (folded.includes(core) && ++held === needed) break
    if (held < needed) continue
    const words = splitText(folded, coresByOpening)
    if (words.candidates.length < needed) continue
    split.set(seq, words)
    for (const candidate of words.candidates) asked.add(candidate.word)
  }
  if (split.size === 0) return scores
  const termOf = await index.indexTerms([...asked])
  const averageTokens = Math.max(statistics.averageTokens, 1e-6)
  for (const [seq, {candidates, tokens}] of split) {
    const content = new Map<string, number[]>()
    const tags = new Map<string, number[]>()
    for (const {word, at, inTags} of candidates) {
      const term = termOf.get(word)
      if (!term) continue
      const positions = inTags ? tags : content
      const list = positions.get(term)
      if (list) list.push(at)
      else positions.set(term, [at])
    }
    // A word's frequency for a pair: its occurrences near the other's in the content, and at
    // TAGS_WEIGHT in the tags (a NEAR match is within one column).
    const frequency = (self: string, other: string) =>
      nearIn(content, self, other, window) + (tags.size > 1 ? TAGS_WEIGHT * nearIn(tags, self, other, window) : 0)
    let relevance = 0
    for (const pair of pairs) {
      relevance += bm25Term(pair.leftIdf, frequency(pair.left, pair.right), tokens, averageTokens)
      relevance += bm25Term(pair.rightIdf, frequency(pair.right, pair.left), tokens, averageTokens)
    }
    if (relevance > 0) scores.set(seq, relevance)
  }
  return scores
}

function nearIn(positions: Map<string, number[]>, self: string, other: string, window: number): number {
  const mine = positions.get(self)
  const theirs = positions.get(other)
  return mine && theirs ? nearCount(mine, theirs, window) : 0
}

/**
 * Occurrences in `self` with one in `other` at most `window` words between them (FTS5 NEAR). Two
 * query words with one term share their occurrences, and FTS5 lets an occurrence be near itself.
 * Both lists are ascending (word order), so one walk over each does: a memory of 100,000 characters
 * repeating two query words costs linear time, as FTS5's NEAR did.
 */
export function nearCount(self: number[], other: number[], window: number): number {
  let count = 0
  let next = 0
  for (const at of self) {
    while (next < other.length && other[next] < at - window - 1) next++
    if (next < other.length && other[next] <= at + window + 1) count++
  }
  return count
}

interface SplitText {
  /** The words that start as a wanted term does, with their position and column. */
  candidates: Array<{word: string; at: number; inTags: boolean}>
  /** Words in content and tags together: the row's length, as the index counts it. */
  tokens: number
}

/** A folded text's words (./word-runs.ts), those that could be wanted kept, each marked as the content's or the tags'. */
function splitText(text: string, coresByOpening: Map<number, string[]>): SplitText {
  const tagsAt = text.endsWith(']') ? text.lastIndexOf(' [') : -1
  const contentEnd = tagsAt >= 0 ? tagsAt : text.length
  const candidates: Array<{word: string; at: number; inTags: boolean}> = []
  let tokens = 0
  eachWord(text, (start, end) => {
    if (startsWithCore(text, start, end, coresByOpening)) candidates.push({word: text.slice(start, end), at: tokens, inTags: start >= contentEnd})
    tokens++
  })
  return {candidates, tokens}
}

/** Whether the word text[start, end) starts with one of the cores (found by its first two letters). */
function startsWithCore(text: string, start: number, end: number, coresByOpening: Map<number, string[]>): boolean {
  const cores = coresByOpening.get(openingOf(text, start, end))
  return cores !== undefined && cores.some((core) => core.length <= end - start && text.startsWith(core, start))
}

/** Lowercased, diacritics removed (search-text.ts), the normalisation skipped for ASCII text. */
function fold(text: string): string {
  return isAscii(text)
    ? text.toLowerCase()
    : text
        .normalize('NFD')
        .replace(/\p{M}+/gu, '')
        .toLowerCase()
}
