import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {openDatabase, type SqliteDatabase} from '../../src/store/db.js'
import {EmbeddingIndexer} from '../../src/store/embed/indexer.js'
import {StaticVectorEmbedder} from '../../src/store/embed/static-vectors.js'
import {wordNeighbours} from '../../src/store/embed/word-neighbours.js'
import {MemoryStore} from '../../src/store/memories.js'
import {datesNamedIn, onNamedDate} from '../../src/store/query-dates.js'
import {planProximityPairs, planQuery, queryTerms} from '../../src/store/query-terms.js'
import {namesIn, RecallRanker, speakerOf, speaksOfSelf} from '../../src/store/recall-ranker.js'
import {buildFtsQuery, LABEL_PROBE_ROWS} from '../../src/store/search.js'
import {SqliteLexicalIndex} from '../../src/store/sqlite/lexical-index.js'
import {sqliteRecall} from '../../src/store/sqlite/storage.js'

let dir: string
let db: SqliteDatabase
let store: MemoryStore

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'signet-search-'))
  db = openDatabase(path.join(dir, 'memories.db'))
  store = new MemoryStore(db)
})

afterEach(() => {
  db.close()
  rmSync(dir, {recursive: true, force: true})
})

const remember = (content: string, extra: Partial<Parameters<MemoryStore['remember']>[0]> = {}) =>
  store.remember({content, agentId: 'default', ...extra}).memory

describe('query terms', () => {
  it('drops function words but keeps a query made only of them', async () => {
    expect(queryTerms('When did Caroline go to the LGBTQ support group?')).toEqual(['caroline', 'go', 'lgbtq', 'support', 'group'])
    expect(queryTerms('what is it')).toEqual(['what', 'is', 'it'])
    expect(queryTerms('  ?!  ')).toEqual([])
  })

  it('quotes every term so FTS5 operators in the input stay words', async () => {
    expect(buildFtsQuery('deploy NEAR(prod) OR "x" content:secret')).toBe('"deploy" OR "near" OR "prod" OR "x" OR "content" OR "secret"')
    expect(buildFtsQuery('the of and')).toBe('"the" OR "of" OR "and"')
    expect(buildFtsQuery('')).toBeUndefined()
  })

  it('pairs the leading terms for the proximity bonus', async () => {
    expect(planProximityPairs(planQuery('alpha beta gamma'), 8)).toEqual([
      ['alpha', 'beta'],
      ['alpha', 'gamma'],
      ['beta', 'gamma'],
    ])
    expect(planProximityPairs(planQuery('alpha'), 8)).toEqual([])
    expect(planProximityPairs(planQuery('alpha beta gamma delta'), 2)).toEqual([['alpha', 'beta']])
  })
})

describe('lexical ranking', () => {
  it('ranks query words close together above the same words far apart', async () => {
    const far = remember('The support desk moved floors, and a new reading group meets on Tuesdays in the library annex')
    const near = remember('I went to a support group meeting yesterday, and it helped a lot afterwards honestly')
    const {hits, method, vector} = await sqliteRecall(db).recall({query: 'support group', agentId: 'default', limit: 5})
    expect(method).toBe('bm25')
    expect(vector.status).toBe('disabled')
    expect(hits.map((hit) => hit.memory.id)).toEqual([near.id, far.id])
    expect(hits[0].score).toBeGreaterThan(hits[1].score)
    for (const hit of hits) {
      expect(hit.score).toBeGreaterThan(0)
      expect(hit.score).toBeLessThanOrEqual(1)
    }
  })

  it('ignores memories of other agents, deleted memories and excluded ids', async () => {
    const kept = remember('staging database listens on port 5433')
    const excluded = remember('the staging database password rotates monthly')
    const gone = remember('staging database backups run nightly')
    store.forget(gone.id, 'default')
    store.remember({content: 'staging database for the other agent', agentId: 'other'})
    const {hits} = await sqliteRecall(db).recall({query: 'staging database', agentId: 'default', limit: 10, excludeIds: [excluded.id]})
    expect(hits.map((hit) => hit.memory.id)).toEqual([kept.id])
  })
})

