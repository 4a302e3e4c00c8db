import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import pg from 'pg'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {COMMON_WORD_FLOOR} from '../../../src/store/common-words.js'
import {openDatabase, type SqliteDatabase} from '../../../src/store/db.js'
import {MemoryStore, type RememberInput} from '../../../src/store/memories.js'
import {openPostgresStorage, type PostgresStorage} from '../../../src/store/postgres/storage.js'
import {proximityScores} from '../../../src/store/proximity.js'
import {planMatch, planProximityPairs, planQuery} from '../../../src/store/query-terms.js'
import {SqliteLexicalIndex} from '../../../src/store/sqlite/lexical-index.js'
import {sqliteRecall} from '../../../src/store/sqlite/storage.js'
import {createTestDatabase, postgresCluster, postgresSkipReason, type TestDatabase} from '../../helpers/postgres.js'

/**
 * The PostgreSQL lexical index must rank as SQLite's FTS5 does (the shared recall ranker takes its
 * relevance as bm25): the same memories go into both, and the relevance of every match is compared
 * with FTS5's own bm25(memories_fts, 1.0, 0.3) for the same query, within rounding. Words are ones
 * the porter (FTS5) and snowball (PostgreSQL) stemmers agree on.
 */
const CORPUS: RememberInput[] = [
  {agentId: 'a', content: 'The staging database runs on port 5433 behind the proxy.', tags: ['infra', 'database']},
  {agentId: 'a', content: 'Production database backups run nightly at two.', tags: ['backup']},
  {agentId: 'a', content: 'Caroline went to the pottery class and loved the pottery teacher.', sessionKey: 's1'},
  {agentId: 'a', content: 'Melanie painted a sunrise over the lake last summer.', sessionKey: 's1'},
  {agentId: 'a', content: 'We run end to end tests before every release of the mobile app.', project: 'app'},
  {agentId: 'a', content: 'The proxy caches images for the mobile app.', tags: ['cache', 'proxy'], project: 'app'},
  {agentId: 'b', content: 'Agent b also knows the staging database password is rotated monthly.'},
  {agentId: 'b', content: 'Pottery and painting are relaxing hobbies.', type: 'preference'},
  {agentId: 'a', content: 'Forgotten note about the database proxy.'},
  {agentId: 'a', content: 'Release notes mention the proxy port and the staging release train.', tags: ['release']},
  {agentId: 'a', content: 'Caroline: the pottery teacher liked my bowl.'},
  {agentId: 'a', content: 'CAROLINE: pottery again, a class every week.'},
  {agentId: 'a', content: 'Melanie: pottery is not for me, Caroline.'},
  {agentId: 'b', content: 'Caroline: pottery for agent b.'},
  {agentId: 'a', content: 'Élodie: pottery on Sundays, and a class at the teacher’s studio.'},
]

const QUERIES = [
  'staging database port',
  'what does the proxy cache',
  'pottery class teacher',
  'e2e tests for the mobile app release',
  'database backups',
  'the',
  'nothing matches this zzzqqq',
]

/**
 * The same memories in a PostgreSQL storage and a SQLite database, for one describe block: `fill`
 * writes them to both (`prepare` runs on the empty PostgreSQL database first). Both are closed and
 * removed after the block.
 */
function sideBySide(
  name: string,
  fill: (store: MemoryStore, storage: PostgresStorage) => Promise<void>,
  prepare?: (url: string) => Promise<void>,
): {database: TestDatabase; storage: PostgresStorage; sqlite: SqliteDatabase} {
  const both = {} as {database: TestDatabase; storage: PostgresStorage; sqlite: SqliteDatabase}
  let dir: string | undefined
  beforeAll(async () => {
    both.database = await createTestDatabase()
    both.storage = await openPostgresStorage({url: both.database.url})
    await prepare?.(both.database.url)
    dir = mkdtempSync(path.join(tmpdir(), `signet-${name}-`))
    both.sqlite = openDatabase(path.join(dir, 'memories.db'))
    await fill(new MemoryStore(both.sqlite), both.storage)
  }, 120_000)
  afterAll(async () => {
    both.sqlite?.close()
    if (dir) rmSync(dir, {recursive: true, force: true})
    await both.storage?.close()
    await both.database?.drop()
  })
  return both
}

