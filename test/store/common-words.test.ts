import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {afterEach, beforeEach, describe, expect, it, vi} from 'vitest'

import {candidatePlan, COMMON_WORD_FLOOR, leftOut, withoutCommonForms} from '../../src/store/common-words.js'
import {openDatabase, type SqliteDatabase} from '../../src/store/db.js'
import {MemoryStore} from '../../src/store/memories.js'
import {planQuery} from '../../src/store/query-terms.js'
import {SqliteLexicalIndex} from '../../src/store/sqlite/lexical-index.js'
import {sqliteRecall} from '../../src/store/sqlite/storage.js'

/**
 * On a large store a word most memories hold does not select recall candidates (its postings are
 * most of the bm25 pass's cost, bench/README.md "B8"); the rarer words of the query do, and the
 * common word still counts for the candidates they bring. Below COMMON_WORD_FLOOR memories nothing
 * changes.
 */
let dir: string
let db: SqliteDatabase
let store: MemoryStore

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'signet-common-words-'))
  db = openDatabase(path.join(dir, 'memories.db'))
  store = new MemoryStore(db)
})

afterEach(() => {
  db.close()
  rmSync(dir, {recursive: true, force: true})
})

/** `count` filler memories that all hold "meetings" (and nothing else the tests ask for). */
function fill(count: number, batch = '') {
  store.importMany(
    Array.from({length: count}, (_, index) => ({content: `Weekly meetings note number ${index} about item x${index} ${batch}`, agentId: 'default'})),
  )
}

/** `count` memories holding none of the words the tests ask for. */
function others(count: number) {
  store.importMany(Array.from({length: count}, (_, index) => ({content: `Daily standup log ${index} for y${index}`, agentId: 'default'})))
}

/** Two memories holding the rare "zanzibar", one also "meetings"; the query "zanzibar meetings" planned on the store. */
async function zanzibarQuery() {
  const both = store.remember({content: 'Zanzibar meetings moved to Friday', agentId: 'default'}).memory
  const rareOnly = store.remember({content: 'Zanzibar flights cost less today', agentId: 'default'}).memory
  const index = new SqliteLexicalIndex(db)
  const plan = planQuery('zanzibar meetings')
  const selecting = await candidatePlan(index, plan)
  const seqOf = (id: string) => (db.prepare('SELECT seq FROM memories WHERE id = ?').get(id) as {seq: number}).seq
  return {both, rareOnly, index, plan, selecting, seqOf}
}

const recall = (query: string, limit = 10) => sqliteRecall(db).recall({query, agentId: 'default', limit})