describe('conversation context', () => {
  const session = (key: string, turns: string[]) => turns.map((content) => remember(content, {sessionKey: key}))

  it('brings in the answer stored next to the turn that names the topic', async () => {
    session('s1', [
      'Alice: How is the new dog settling in?',
      'Bob: What did you end up calling the puppy?',
      'Alice: We went with Biscuit, after the cookies!',
      'Bob: Cute.',
    ])
    session('s2', ['Alice: The quarterly tax invoice arrived.', 'Bob: Pay it before Friday.'])
    const {hits} = await sqliteRecall(db).recall({query: 'What is the name of the puppy?', agentId: 'default', limit: 5})
    const contents = hits.map((hit) => hit.memory.content)
    // The reply answers; the question that names the topic comes right after it.
    expect(contents.slice(0, 2)).toEqual(['Alice: We went with Biscuit, after the cookies!', 'Bob: What did you end up calling the puppy?'])
    expect(hits[0].source).toBe('context')
    expect(contents.some((content) => content.includes('invoice'))).toBe(false)
  })

  it('does not lend context across sessions, across long gaps, or past the filters', async () => {
    remember('Bob: What did you end up calling the puppy?', {sessionKey: 's1'})
    remember('Alice: Biscuit, after the cookies.', {sessionKey: 's2'})
    remember('Carol: Is the kitten eating well?', {createdAt: '2024-01-01T10:00:00.000Z'})
    remember('Dan: Her name is Pepper.', {createdAt: '2024-01-01T15:00:00.000Z'})
    remember('Erin: Where did the ferret come from?', {project: 'a', createdAt: '2024-02-01T10:00:00.000Z'})
    remember('Finn: A shelter in Leeds.', {project: 'b', createdAt: '2024-02-01T10:01:00.000Z'})
    const search = sqliteRecall(db)
    const puppy = (await search.recall({query: 'puppy name', agentId: 'default', limit: 5})).hits.map((hit) => hit.memory.content)
    expect(puppy.some((content) => content.includes('Biscuit'))).toBe(false)
    const kitten = (await search.recall({query: 'kitten', agentId: 'default', limit: 5})).hits.map((hit) => hit.memory.content)
    expect(kitten.some((content) => content.includes('Pepper'))).toBe(false)
    const ferret = (await search.recall({query: 'ferret', agentId: 'default', limit: 5, project: 'a'})).hits.map((hit) => hit.memory.content)
    expect(ferret).toEqual(['Erin: Where did the ferret come from?'])
  })

  it('lends no context between memories without a session, however close in time (independent facts)', async () => {
    // The reported case: facts typed one after another with `signet remember` lifted each other.
    remember('Use pnpm, never npm, in this repository.', {createdAt: '2024-01-01T10:00:00.000Z'})
    remember('array item one', {createdAt: '2024-01-01T10:00:05.000Z'})
    remember('Prod DB is on port 5432.', {createdAt: '2024-01-01T10:00:10.000Z'})
    remember('The staging DB listens on port 5433.', {createdAt: '2024-01-01T10:00:15.000Z'})
    remember('No deploys on Friday afternoons.', {createdAt: '2024-01-01T10:00:20.000Z'})
    const search = sqliteRecall(db)
    const pnpm = (await search.recall({query: 'pnpm', agentId: 'default', limit: 5})).hits
    expect(pnpm.map((hit) => [hit.memory.content, hit.source])).toEqual([['Use pnpm, never npm, in this repository.', 'keyword']])
    const friday = (await search.recall({query: 'deploy friday', agentId: 'default', limit: 5})).hits
    expect(friday.map((hit) => hit.memory.content)).toEqual(['No deploys on Friday afternoons.'])
  })

  it('lends context within one session only between memories stored close together', async () => {
    remember('Carol: Is the kitten eating well?', {sessionKey: 'chat', createdAt: '2024-01-01T10:00:00.000Z'})
    remember('Dan: Her name is Pepper and she eats everything.', {sessionKey: 'chat', createdAt: '2024-01-01T10:02:00.000Z'})
    remember('Dan: Unrelated, the boiler needs a service.', {sessionKey: 'chat', createdAt: '2024-01-03T09:00:00.000Z'})
    const {hits} = await sqliteRecall(db).recall({query: 'kitten', agentId: 'default', limit: 5})
    expect(hits.map((hit) => [hit.memory.content.slice(0, 5), hit.source])).toEqual([
      ['Dan: ', 'context'],
      ['Carol', 'keyword'],
    ])
    expect(hits[0].why.signals.context).toBeGreaterThan(0)
    expect(hits[0].why.matched).toEqual([])
  })
})