describe.skipIf(!postgresCluster)(`PostgreSQL lexical index ${postgresSkipReason}`, () => {
  const both = sideBySide('lexical', async (store, storage) => {
    for (const input of CORPUS) {
      const inSqlite = store.remember(input)
      const inPostgres = await storage.memories.remember(input)
      if (input.content.startsWith('Forgotten')) {
        store.forget(inSqlite.memory.id, 'a')
        await storage.memories.forget(inPostgres.memory.id, 'a')
      }
    }
  })

  function fts5(match: string | undefined, limit = 50): Array<{seq: number; relevance: number}> {
    if (!match) return []
    return both.sqlite
      .prepare(
        'SELECT rowid AS seq, -bm25(memories_fts, 1.0, 0.3) AS relevance FROM memories_fts WHERE memories_fts MATCH ? ORDER BY bm25(memories_fts, 1.0, 0.3) LIMIT ?',
      )
      .all(match, limit) as Array<{seq: number; relevance: number}>
  }

  function close(actual: Array<{seq: number; relevance: number}>, expected: Array<{seq: number; relevance: number}>): void {
    expect(actual.map((row) => row.seq).sort()).toEqual(expected.map((row) => row.seq).sort())
    const byseq = new Map(expected.map((row) => [row.seq, row.relevance]))
    for (const row of actual) expect(row.relevance).toBeCloseTo(byseq.get(row.seq)!, 4)
    expect(actual.map((row) => row.relevance)).toEqual([...actual.map((row) => row.relevance)].sort((a, b) => b - a))
  }

  it('ranks every query exactly as FTS5 bm25 does (IDF, length, tags at 0.3, phrases, deleted rows counted)', async () => {
    for (const text of QUERIES) {
      const plan = planQuery(text)
      close(await both.storage.lexical.ranked(plan, 50), fts5(planMatch(plan)))
    }
  })

  it('ranks the memories holding a selecting word by every word of the plan, as SQLite does (common words left out)', async () => {
    const index = new SqliteLexicalIndex(both.sqlite)
    for (const [text, selectingText] of [
      ['pottery class teacher', 'teacher'],
      ['staging database proxy release', 'staging release'],
      ['caroline pottery', 'caroline'],
    ]) {
      const plan = planQuery(text)
      const selecting = plan.filter((planned) => selectingText.split(' ').includes(planned.term))
      const expected = await index.ranked(plan, 50, selecting)
      const actual = await both.storage.lexical.ranked(plan, 50, selecting)
      close(actual, expected)
      // Only memories holding a selecting word, each scored as the whole plan scores it.
      const whole = new Map(fts5(planMatch(plan)).map((row) => [row.seq, row.relevance]))
      const holding = new Set(fts5(planMatch(selecting)).map((row) => row.seq))
      expect(new Set(actual.map((row) => row.seq))).toEqual(holding)
      for (const row of actual) expect(row.relevance).toBeCloseTo(whole.get(row.seq)!, 4)
    }
  })

  it('scores close word pairs as FTS5 NEAR does, from the texts and the index terms, on both backends', async () => {
    const sqliteIndex = new SqliteLexicalIndex(both.sqlite)
    for (const text of ['staging database port', 'pottery class teacher', 'proxy port release', 'what does the proxy cache', 'caroline pottery class']) {
      const plan = planQuery(text)
      const near = planProximityPairs(plan, 8)
        .map(([a, b]) => `NEAR("${a}" "${b}", 5)`)
        .join(' OR ')
      const expected = fts5(near)
      expect(expected.length).toBeGreaterThan(0)
      const seqs = fts5(planMatch(plan), 100).map((row) => row.seq)
      for (const index of [sqliteIndex, both.storage.lexical]) {
        const scores = await proximityScores(index, plan, await index.texts(seqs), {maxTerms: 8, window: 5})
        close(
          [...scores].map(([seq, relevance]) => ({seq, relevance})).sort((x, y) => y.relevance - x.relevance),
          expected,
        )
      }
    }
  })

  it('filters by the recall query (agent, project, type, tags, dates, exclusions, not deleted) and keeps global document frequencies', async () => {
    const plan = planQuery('staging database proxy release')
    const all = await both.storage.lexical.ranked(plan, 50)
    const rows = await both.storage.lexical.rows(all.map((row) => row.seq))
    const expectFor = (keep: (row: {agent_id: string; project: string | null; deleted_at: string | null; tags: string; type: string}) => boolean) =>
      all.filter((row) => keep(rows.get(row.seq)!))
    // The same order, and the same relevance to the last bits (sums may add in another order).
    const sameRanking = (actual: typeof all, expected: typeof all) => {
      expect(actual.map((row) => row.seq)).toEqual(expected.map((row) => row.seq))
      for (const [index, row] of actual.entries()) expect(row.relevance).toBeCloseTo(expected[index].relevance, 9)
    }
    const agentA = await both.storage.lexical.rankedWithin(plan, {query: '', agentId: 'a', limit: 10}, 50)
    sameRanking(
      agentA,
      expectFor((row) => row.agent_id === 'a' && row.deleted_at === null),
    )
    const app = await both.storage.lexical.rankedWithin(plan, {query: '', agentId: 'a', project: 'app', limit: 10}, 50)
    sameRanking(
      app,
      expectFor((row) => row.agent_id === 'a' && row.project === 'app'),
    )
    const tagged = await both.storage.lexical.rankedWithin(plan, {query: '', agentId: 'a', tags: ['RELEASE'], limit: 10}, 50)
    sameRanking(
      tagged,
      expectFor((row) => row.agent_id === 'a' && JSON.parse(row.tags).includes('release')),
    )
    const first = agentA[0]
    const excluded = await both.storage.lexical.rankedWithin(plan, {query: '', agentId: 'a', excludeIds: [rows.get(first.seq)!.id], limit: 10}, 50)
    expect(excluded.map((row) => row.seq)).not.toContain(first.seq)
    expect(await both.storage.lexical.rankedWithin(plan, {query: '', agentId: 'a', since: '2999-01-01T00:00:00.000Z', limit: 10}, 50)).toEqual([])
    expect(await both.storage.lexical.rankedWithin(plan, {query: '', agentId: 'a', type: 'preference', limit: 10}, 50)).toEqual([])
    expect((await both.storage.lexical.rankedWithin(plan, {query: '', agentId: 'a', limit: 10}, 2)).length).toBe(2)

    const passing = await both.storage.lexical.passing(
      all.map((row) => row.seq),
      {query: '', agentId: 'b', limit: 10},
    )
    expect([...passing.keys()].every((seq) => rows.get(seq)!.agent_id === 'b')).toBe(true)
    for (const [seq, text] of passing) expect(text).toBe(`${rows.get(seq)!.content} ${rows.get(seq)!.tags}`)
    const neighbours = await both.storage.lexical.neighbours([3, 4, 5], {query: '', agentId: 'a', limit: 10})
    expect(neighbours.map((row) => [row.seq, row.session_key])).toEqual(
      expect.arrayContaining([
        [3, 's1'],
        [4, 's1'],
        [5, null],
      ]),
    )
    // Conversation context reads only memories stored with a session: the only ones it can join.
    for (const index of [both.storage.lexical, new SqliteLexicalIndex(both.sqlite)]) {
      const inSession = await index.neighbours([3, 4, 5], {query: '', agentId: 'a', limit: 10}, {sessionsOnly: true})
      expect(inSession.map((row) => [row.seq, row.session_key]).sort()).toEqual([
        [3, 's1'],
        [4, 's1'],
      ])
    }
    const texts = await both.storage.lexical.texts([1])
    expect(texts.get(1)).toBe('The staging database runs on port 5433 behind the proxy. ["infra","database"]')
  })

  it("ranks within a speaker's memories (the label lowercase, capitalised or uppercase) as SQLite does", async () => {
    const plan = planQuery('pottery class teacher')
    const query = {query: '', agentId: 'a', limit: 10}
    const said = await both.storage.lexical.rankedSaidBy(plan, query, 'caroline', 50)
    const expected = await new SqliteLexicalIndex(both.sqlite).rankedSaidBy(plan, query, 'caroline', 50)
    expect(said.map((row) => row.seq)).toEqual(expected.map((row) => row.seq))
    for (const [index, row] of said.entries()) expect(row.relevance).toBeCloseTo(expected[index].relevance, 4)
    const texts = await both.storage.lexical.texts(said.map((row) => row.seq))
    expect([...texts.values()].map((text) => text.slice(0, 10).toLowerCase())).toEqual(['caroline: ', 'caroline: '])
    expect(await both.storage.lexical.rankedSaidBy(plan, query, 'nobody', 50)).toEqual([])
    // Names that label a memory, not merely appear in one ("pottery" is in many, labels none).
    const names = ['caroline', 'melanie', 'élodie', 'pottery', 'nobody']
    expect(await both.storage.lexical.labelledSpeakers(names)).toEqual(new Set(['caroline', 'melanie', 'élodie']))
    expect(await new SqliteLexicalIndex(both.sqlite).labelledSpeakers(names)).toEqual(new Set(['caroline', 'melanie', 'élodie']))
    // A capital outside ASCII: SQLite's lower() leaves "É" as it is, PostgreSQL's folds it.
    for (const lexical of [both.storage.lexical, new SqliteLexicalIndex(both.sqlite)]) {
      const elodie = await lexical.rankedSaidBy(plan, query, 'élodie', 50)
      expect([...(await lexical.texts(elodie.map((row) => row.seq))).values()].map((text) => text.slice(0, 8))).toEqual(['Élodie: '])
    }
  })

  it('knows which words the store holds, by stem, as FTS5 does', async () => {
    const words = ['pottery', 'databases', 'caching', 'zzzqqq', 'painted', 'Melanie', '']
    const expected = words.filter((word) => word && fts5(`"${word.toLowerCase()}"`).length > 0)
    expect([...(await both.storage.lexical.storedWords(words))].sort()).toEqual(expected.sort())
  })

  it('indexes words as split by search-text (host names, e-mail addresses and accents), whatever the server locale', async () => {
    await both.storage.memories.remember({agentId: 'w', content: 'Mail ops@example.com about api.internal.io — café naïve versions v1.2.3'})
    for (const word of ['example', 'internal', 'cafe', 'naive', 'v1', 'ops']) {
      expect(await both.storage.lexical.storedWords([word]), word).toEqual(new Set([word]))
    }
    const hits = await both.storage.lexical.rankedWithin(planQuery('Café example'), {query: '', agentId: 'w', limit: 10}, 10)
    expect(hits).toHaveLength(1)
  })
})

