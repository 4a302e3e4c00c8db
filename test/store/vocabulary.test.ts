import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {openDatabase, type SqliteDatabase} from '../../src/store/db.js'
import {MemoryStore} from '../../src/store/memories.js'
import {lightStem, matchPlan, planMatch, planProximityPairs, planQuery} from '../../src/store/query-terms.js'
import {sqliteRecall} from '../../src/store/sqlite/storage.js'
import {corrections, englishRank, mightBeTypo, oneEditAway} from '../../src/store/typo.js'
import {equivalentsOf} from '../../src/store/vocabulary.js'

describe('vocabulary table', () => {
  it('maps abbreviations both ways and keeps multi-word forms as phrases', async () => {
    expect(equivalentsOf('db')).toContainEqual(['database'])
    expect(equivalentsOf('database')).toContainEqual(['db'])
    expect(equivalentsOf('stg')).toEqual([['staging']])
    expect(equivalentsOf('e2e')).toEqual([['end', 'to', 'end']])
    expect(equivalentsOf('deploy')).toEqual([])
  })

  it('searches every form, quoted, phrases as phrases', async () => {
    const plan = planQuery('stg db e2e')
    expect(planMatch(plan)).toBe('"stg" OR "staging" OR "db" OR "database" OR "databases" OR "dbs" OR "e2e" OR "end to end"')
  })

  it('says which form matched: the word itself, or typed→found', async () => {
    const plan = planQuery('staging db port')
    expect(matchPlan(plan, 'The staging database listens on port 5433.')).toEqual({matched: ['staging', 'db→database', 'port'], count: 3})
    expect(matchPlan(planQuery('e2e tests'), 'Run the end-to-end suite before tests merge')).toEqual({matched: ['e2e→end to end', 'tests'], count: 2})
    expect(matchPlan(planQuery('e2e'), 'the end of the week').count).toBe(0)
  })

  it('pairs words for proximity in their searched forms too, plain pairs first', async () => {
    expect(planProximityPairs(planQuery('stg port'), 8)).toEqual([
      ['stg', 'port'],
      ['staging', 'port'],
    ])
    expect(planProximityPairs(planQuery('e2e'), 8)).toEqual([])
  })

  it('stems words so plural and singular, with or without a final e, meet', async () => {
    expect(lightStem('databases')).toBe(lightStem('database'))
    expect(lightStem('caches')).toBe(lightStem('cache'))
    expect(lightStem('cached')).toBe(lightStem('cache'))
    expect(lightStem('deploys')).toBe(lightStem('deploy'))
  })
})

describe('typo tolerance', () => {
  it('lists every string one insertion, deletion, substitution or swap away', async () => {
    const near = oneEditAway('form')
    for (const word of ['from', 'fork', 'fom', 'forms', 'dorm']) expect(near.has(word)).toBe(true)
    expect(near.has('form')).toBe(false)
    expect(near.has('farm s')).toBe(false)
  })

  it('treats English words and their inflections as words, not typos', async () => {
    expect(englishRank('migration')).toBeTypeOf('number')
    expect(englishRank('migrations')).toBe(englishRank('migration'))
    expect(mightBeTypo('migratoins')).toBe(true)
    expect(mightBeTypo('garden')).toBe(false)
    expect(mightBeTypo('dya')).toBe(false)
    expect(mightBeTypo('k8s')).toBe(false)
  })

  it('corrects only towards English words the store holds, likeliest first', async () => {
    const stored = new Set(['migrations', 'version'])
    expect(corrections('migratoins', (word) => stored.has(word))).toEqual(['migrations'])
    expect(corrections('verison', (word) => stored.has(word))).toEqual(['version'])
    expect(corrections('verison', () => false)).toEqual([])
  })

  it('never corrects a word the store holds as typed', async () => {
    const plan = planQuery('pnpmx lockfile', (word) => word === 'pnpmx')
    expect(plan[0].alternatives).toEqual([{words: ['pnpmx'], route: 'word'}])
  })
})

describe('recall with vocabulary help', () => {
  let dir: string
  let db: SqliteDatabase
  let store: MemoryStore

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'signet-vocabulary-'))
    db = openDatabase(path.join(dir, 'memories.db'))
    store = new MemoryStore(db)
  })

  afterEach(() => {
    db.close()
    rmSync(dir, {recursive: true, force: true})
  })

  const remember = (content: string) => store.remember({content, agentId: 'default'}).memory

  it('finds "staging DB" for "staging database" and says why', async () => {
    remember('The staging DB is Postgres on port 5433.')
    remember('Deploys to staging happen on merge to main.')
    remember('The production database runs on port 5432.')
    const {hits} = await sqliteRecall(db).recall({query: 'what port is the staging database on', agentId: 'default', limit: 3})
    expect(hits[0].memory.content).toBe('The staging DB is Postgres on port 5433.')
    expect(hits[0].why.matched).toEqual(['port', 'staging', 'database→db'])
    expect(hits[0].why.matchedTerms).toBe(3)
    expect(hits[0].why.signals.bm25).toBeGreaterThan(0)
  })

  it('finds a memory through a mistyped word and names the correction', async () => {
    remember('Run database migrations with pnpm db:migrate.')
    remember('The release checklist lives in the wiki.')
    const {hits} = await sqliteRecall(db).recall({query: 'run the migratoins', agentId: 'default', limit: 3})
    expect(hits[0].memory.content).toBe('Run database migrations with pnpm db:migrate.')
    expect(hits[0].why.matched).toEqual(['run', 'migratoins→migrations'])
  })
})

describe('typo checks stay bounded', () => {
  it('looks up at most four unknown words of a query in the store', async () => {
    const asked: string[] = []
    planQuery('qzxv wqpl zzkt vvbn mnbq ppoi', (word) => {
      asked.push(word)
      return false
    })
    expect(asked.filter((word) => ['qzxv', 'wqpl', 'zzkt', 'vvbn', 'mnbq', 'ppoi'].includes(word))).toEqual(['qzxv', 'wqpl', 'zzkt', 'vvbn'])
  })
})