describe('questions, speakers and dates', () => {
  it('ranks the reply to a question above the question, in one conversation only', async () => {
    remember('Ann: Did you ever get the boiler fixed?', {sessionKey: 'chat', createdAt: '2024-03-01T10:00:00.000Z'})
    remember('Ben: Yes, a plumber replaced the pressure valve on Tuesday.', {sessionKey: 'chat', createdAt: '2024-03-01T10:01:00.000Z'})
    // The same question typed as a standalone fact has no reply to lend to, and keeps its score.
    remember('Why does the garage boiler keep losing pressure?', {createdAt: '2024-03-02T10:00:00.000Z'})
    remember('Reminder: renew the car insurance.', {createdAt: '2024-03-02T10:01:00.000Z'})
    const {hits} = await sqliteRecall(db).recall({query: 'boiler fixed', agentId: 'default', limit: 5})
    expect(hits.map((hit) => hit.memory.content.slice(0, 4))).toEqual(['Ben:', 'Ann:', 'Why '])
    const standalone = (await sqliteRecall(db).recall({query: 'boiler pressure', agentId: 'default', limit: 5})).hits
    expect(standalone[0].memory.content).toBe('Why does the garage boiler keep losing pressure?')
    expect(standalone.some((hit) => hit.memory.content.startsWith('Reminder'))).toBe(false)
  })

  it("puts what the named speaker said above another speaker's closer word match", async () => {
    // Melanie speaks most turns, so "melanie" carries no bm25 weight at all.
    for (const filler of ['the weather turned', 'my kids loved the zoo', 'dinner was late', 'work is busy', 'the garden is green', 'we saw a film']) {
      remember(`Melanie: ${filler}.`)
    }
    remember('Caroline: I painted a sunset.')
    remember('Melanie: I painted the lake at dawn with my kids last weekend.')
    const {hits} = await sqliteRecall(db).recall({query: 'What did Melanie paint?', agentId: 'default', limit: 3})
    expect(hits[0].memory.content).toBe('Melanie: I painted the lake at dawn with my kids last weekend.')
    expect(hits[0].why.signals.speaker).toBe(1)
    expect(hits.find((hit) => hit.memory.content.startsWith('Caroline'))?.why.signals.speaker).toBe(0)
  })

  it('takes names from the query only where it capitalises a word mid-sentence', () => {
    expect([...namesIn('What did Melanie paint?')]).toEqual(['melanie'])
    expect([...namesIn('Decision on the cache? When did Dr. Ruiz call')]).toEqual(['dr', 'ruiz'])
    expect([...namesIn('what was the decision about pnpm')]).toEqual([])
  })

  it('does not treat a heading label as a speaker the query names', async () => {
    remember('Decision: the billing service moves to Postgres 16 next quarter.')
    remember('Decision: weekly releases on Tuesday.')
    remember('The billing outage decision log lives in docs/billing.md.')
    const {hits} = await sqliteRecall(db).recall({query: 'where is the billing decision log', agentId: 'default', limit: 3})
    expect(hits[0].memory.content).toBe('The billing outage decision log lives in docs/billing.md.')
    expect(hits.every((hit) => hit.why.signals.speaker === 0)).toBe(true)
  })

  it('reads a speaker label only from a short capitalised name before a colon', () => {
    expect(speakerOf('Caroline: I went to the support group.')).toEqual(['caroline'])
    expect(speakerOf('Dr Ruiz: take two a day.')).toEqual(['dr', 'ruiz'])
    expect(speakerOf('Lumen tests: `uv run pytest` for the quick suite.')).toEqual([])
    expect(speakerOf('The fix: pin the cache key.')).toEqual([])
    expect(speakerOf('Harbor rollouts use Argo Rollouts canary: 10% first.')).toEqual([])
    expect(speakerOf('no label here')).toEqual([])
    expect(speakerOf('User: make the user table wider.')).toEqual([])
    expect(speakerOf('Assistant: done.')).toEqual([])
  })

  it('ranks memories from the day or month the query names first', async () => {
    remember('We went camping by the lake.', {createdAt: '2023-07-17T14:31:00.000Z'})
    remember('We went camping up in the hills.', {createdAt: '2023-06-27T10:37:00.000Z'})
    const search = sqliteRecall(db)
    const june = (await search.recall({query: 'When did we go camping in June?', agentId: 'default', limit: 2})).hits
    expect(june.map((hit) => hit.memory.content)).toEqual(['We went camping up in the hills.', 'We went camping by the lake.'])
    expect(june[0].why.signals.date).toBe(1)
    const july = (await search.recall({query: 'camping on 17 July, 2023', agentId: 'default', limit: 2})).hits
    expect(july[0].memory.content).toBe('We went camping by the lake.')
  })

  it("finds the named day's memory even when the whole store's best matches are elsewhere", async () => {
    const insert = db.transaction(() => {
      // 220 closer word matches than the one from that day: it is past the store-wide bm25 pool.
      for (let i = 0; i < 220; i++) remember(`camping trip x${i}`, {createdAt: '2023-05-01T10:00:00.000Z'})
    })
    insert()
    remember('We went camping there.', {createdAt: '2023-06-27T10:37:00.000Z'})
    const {hits} = await sqliteRecall(db).recall({query: 'camping on 27 June, 2023', agentId: 'default', limit: 5})
    expect(hits[0].memory.content).toBe('We went camping there.')
  })
})