describe('common words in candidate selection', () => {
  it('leaves a word held by more than the floor out of candidate selection, yet ranks the memory holding it with a rare word first', async () => {
    fill(COMMON_WORD_FLOOR + 500)
    const both = store.remember({content: 'The zanzibar meeting moved to Friday', agentId: 'default'}).memory
    const rareOnly = store.remember({content: 'Flights to zanzibar are cheaper in May', agentId: 'default'}).memory

    const index = new SqliteLexicalIndex(db)
    // By the index's stem: "meeting" and "meetings" are one term to FTS5 (porter).
    expect(await index.documentCounts(['meeting', 'meetings', 'zanzibar', 'friday'])).toEqual(
      new Map([
        ['meeting', COMMON_WORD_FLOOR + 501],
        ['meetings', COMMON_WORD_FLOOR + 501],
        ['zanzibar', 2],
        ['friday', 1],
      ]),
    )
    const selecting = await candidatePlan(index, planQuery('zanzibar meetings'))
    expect(selecting.map((planned) => planned.term)).toEqual(['zanzibar'])

    const {hits} = await recall('zanzibar meeting')
    // Only the rare word selected candidates: no filler memory (holding only "meetings") comes back.
    expect(hits.map((hit) => hit.memory.id)).toEqual([both.id, rareOnly.id])
    expect(hits[0].why.matched).toEqual(['zanzibar', 'meeting'])
    expect(hits[0].why.signals.coordination).toBe(1)
  })

  it('scores the candidates the rare words bring with the common words too (their bm25, not only coordination)', async () => {
    fill(COMMON_WORD_FLOOR + 500)
    others(5 * COMMON_WORD_FLOOR)
    // Same length: by "zanzibar" alone the two score the same; "meetings" (in under half the
    // memories, so its bm25 weight is not nil) puts the first ahead.
    const both = store.remember({content: 'Zanzibar meetings moved to Friday', agentId: 'default'}).memory
    const rareOnly = store.remember({content: 'Zanzibar flights cost less today', agentId: 'default'}).memory
    const {hits} = await recall('zanzibar meetings')
    expect(hits.map((hit) => hit.memory.id)).toEqual([both.id, rareOnly.id])
    expect(hits[0].why.signals.bm25).toBe(1)
    expect(hits[1].why.signals.bm25).toBeLessThan(0.95)
  })

  it('ranks in the index by every word, among the memories holding a selecting word only', async () => {
    fill(COMMON_WORD_FLOOR + 500)
    others(COMMON_WORD_FLOOR + 1000)
    const {both, rareOnly, index, plan, selecting, seqOf} = await zanzibarQuery()
    const ranked = await index.ranked(plan, 10, selecting)
    expect(ranked.map((row) => row.seq)).toEqual([seqOf(both.id), seqOf(rareOnly.id)])
    // The memory holding both words scores as the whole query scores it; the other by its one word.
    const whole = await index.ranked(plan, 1000)
    const scoreIn = (rows: Array<{seq: number; relevance: number}>, id: string) => rows.find((row) => row.seq === seqOf(id))?.relevance
    expect(ranked[0].relevance).toBeCloseTo(scoreIn(whole, both.id)!, 9)
    expect(ranked[1].relevance).toBeCloseTo(scoreIn(whole, rareOnly.id)!, 9)
    expect(ranked[0].relevance).toBeGreaterThan(ranked[1].relevance)
  })

  it('leaves a common word held by half the memories or more out of the second pass: bm25 gives it no weight', async () => {
    fill(COMMON_WORD_FLOOR + 500)
    const {both, rareOnly, index, plan, selecting, seqOf} = await zanzibarQuery()
    expect(selecting.length).toBeLessThan(plan.length)
    const passes = vi.spyOn(index as unknown as {rankedBy: (match: string, limit: number) => unknown}, 'rankedBy')
    const ranked = await index.ranked(plan, 10, selecting)
    expect(passes).toHaveBeenCalledTimes(1)
    // The whole query ranks the two alike: "meetings" (in every filler memory) weighs nothing.
    const whole = await index.ranked(plan, 1000)
    for (const id of [both.id, rareOnly.id]) {
      expect(ranked.find((row) => row.seq === seqOf(id))?.relevance).toBeCloseTo(whole.find((row) => row.seq === seqOf(id))!.relevance, 4)
    }
  })

  it('still selects with the common words when the query has nothing rarer', async () => {
    fill(COMMON_WORD_FLOOR + 500)
    const {hits} = await recall('meetings', 5)
    expect(hits).toHaveLength(5)
    for (const hit of hits) expect(hit.memory.content).toContain('meetings')
  })

  it('changes nothing on a store below the floor', async () => {
    fill(COMMON_WORD_FLOOR - 500)
    const both = store.remember({content: 'The zanzibar meeting moved to Friday', agentId: 'default'}).memory
    const plan = planQuery('zanzibar meetings')
    expect(await candidatePlan(new SqliteLexicalIndex(db), plan)).toBe(plan)
    const {hits} = await recall('zanzibar meeting')
    expect(hits[0].memory.id).toBe(both.id)
    // The common word selects as before: filler memories fill the rest of the list.
    expect(hits).toHaveLength(10)
  })

  it('counts documents, not occurrences, and keeps counting after the store grows', async () => {
    fill(COMMON_WORD_FLOOR + 500)
    store.remember({content: 'zanzibar zanzibar zanzibar', agentId: 'default'})
    const index = new SqliteLexicalIndex(db)
    expect(await index.documentCounts(['zanzibar', 'x17', 'nowhere', 'weekly'])).toEqual(
      new Map([
        ['zanzibar', 1],
        ['x17', 1],
        ['nowhere', 0],
        ['weekly', COMMON_WORD_FLOOR + 500],
      ]),
    )
    // Counts are kept while the store stays within 1 % of its size, then read again.
    fill(200, 'again')
    expect((await index.documentCounts(['weekly', 'x17'])).get('weekly')).toBe(COMMON_WORD_FLOOR + 700)
  })
})

describe('leftOut', () => {
  it('leaves out words over the bar, then the commonest past the budget, never the rarest', () => {
    const counts = new Map([
      ['rare', 10],
      ['mid', 60],
      ['often', 90],
      ['always', 500],
      ['typo', 0],
    ])
    expect(leftOut(counts, 100, 150)).toEqual(new Set(['often', 'always']))
    expect(leftOut(counts, 100, 1000)).toEqual(new Set(['always']))
    expect(leftOut(new Map([['alone', 100]]), 100, 50)).toEqual(new Set())
  })
})

describe('withoutCommonForms', () => {
  const plan = planQuery('staging db port')

  it('returns the plan itself when nothing is common', () => {
    expect(withoutCommonForms(plan, new Set())).toBe(plan)
    expect(withoutCommonForms(plan, new Set(['unrelated']))).toBe(plan)
  })

  it('drops common forms and words left with none, keeping the rest of each word', () => {
    const kept = withoutCommonForms(plan, new Set(['port', 'database']))
    expect(kept.map((planned) => planned.term)).toEqual(['staging', 'db'])
    const db = kept.find((planned) => planned.term === 'db')
    expect(db?.alternatives.some((alternative) => alternative.words.length === 1 && alternative.words[0] === 'database')).toBe(false)
    expect(db?.alternatives[0].words).toEqual(['db'])
  })

  it('keeps the whole plan when every word is common', () => {
    const every = new Set(plan.flatMap((planned) => planned.alternatives.map((alternative) => alternative.words.join(' '))))
    expect(withoutCommonForms(plan, every)).toBe(plan)
  })
})