describe.skipIf(!postgresCluster)(`PostgreSQL common words ${postgresSkipReason}`, () => {
  // Above COMMON_WORD_FLOOR: "meetings" is in every memory, so it is too common to select candidates on both backends.
  const inputs: RememberInput[] = [
    ...Array.from({length: COMMON_WORD_FLOOR + 500}, (_, index) => ({content: `Weekly meetings note number ${index} about item x${index}`, agentId: 'a'})),
    {content: 'The zanzibar meeting moved to Friday', agentId: 'a'},
    {content: 'Flights to zanzibar are cheaper in May', agentId: 'a'},
  ]

  const both = sideBySide('common', async (store, storage) => {
    store.importMany(inputs)
    await storage.memories.importMany(inputs)
  })

  it('counts words as SQLite does and recalls the same memories in the same order', async () => {
    const words = ['meeting', 'meetings', 'weekly', 'zanzibar', 'friday', 'x17', 'nowhere']
    const expected = await new SqliteLexicalIndex(both.sqlite).documentCounts(words)
    expect(expected.get('meetings')).toBe(COMMON_WORD_FLOOR + 501)
    // Counting stops past the bar on PostgreSQL; below it the counts are exact.
    const bar = COMMON_WORD_FLOOR
    const counted = await both.storage.lexical.documentCounts(words, bar)
    for (const word of words) expect(Math.min(counted.get(word)!, bar + 1), word).toBe(Math.min(expected.get(word)!, bar + 1))
    expect(await both.storage.lexical.indexedMemories()).toBe(await new SqliteLexicalIndex(both.sqlite).indexedMemories())
    for (const query of ['zanzibar meeting', 'weekly meetings friday']) {
      const fromSqlite = await sqliteRecall(both.sqlite).recall({query, agentId: 'a', limit: 10})
      const fromPostgres = await both.storage.recall.recall({query, agentId: 'a', limit: 10})
      expect(fromPostgres.hits.map((hit) => hit.memory.content)).toEqual(fromSqlite.hits.map((hit) => hit.memory.content))
    }
  })
})