describe('hedged questions about someone', () => {
  it("finds what the named person said in words close to the question's, for a hedged question only", async () => {
    // Caroline says most turns, so her name weighs nothing; shorter turns would rank first on it.
    for (const filler of ['work is busy', 'dinner was late', 'the zoo was fun', 'it rained']) remember(`Caroline: ${filler}.`)
    const traditions = remember('Caroline: The traditions of my family and my beliefs mean a great deal to me.')
    remember('Melanie: Our choir sings spiritual songs.')
    remember('Melanie: I considered a new job.')
    const search = sqliteRecall(db)

    const hedged = (await search.recall({query: 'Would Caroline be considered religious?', agentId: 'default', limit: 3})).hits
    const said = hedged.filter((hit) => hit.memory.content.startsWith('Caroline:'))
    expect(said[0]?.memory.id).toBe(traditions.id)
    expect(said[0]?.why.signals).toMatchObject({related: 1, speaker: 1})
    // Only the named person's memories are widened: Melanie's "spiritual" is not searched.
    expect(hedged.map((hit) => hit.memory.content)).not.toContain('Melanie: Our choir sings spiritual songs.')

    const plain = (await search.recall({query: 'What did Caroline say about religious matters?', agentId: 'default', limit: 3})).hits
    expect(plain.map((hit) => hit.memory.id)).not.toContain(traditions.id)
    expect(plain.every((hit) => hit.why.signals.related === 0)).toBe(true)
  })
})

describe('first-person memories', () => {
  it('says whether the speaker speaks of themselves, past the label and before the tags', () => {
    expect(speaksOfSelf("Caroline: I'm keen on counseling.")).toBe(true)
    expect(speaksOfSelf('John: My kids have so much. ["family"]')).toBe(true)
    expect(speaksOfSelf('Melanie: Thanks for asking me!')).toBe(true)
    expect(speaksOfSelf('Melanie: Wow, Caroline! That is amazing.')).toBe(false)
    // The label and the tags are not the memory's words: "Mimi" and "my" there do not count.
    expect(speaksOfSelf('Mimi: You did well. ["my-notes"]')).toBe(false)
    expect(speaksOfSelf('Tim: the mines in Wales. iPhone, items, IMAX.')).toBe(false)
  })
})

describe('hedged questions on a large store', () => {
  it("search the speaker's memories only by neighbours that are not common words there", async () => {
    // Over the common-word bar ("traditions" in more than 5,000 of 5,102 memories) a word no longer
    // selects, as in every other lexical pass: every memory holding it would be scored. "beliefs",
    // a rare neighbour of "religious", still does. The real index, with the words it is asked for noted.
    store.importMany(Array.from({length: 5100}, (_, i) => ({content: `Bob: traditions note ${i}.`, agentId: 'default'})))
    remember('Caroline: the traditions of my family.')
    const beliefs = remember('Caroline: my beliefs mean a great deal to me.')
    const index = new SqliteLexicalIndex(db)
    const searched: string[] = []
    const rankedSaidBy = index.rankedSaidBy.bind(index)
    index.rankedSaidBy = async (plan, query, speaker, limit) => {
      searched.push(...plan.map((planned) => planned.term))
      return rankedSaidBy(plan, query, speaker, limit)
    }
    const {hits} = await new RecallRanker(index).recall({query: 'Would Caroline be considered religious?', agentId: 'default', limit: 10})
    expect(searched).toContain('beliefs')
    expect(searched).not.toContain('traditions')
    expect(hits.find((hit) => hit.memory.id === beliefs.id)?.why.signals.related).toBe(1)
  })
})

describe('speakers a store labels', () => {
  it('counts a name that labels a memory, not one only mentioned, and reads a bounded number of rows', async () => {
    remember('We met Caroline at the fair.')
    remember('caroline said the fair was fun.')
    const index = new SqliteLexicalIndex(db)
    expect(await index.labelledSpeakers(['caroline'])).toEqual(new Set())
    remember('CAROLINE: the fair again.')
    expect(await index.labelledSpeakers(['caroline', 'fair'])).toEqual(new Set(['caroline']))
    // Past the probe's rows, a label is not looked for: a name mentioned everywhere costs a bounded read.
    for (let i = 0; i < LABEL_PROBE_ROWS; i++) remember(`Melanie was mentioned, note ${i}.`)
    remember('Melanie: at last I speak.')
    expect(await index.labelledSpeakers(['melanie'])).toEqual(new Set())
  })
})

