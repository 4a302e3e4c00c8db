import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {lightStem, matchPlan, type PlannedTerm, planQuery} from '../../src/store/query-terms.js'

/** matchPlan as defined: every lowercased [\p{L}\p{N}]+ run of the text, lightStemmed, compared with each form's stems. */
function matchPlanByDefinition(plan: PlannedTerm[], text: string) {
  const words = [...text.toLowerCase().matchAll(/[\p{L}\p{N}]+/gu)].map((match) => lightStem(match[0]))
  const holds = (phrase: string[]) => {
    const stems = phrase.map(lightStem)
    for (let i = 0; i + stems.length <= words.length; i++) if (stems.every((stem, j) => words[i + j] === stem)) return true
    return false
  }
  const matched: string[] = []
  const stems = new Set<string>()
  for (const planned of plan) {
    const found = planned.alternatives.find((alternative) => holds(alternative.words))
    if (!found) continue
    matched.push(found.route === 'word' ? planned.term : `${planned.term}→${found.words.join(' ')}`)
    stems.add(lightStem(planned.term))
  }
  return {matched, count: stems.size}
}

// Words sharing openings and endings, so stems collide and near-misses abound ("paint", "painting", "pain").
const vocabulary = [
  'paint',
  'painting',
  'paints',
  'pain',
  'pa',
  'p',
  'db',
  'database',
  'end',
  'to',
  'ended',
  'stage',
  'staging',
  'stg',
  'e2e',
  '5433',
  'café',
  'naïve',
]
const word = fc.constantFrom(...vocabulary)
const spelled = fc
  .tuple(word, fc.constantFrom('lower', 'upper', 'capital'))
  .map(([text, spelling]) => (spelling === 'upper' ? text.toUpperCase() : spelling === 'capital' ? text[0].toUpperCase() + text.slice(1) : text))
const text = fc.array(fc.tuple(spelled, fc.constantFrom(' ', ', ', '-', '.\n', ' [', '] ', '—', 'İ')), {maxLength: 30}).map((parts) => parts.flat().join(''))
const query = fc.array(word, {minLength: 1, maxLength: 5}).map((words) => words.join(' '))

describe('matchPlan', () => {
  it('finds exactly what comparing every word of the text by lightStem finds (ASCII and not, any case)', () => {
    fc.assert(
      fc.property(query, text, (typed, memory) => {
        const plan = planQuery(typed)
        expect(matchPlan(plan, memory)).toEqual(matchPlanByDefinition(plan, memory))
      }),
      {numRuns: 2000},
    )
  })

  it('matches capitalised words, words beside digits and phrases across punctuation', () => {
    expect(matchPlan(planQuery('painting database'), 'PAINTING in the DataBase')).toEqual({matched: ['painting', 'database'], count: 2})
    expect(matchPlan(planQuery('e2e'), 'Run the End-to-End suite')).toEqual({matched: ['e2e→end to end'], count: 1})
    expect(matchPlan(planQuery('pain'), 'paint and painting').count).toBe(0)
    expect(matchPlan(planQuery('café'), 'Le CAFÉ est ouvert').count).toBe(1)
  })
})