describe.skipIf(!postgresCluster)(`PostgreSQL hedged questions about someone ${postgresSkipReason}`, () => {
  // Caroline says most turns, so her name weighs nothing; her related memory holds no word of the question.
  const inputs: RememberInput[] = [
    ...['work is busy', 'dinner was late', 'the zoo was fun', 'it rained'].map((filler) => ({content: `Caroline: ${filler}.`, agentId: 'a'})),
    {content: 'Caroline: The traditions of my family and my beliefs mean a great deal to me.', agentId: 'a'},
    {content: 'Melanie: Our choir sings spiritual songs.', agentId: 'a'},
    {content: 'Melanie: I considered a new job.', agentId: 'a'},
  ]

  const both = sideBySide('hedged', async (store, storage) => {
    for (const input of inputs) {
      store.remember(input)
      await storage.memories.remember(input)
    }
  })

  it("ranks the named speaker's related memory as SQLite does, with the same receipt", async () => {
    const query = {query: 'Would Caroline be considered religious?', agentId: 'a', limit: 4}
    const fromSqlite = await sqliteRecall(both.sqlite).recall(query)
    const fromPostgres = await both.storage.recall.recall(query)
    expect(fromPostgres.hits.map((hit) => hit.memory.content)).toEqual(fromSqlite.hits.map((hit) => hit.memory.content))
    const traditions = fromPostgres.hits.find((hit) => hit.memory.content.includes('traditions'))
    expect(traditions?.why.signals).toMatchObject({related: 1, speaker: 1})
    expect(fromPostgres.hits.filter((hit) => hit.memory.content.startsWith('Caroline:'))[0]).toBe(traditions)
  })
})

