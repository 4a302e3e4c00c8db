import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import fc from 'fast-check'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {openDatabase, type SqliteDatabase} from '../../src/store/db.js'
import {MemoryStore, type RememberInput} from '../../src/store/memories.js'
import {nearCount, proximityScores} from '../../src/store/proximity.js'
import {planMatch, planProximityPairs, planQuery} from '../../src/store/query-terms.js'
import {SqliteLexicalIndex} from '../../src/store/sqlite/lexical-index.js'

/**
 * The proximity signal is computed from the candidates' texts (src/store/proximity.ts), and must
 * score exactly what FTS5's bm25 of the OR-ed `NEAR("a" "b", 5)` pairs scores: the same rows, the
 * same relevance. Stemmed forms, tags (weighted 0.3, pairs within the tags only), words several
 * times, non-ASCII text and words far apart are all in the corpus.
 */
const CORPUS: RememberInput[] = [
  {agentId: 'a', content: 'The staging database runs on port 5433 behind the proxy.', tags: ['infra', 'database']},
  {agentId: 'a', content: 'Ports of the staging databases: 5433 for staging, 5432 for production.'},
  {agentId: 'a', content: 'Staging is where we test. Much later in this long note, after many other words, the port is mentioned.'},
  {agentId: 'a', content: 'The proxy caches images for the mobile app.', tags: ['cache', 'proxy']},
  {agentId: 'a', content: 'Nothing about it here, only the tags.', tags: ['proxy', 'caching', 'staging']},
  {agentId: 'a', content: 'Caroline painted; Caroline paints every weekend, and her painting sold.'},
  {agentId: 'a', content: 'Élodie: la poterie, the pottery class in Zürich, a café near the pottery studio.'},
  {agentId: 'a', content: 'Painting classes and pottery classes run on Sundays.'},
  {agentId: 'b', content: 'Another agent: the staging port is secret.'},
]

const QUERIES = [
  'staging database port',
  'what does the proxy cache',
  'caroline painting',
  'pottery class zurich cafe',
  'painting pottery classes sunday',
  'staging proxy cache',
  'painting paints',
]

describe('proximity from the candidates’ texts', () => {
  let dir: string
  let db: SqliteDatabase
  let index: SqliteLexicalIndex

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'signet-proximity-'))
    db = openDatabase(path.join(dir, 'memories.db'))
    const store = new MemoryStore(db)
    for (const input of CORPUS) store.remember(input)
    index = new SqliteLexicalIndex(db)
  })

  afterAll(() => {
    db?.close()
    rmSync(dir, {recursive: true, force: true})
  })

  function fts5(match: string): Map<number, number> {
    const rows = db.prepare('SELECT rowid, -bm25(memories_fts, 1.0, 0.3) FROM memories_fts WHERE memories_fts MATCH ?').raw().all(match) as Array<
      [number, number]
    >
    return new Map(rows)
  }

  it('scores every memory as FTS5 bm25 scores the NEAR pairs', async () => {
    let compared = 0
    for (const text of QUERIES) {
      const plan = planQuery(text)
      const expected = fts5(
        planProximityPairs(plan, 8)
          .map(([a, b]) => `NEAR("${a}" "${b}", 5)`)
          .join(' OR '),
      )
      expect(expected.size, text).toBeGreaterThan(0)
      const candidates = [...fts5(planMatch(plan)!).keys()]
      const scores = await proximityScores(index, plan, await index.texts(candidates), {maxTerms: 8, window: 5})
      expect([...scores.keys()].sort(), text).toEqual([...expected.keys()].sort())
      for (const [seq, relevance] of expected) {
        expect(scores.get(seq), `${text}: memory ${seq}`).toBeCloseTo(relevance, 6)
        compared++
      }
    }
    expect(compared).toBeGreaterThan(10)
  })

  it('scores only the texts it is given, and nothing without a pair', async () => {
    const plan = planQuery('staging database port')
    const scores = await proximityScores(index, plan, await index.texts([1, 3]), {maxTerms: 8, window: 5})
    expect([...scores.keys()]).toEqual([1])
    expect(await proximityScores(index, planQuery('staging'), await index.texts([1, 2]), {maxTerms: 8, window: 5})).toEqual(new Map())
  })
})

describe('nearCount', () => {
  /** The definition: each occurrence with some other occurrence at most `window` words between them. */
  function reference(self: number[], other: number[], window: number): number {
    return self.filter((at) => other.some((there) => Math.abs(there - at) - 1 <= window)).length
  }
  const positions = fc.uniqueArray(fc.integer({min: 0, max: 400}), {maxLength: 60}).map((list) => list.sort((a, b) => a - b))

  it('counts as the definition does, in one walk over ascending positions', () => {
    fc.assert(
      fc.property(positions, positions, fc.integer({min: 0, max: 12}), (self, other, window) => {
        expect(nearCount(self, other, window)).toBe(reference(self, other, window))
      }),
      {numRuns: 2000},
    )
  })
})