describe('word-vector neighbours', () => {
  it('gives the closest words of the shipped table, nearest first, none for an unknown word', () => {
    const religious = wordNeighbours('religious', 10, 0.65)
    expect(religious.length).toBeGreaterThan(3)
    expect(religious).toEqual(expect.arrayContaining(['religion', 'beliefs', 'traditions']))
    expect(religious).not.toContain('religious')
    expect(wordNeighbours('religious', 2, 0.65)).toEqual(religious.slice(0, 2))
    expect(wordNeighbours('religious', 10, 0.99)).toEqual([])
    expect(wordNeighbours('qzxwvkj', 10, 0)).toEqual([])
  })
})

describe('dates a query names', () => {
  it('reads days and months with a day or year beside them, or after "in"', () => {
    expect(datesNamedIn('What did Maria share on 16 June, 2023?')).toEqual([{year: 2023, month: 5, day: 16}])
    expect(datesNamedIn('the week before August 3, 2023')).toEqual([{year: 2023, month: 7, day: 3}])
    expect(datesNamedIn('what happened in March 2024')).toEqual([{year: 2024, month: 2}])
    expect(datesNamedIn('camping in July')).toEqual([{month: 6}])
    expect(datesNamedIn('on October 13')).toEqual([{month: 9, day: 13}])
    expect(datesNamedIn('we may march on, it may rain')).toEqual([])
    expect(datesNamedIn('on 45 May')).toEqual([])
  })

  it('says whether a memory was made on the named day (one day either side) or in the named month', () => {
    expect(onNamedDate('2023-06-16T23:30:00.000Z', {year: 2023, month: 5, day: 16})).toBe(true)
    expect(onNamedDate('2023-06-17T20:00:00.000Z', {year: 2023, month: 5, day: 16})).toBe(true)
    expect(onNamedDate('2023-06-19T00:00:00.000Z', {year: 2023, month: 5, day: 16})).toBe(false)
    expect(onNamedDate('2021-07-02T00:00:00.000Z', {month: 6})).toBe(true)
    expect(onNamedDate('2021-07-02T00:00:00.000Z', {year: 2023, month: 6})).toBe(false)
  })
})

describe('fusion with vectors', () => {
  it('finds a memory by meaning when it shares no word with the query, and says vectors were used', async () => {
    remember('We adopted a small kitten from the animal shelter last spring')
    remember('The quarterly invoice for the accounting software is overdue')
    remember('Our team standup moved to nine thirty on Mondays')
    const indexer = new EmbeddingIndexer(db, StaticVectorEmbedder.shared())
    await indexer.backfill()
    const search = sqliteRecall(db, {indexer})
    const result = await search.recall({query: 'cats and pets', agentId: 'default', limit: 3})
    expect(result.method).toBe('hybrid')
    expect(result.vector).toMatchObject({status: 'used', provider: 'local', model: 'glove-30k-100d'})
    expect(result.hits[0].memory.content).toContain('kitten')
    expect(result.hits[0].source).toBe('vector')
    // Lexical evidence still dominates when a memory has the words.
    const lexical = await search.recall({query: 'invoice accounting', agentId: 'default', limit: 3})
    expect(lexical.hits[0].memory.content).toContain('invoice')
    expect(lexical.hits[0].source).toBe('hybrid')
  })

  it('keeps scores in 0..1 and ordered', async () => {
    for (let i = 0; i < 30; i++) remember(`note ${i}: the deploy pipeline ${i % 3 === 0 ? 'failed on staging' : 'passed'} after change ${i}`)
    const indexer = new EmbeddingIndexer(db, StaticVectorEmbedder.shared())
    await indexer.backfill()
    const {hits} = await sqliteRecall(db, {indexer}).recall({query: 'deploy failed staging', agentId: 'default', limit: 10})
    expect(hits).toHaveLength(10)
    for (let i = 0; i < hits.length; i++) {
      expect(hits[i].score).toBeGreaterThan(0)
      expect(hits[i].score).toBeLessThanOrEqual(1)
      if (i > 0) expect(hits[i].score).toBeLessThanOrEqual(hits[i - 1].score)
    }
    expect(hits.slice(0, 3).every((hit) => hit.memory.content.includes('failed'))).toBe(true)
  })
})