describe.skipIf(!postgresCluster)(`PostgreSQL filtered ranking ${postgresSkipReason}`, () => {
  // Two speakers taking turns; the shorter a turn, the better its bm25 for "pottery", and the
  // best turns come last (the highest seqs), so rows taken in any order but rank order differ.
  const inputs: RememberInput[] = Array.from({length: 600}, (_, index) => ({
    agentId: 'a',
    content: `${index % 2 === 0 ? 'Joanna' : 'Nate'}: pottery ${'clay '.repeat(600 - index)}`,
    sessionKey: 's1',
    createdAt: new Date(Date.UTC(2024, 0, 1) + index * 60_000).toISOString(),
  }))

  const both = sideBySide(
    'filtered',
    async (store, storage) => {
      for (const input of inputs) {
        store.remember(input)
        await storage.memories.remember(input)
      }
    },
    async (url) => {
      // A store never analysed, as right after an import: the planner guesses its row counts
      // (how it chose to read the memories first and the ranked rows second, bench/README.md).
      const client = new pg.Client({connectionString: url})
      await client.connect()
      for (const table of ['memories', 'memory_terms']) await client.query(`ALTER TABLE ${table} SET (autovacuum_enabled = false)`)
      await client.end()
    },
  )

  it('keeps the best matches that pass the filter, in rank order, as SQLite does', async () => {
    // Many words, most held by no memory (as a question with its word neighbours): the planner,
    // guessing, then took the filtered memories for the smaller side and read them first.
    const plan = planQuery(
      'pottery clay wheel glaze kiln bowl vase studio teacher class week sunday paint brush canvas colour sunset lake summer garden flower tree house road',
    )
    const query = {query: '', agentId: 'a', limit: 10}
    const sqliteIndex = new SqliteLexicalIndex(both.sqlite)
    // The oracle: every match ranked without a filter, then filtered here, in rank order.
    const all = await both.storage.lexical.ranked(plan, inputs.length)
    const texts = await both.storage.lexical.texts(all.map((row) => row.seq))
    const best = (keep: (seq: number) => boolean) =>
      all
        .filter((row) => keep(row.seq))
        .slice(0, 5)
        .map((row) => row.seq)
    const said = await both.storage.lexical.rankedSaidBy(plan, query, 'joanna', 5)
    expect(said.map((row) => row.seq)).toEqual(best((seq) => texts.get(seq)!.startsWith('Joanna: ')))
    expect(said.map((row) => row.seq)).toEqual((await sqliteIndex.rankedSaidBy(plan, query, 'joanna', 5)).map((row) => row.seq))
    const dated = {...query, since: inputs[100].createdAt!, until: inputs[300].createdAt!}
    const within = await both.storage.lexical.rankedWithin(plan, dated, 5)
    expect(within.map((row) => row.seq)).toEqual(best((seq) => seq >= 101 && seq <= 301))
    expect(within.map((row) => row.seq)).toEqual((await sqliteIndex.rankedWithin(plan, dated, 5)).map((row) => row.seq))
  })
})
