import {readFileSync} from 'node:fs'

import {STATIC_VECTORS_FILE} from './embed/static-vectors.js'

/**
 * Typo tolerance: a query word that is neither an English word nor in the store is probably
 * mistyped ("migratoins", "databse"); its corrections are the English words one edit away
 * (insert, delete, substitute, or swap two neighbours) that the store does hold.
 *
 * The English word list is the 30,000 most frequent words of the GloVe vectors the package
 * already ships for the `local` embedder, in frequency order, so the likeliest correction
 * comes first. Only these words are candidates: correcting towards the store's own
 * vocabulary would turn a rare real word into whatever jargon happens to be one letter away.
 */

/** Shorter words have too many neighbours one edit away to guess from. */
export const MIN_TYPO_LENGTH = 4
/** At most this many corrections per mistyped word. */
const MAX_CORRECTIONS = 2
const LETTERS = 'abcdefghijklmnopqrstuvwxyz'

let english: Map<string, number> | undefined

/** Word → frequency rank (0 = most frequent). Loaded on first use (~2 MB), only when a word looks mistyped. */
export function englishWords(): Map<string, number> {
  if (english) return english
  const bytes = readFileSync(STATIC_VECTORS_FILE)
  const headerLength = bytes.readUInt32LE(4)
  const wordsAt = 8 + headerLength
  const wordsLength = bytes.readUInt32LE(wordsAt)
  const words = bytes.toString('utf8', wordsAt + 4, wordsAt + 4 + wordsLength).split('\n')
  english = new Map()
  for (const [rank, word] of words.entries()) if (/^[a-z]+$/.test(word)) english.set(word, rank)
  return english
}

/** Every string one edit (Damerau: insertion, deletion, substitution, adjacent swap) from `word`. */
export function oneEditAway(word: string): Set<string> {
  const out = new Set<string>()
  for (let i = 0; i <= word.length; i++) {
    const head = word.slice(0, i)
    const tail = word.slice(i)
    if (tail) out.add(head + tail.slice(1))
    if (tail.length > 1) out.add(head + tail[1] + tail[0] + tail.slice(2))
    for (const letter of LETTERS) {
      if (tail) out.add(head + letter + tail.slice(1))
      out.add(head + letter + tail)
    }
  }
  out.delete(word)
  return out
}

/**
 * Frequency rank of an English word, or of the word it inflects: the list holds "migration" but
 * not always "migrations", "deployed" or "caching". Undefined for words that are not English.
 */
export function englishRank(word: string): number | undefined {
  const dictionary = englishWords()
  const direct = dictionary.get(word)
  if (direct !== undefined) return direct
  const bases: string[] = []
  if (word.endsWith('s')) bases.push(word.slice(0, -1))
  if (word.endsWith('es')) bases.push(word.slice(0, -2))
  if (word.endsWith('ed')) bases.push(word.slice(0, -2), word.slice(0, -1))
  if (word.endsWith('ing')) bases.push(word.slice(0, -3), `${word.slice(0, -3)}e`)
  for (const base of bases) {
    const rank = base.length >= 3 ? dictionary.get(base) : undefined
    if (rank !== undefined) return rank
  }
  return undefined
}

/** Could `word` be a typo at all: long enough, letters only, not an English word. */
export function mightBeTypo(word: string): boolean {
  return word.length >= MIN_TYPO_LENGTH && /^[a-z]+$/.test(word) && englishRank(word) === undefined
}

/** Words whose candidates are kept: the same names and unknown words come back query after query. */
const CANDIDATE_CACHE_SIZE = 2_000
const candidateCache = new Map<string, readonly string[]>()

/**
 * English words one edit from `word`, likeliest first: the words a correction may be. Kept per
 * word (the word list never changes): each is a few hundred dictionary lookups, asked twice per
 * recall (planQueryBatched, then planQuery for a word the store lacks).
 */
export function correctionCandidates(word: string): readonly string[] {
  let candidates = candidateCache.get(word)
  if (candidates === undefined) {
    candidates = [...oneEditAway(word)]
      .map((candidate) => ({candidate, rank: englishRank(candidate)}))
      .filter((entry): entry is {candidate: string; rank: number} => entry.rank !== undefined)
      .sort((a, b) => a.rank - b.rank)
      .map((entry) => entry.candidate)
    if (candidateCache.size >= CANDIDATE_CACHE_SIZE) candidateCache.clear()
    candidateCache.set(word, candidates)
  }
  return candidates
}

/**
 * English words one edit from `word` that `stored` says the store holds, likeliest first.
 * Call only for words that mightBeTypo and that the store does not hold as typed.
 */
export function corrections(word: string, stored: (candidate: string) => boolean): string[] {
  const found: string[] = []
  for (const candidate of correctionCandidates(word)) {
    if (found.length >= MAX_CORRECTIONS) break
    if (stored(candidate)) found.push(candidate)
  }
  return found
}
