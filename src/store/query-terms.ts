import {type Alternative, equivalentsOf} from './vocabulary.js'
import {correctionCandidates, corrections, mightBeTypo} from './typo.js'
import {eachWord, openingOf} from './word-runs.js'

/**
 * Turning free text (a question, a user prompt) into search terms.
 * Function words carry no topic, and in an OR query they pull in every memory that
 * happens to contain "what" or "the"; dropping them was the largest single recall gain
 * measured on LoCoMo (see bench/README.md).
 */
const STOP_WORDS = new Set(
  `a about above after again against all also am an and any are aren't as at be because been before being below
  between both but by can can't cannot could couldn't did didn't do does doesn't doing don't down during each few
  for from further had hadn't has hasn't have haven't having he he'd he'll he's her here here's hers herself him
  himself his how how's i i'd i'll i'm i've if in into is isn't it it's its itself just let's me more most mustn't
  my myself no nor not of off on once only or other ought our ours ourselves out over own same shan't she she'd
  she'll she's should shouldn't so some such than that that's the their theirs them themselves then there there's
  these they they'd they'll they're they've this those through to too under until up very was wasn't we we'd we'll
  we're we've were weren't what what's when when's where where's which while who who's whom why why's will with
  won't would wouldn't you you'd you'll you're you've your yours yourself yourselves s t d ll m re ve
  kind type sort likely`.split(/\s+/),
)

export const MAX_QUERY_TERMS = 32

export function isStopWord(word: string): boolean {
  return STOP_WORDS.has(word)
}

/**
 * Distinct lowercase words of `text` in order of appearance, without stop words
 * (unless the text is nothing but stop words), at most MAX_QUERY_TERMS.
 */
export function queryTerms(text: string): string[] {
  const all: string[] = []
  const seen = new Set<string>()
  for (const match of text.toLowerCase().matchAll(/[\p{L}\p{N}]+/gu)) {
    if (seen.has(match[0])) continue
    seen.add(match[0])
    all.push(match[0])
  }
  const content = all.filter((word) => !STOP_WORDS.has(word))
  return (content.length > 0 ? content : all).slice(0, MAX_QUERY_TERMS)
}

/** FTS5 query matching any of the terms; each is quoted, so no input is ever an operator. */
export function orQuery(terms: string[]): string | undefined {
  return terms.length === 0 ? undefined : terms.map((term) => `"${term}"`).join(' OR ')
}

/**
 * Rough suffix stripping, enough to match "deploys"/"deploy" the way FTS5's porter stemmer does.
 * A final "e" goes too, so "database"/"databases" and "cache"/"cached" meet.
 */
export function lightStem(word: string): string {
  let stem = word
  for (const suffix of ['ingly', 'edly', 'ing', 'ed', 'es', 's', 'ly']) {
    if (word.endsWith(suffix) && word.length - suffix.length >= 3) {
      stem = word.slice(0, -suffix.length)
      break
    }
  }
  return stem.length > 3 && stem.endsWith('e') ? stem.slice(0, -1) : stem
}

/** A query word and every form it is searched as: itself first, then table equivalents or typo corrections. */
export interface PlannedTerm {
  term: string
  alternatives: Alternative[]
}

/**
 * The query's content words (queryTerms), each with its alternatives: the vocabulary table's
 * equivalents ("db" → "database"), and for a word that is neither English nor in the store
 * (`stored` says which words the store holds), its one-edit corrections. Without `stored`
 * no typo correction is attempted.
 */
export function planQuery(text: string, stored?: (word: string) => boolean): PlannedTerm[] {
  const checked = new Set(typoCheckedTerms(text))
  return queryTerms(text).map((term) => {
    const alternatives: Alternative[] = [{words: [term], route: 'word'}]
    for (const words of equivalentsOf(term)) alternatives.push({words, route: 'equivalent'})
    if (stored && checked.has(term) && !stored(term)) for (const word of corrections(term, stored)) alternatives.push({words: [word], route: 'typo'})
    return {term, alternatives}
  })
}

/**
 * planQuery for a store that answers "which of these words do you hold" in one round trip (a
 * backend across a network): every word planQuery could ask about — each typo-checked term and
 * all its candidate corrections — is asked at once, then planned from the answer. The plan is
 * the same as planQuery's with a per-word lookup.
 */
export async function planQueryBatched(text: string, storedWords: (words: string[]) => Promise<Set<string>>): Promise<PlannedTerm[]> {
  const asked = typoCheckedTerms(text).flatMap((term) => [term, ...correctionCandidates(term)])
  const known = asked.length === 0 ? new Set<string>() : await storedWords([...new Set(asked)])
  return planQuery(text, (word) => known.has(word))
}

/**
 * The query words checked for typos: no table equivalent, shaped like a mistyped English word, at
 * most MAX_TYPO_CHECKS of them — a prompt full of identifiers ("tsconfig", "kubectl") would
 * otherwise pay a store lookup per candidate for each.
 */
function typoCheckedTerms(text: string): string[] {
  const checked: string[] = []
  for (const term of queryTerms(text)) {
    if (checked.length >= MAX_TYPO_CHECKS) break
    if (equivalentsOf(term).length === 0 && mightBeTypo(term)) checked.push(term)
  }
  return checked
}

