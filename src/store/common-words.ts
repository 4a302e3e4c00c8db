import type {PlannedTerm} from './query-terms.js'

/**
 * Which query words select recall candidates. FTS5 has no top-k pruning: `ORDER BY bm25 LIMIT k`
 * scores every memory holding any query word, so on a store of a million memories the bm25 pass
 * costs in proportion to the postings of the query's words (bench/README.md, "B8"). On a store of
 * more than COMMON_WORD_FLOOR memories:
 * - a word held by more than max(COMMON_WORD_FLOOR, COMMON_WORD_SHARE of the memories) does not
 *   select candidates;
 * - the others select rarest first while their postings together stay within
 *   COMMON_WORD_BUDGET times that bar (the rarest always selects).
 * A word left out still scores the candidates the others bring (their bm25: LexicalIndex.ranked
 * with `holding`; coordination, the why), so it costs quality only for memories holding no
 * selecting word. The share and budget were chosen by recall@10 of LoCoMo's questions among a
 * million memories, against CPU per recall (bench/tools/b8-quality.mjs; bench/README.md "B8: the
 * prompt hook at a million memories"). When every word is over the bar the whole query selects,
 * as on a small store.
 */
export const COMMON_WORD_FLOOR = 5000
export const COMMON_WORD_SHARE = 0.005
export const COMMON_WORD_BUDGET = 1

export interface CommonWordRule {
  /** Stores of at most this many memories are never affected; no word is common below it. */
  floor: number
  /** A word is common when more than max(floor, share · memories) memories hold it. */
  share: number
  /** The selecting words' postings together stay within this many times that bar. */
  budget: number
}

export const COMMON_WORD_RULE: CommonWordRule = {floor: COMMON_WORD_FLOOR, share: COMMON_WORD_SHARE, budget: COMMON_WORD_BUDGET}

/** The store's side of the rule: its size and its words' document counts, as its index normalises words. */
export interface DocumentCounts {
  /** How many memories the text index holds (an estimate is enough: it sets a bar). */
  indexedMemories(): Promise<number>
  /**
   * How many memories hold each of `words` (single words as typed); a count may stop at `atMost` + 1
   * (enough to tell it is over the bar). A word the index does not hold, or cannot tell, counts 0.
   */
  documentCounts(words: string[], atMost: number): Promise<Map<string, number>>
}

/** The plan candidates are selected with under `rule` (see above); `plan` itself when nothing changes. */
export async function candidatePlan(index: DocumentCounts, plan: PlannedTerm[], rule: CommonWordRule = COMMON_WORD_RULE): Promise<PlannedTerm[]> {
  const single = [
    ...new Set(
      plan.flatMap((planned) => planned.alternatives.filter((alternative) => alternative.words.length === 1).map((alternative) => alternative.words[0])),
    ),
  ]
  if (single.length === 0) return plan
  const memories = await index.indexedMemories()
  if (memories <= rule.floor) return plan
  const bar = Math.floor(Math.max(rule.floor, rule.share * memories))
  return withoutCommonForms(plan, leftOut(await index.documentCounts(single, bar), bar, rule.budget * bar))
}

/** Words over `bar`, and those past the budget when the rest select rarest first (the rarest always selects). */
export function leftOut(counts: Map<string, number>, bar: number, budget: number): Set<string> {
  const out = new Set<string>()
  let spent = 0
  for (const [word, count] of [...counts].sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1))) {
    if (count > bar || (spent > 0 && spent + count > budget)) out.add(word)
    else spent += count
  }
  return out
}

/** The plan without `common` single-word forms (phrases always stay), dropping words left with none; all common → `plan`. */
export function withoutCommonForms(plan: PlannedTerm[], common: Set<string>): PlannedTerm[] {
  if (common.size === 0) return plan
  const isCommon = (words: string[]) => words.length === 1 && common.has(words[0])
  const kept = plan
    .map((planned) => ({term: planned.term, alternatives: planned.alternatives.filter((alternative) => !isCommon(alternative.words))}))
    .filter((planned) => planned.alternatives.length > 0)
  if (kept.length === 0) return plan
  const unchanged = kept.length === plan.length && kept.every((planned, index) => planned.alternatives.length === plan[index].alternatives.length)
  return unchanged ? plan : kept
}