/** Unknown words per query that are checked for typos; the rest are searched as typed. */
const MAX_TYPO_CHECKS = 4

/** FTS5 query matching any form of any planned word; phrases stay phrases, every form is quoted. */
export function planMatch(plan: PlannedTerm[]): string | undefined {
  const forms = planForms(plan).map((words) => `"${words.join(' ')}"`)
  return forms.length === 0 ? undefined : forms.join(' OR ')
}

/** Every distinct form planMatch searches (a word, or a phrase of several), in plan order. */
export function planForms(plan: PlannedTerm[]): string[][] {
  const seen = new Map<string, string[]>()
  for (const planned of plan)
    for (const alternative of planned.alternatives) {
      const key = alternative.words.join(' ')
      if (!seen.has(key)) seen.set(key, alternative.words)
    }
  return [...seen.values()]
}

export interface PlanMatch {
  /** Per matched query word: the word itself, or "typed→found" when an equivalent or a correction matched. */
  matched: string[]
  /** How many distinct query words (by stem) matched in some form. */
  count: number
}

/** A plan's forms as lightStem compares them, worked out once per plan (matchPlan runs for each candidate). */
interface PlanStems {
  /** Per planned term: its stem, then each alternative's words stemmed. */
  terms: Array<{stem: string; alternatives: string[][]}>
  /** How every stem opens (word-runs.ts openingOf): no word opening otherwise can match. */
  openings: Set<number>
}

const planStems = new WeakMap<PlannedTerm[], PlanStems>()

function stemsOf(plan: PlannedTerm[]): PlanStems {
  let found = planStems.get(plan)
  if (!found) {
    const terms = plan.map((planned) => ({
      stem: lightStem(planned.term),
      alternatives: planned.alternatives.map((alternative) => alternative.words.map(lightStem)),
    }))
    const stems = terms.flatMap((term) => term.alternatives.flat()).filter((stem) => stem.length > 0)
    found = {terms, openings: new Set(stems.map((stem) => openingOf(stem, 0, stem.length)))}
    planStems.set(plan, found)
  }
  return found
}

/**
 * The words of `text` as matchPlan compares them: lowercased, lightStemmed when they open as some
 * stem does and '' otherwise (lightStem only cuts endings and keeps at least three letters, so a
 * word's stem opens with the word's own first two). A memory's words are mostly not the query's:
 * they are neither sliced nor stemmed (bench/README.md, "B4, seventh pass").
 */
function comparedWords(text: string, openings: Set<number>): string[] {
  const lower = text.toLowerCase()
  const words: string[] = []
  eachWord(lower, (start, end) => words.push(openings.has(openingOf(lower, start, end)) ? lightStem(lower.slice(start, end)) : ''))
  return words
}

/** Which planned words occur in `text`, in any of their forms (compared by lightStem). */
export function matchPlan(plan: PlannedTerm[], text: string): PlanMatch {
  const {terms, openings} = stemsOf(plan)
  const words = comparedWords(text, openings)
  const present = new Set(words)
  const hasPhrase = (stems: string[]) => {
    if (stems.length === 1) return present.has(stems[0])
    outer: for (let i = 0; i + stems.length <= words.length; i++) {
      for (let j = 0; j < stems.length; j++) if (words[i + j] !== stems[j]) continue outer
      return true
    }
    return false
  }
  const matched: string[] = []
  const stems = new Set<string>()
  for (const [index, planned] of plan.entries()) {
    const found = terms[index].alternatives.findIndex(hasPhrase)
    if (found < 0) continue
    const alternative = planned.alternatives[found]
    matched.push(alternative.route === 'word' ? planned.term : `${planned.term}→${alternative.words.join(' ')}`)
    stems.add(terms[index].stem)
  }
  return {matched, count: stems.size}
}

/** Extra pairs the planned forms may add on top of the plain pairs (each is looked for in every candidate). */
const MAX_FORM_PAIRS = 24

/**
 * The word pairs the proximity signal looks for close together (../proximity.ts): pairs of the
 * plan's first `maxTerms` words, where a pair also counts in the forms the plan searches ("staging
 * db" near "port" for the query "staging database port"). Plain pairs first; pairs with an
 * equivalent or correction are added up to MAX_FORM_PAIRS. Multi-word forms are left out (a phrase
 * would need a window of its own).
 */
export function planProximityPairs(plan: PlannedTerm[], maxTerms: number): Array<[string, string]> {
  const head = plan.slice(0, maxTerms)
  const plain: Array<[string, string]> = []
  const extra: Array<[string, string]> = []
  for (let i = 0; i < head.length; i++) {
    for (let j = i + 1; j < head.length; j++) {
      const left = head[i].alternatives.filter((alternative) => alternative.words.length === 1)
      const right = head[j].alternatives.filter((alternative) => alternative.words.length === 1)
      for (const [a, first] of left.entries()) {
        for (const [b, second] of right.entries()) {
          const pair: [string, string] = [first.words[0], second.words[0]]
          if (a === 0 && b === 0) plain.push(pair)
          else if (extra.length < MAX_FORM_PAIRS) extra.push(pair)
        }
      }
    }
  }
  return [...plain, ...extra]
}
