import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import pg from 'pg'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {openPostgresStorage, type PostgresStorage} from '../../../src/store/postgres/storage.js'
import {POSTGRES_COPIED_TABLES} from '../../../src/store/postgres/table-copy.js'
import {COPIED_TABLES} from '../../../src/store/sqlite/table-copy.js'
import {openSqliteStorage, type SqliteStorage} from '../../../src/store/sqlite/storage.js'
import {migrateTables, otherData} from '../../../src/store/storage-migration.js'
import {createTestDatabase, postgresCluster, postgresSkipReason, type TestDatabase} from '../../helpers/postgres.js'
import {populate} from '../../helpers/storage-fixture.js'

describe.skipIf(!postgresCluster)(`signet storage migrate between SQLite and PostgreSQL ${postgresSkipReason}`, () => {
  let dir: string
  const databases: TestDatabase[] = []
  const opened: Array<SqliteStorage | PostgresStorage> = []

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'signet-pg-copy-'))
  })
  afterAll(async () => {
    for (const storage of opened) await storage.close()
    for (const database of databases) await database.drop()
    rmSync(dir, {recursive: true, force: true})
  })

  const sqlite = (name: string) => {
    const storage = openSqliteStorage(path.join(dir, `${name}.db`), {indexInBackground: false})
    opened.push(storage)
    return storage
  }
  const postgres = async () => {
    const database = await createTestDatabase()
    databases.push(database)
    const storage = await openPostgresStorage({url: database.url})
    opened.push(storage)
    return storage
  }

  it('copy the same tables, keys and columns as SQLite, in the same order', async () => {
    expect(POSTGRES_COPIED_TABLES).toEqual(COPIED_TABLES)
    const a = sqlite('columns')
    const b = await postgres()
    await populate(a)
    for (const {name} of COPIED_TABLES) {
      const [left] = await a.tables.read(name, null, 1)
      const columns = (await b.pool.query<{column_name: string}>('SELECT column_name FROM information_schema.columns WHERE table_name = $1', [name])).rows.map(
        (row) => row.column_name,
      )
      for (const column of Object.keys(left)) expect(columns, `${name}.${column}`).toContain(column)
    }
  })

  it('moves a workspace from SQLite to PostgreSQL and back losslessly, verified by counts and hashes, and the copy works', async () => {
    const source = sqlite('source')
    const {key} = await populate(source)
    const middle = await postgres()
    const there = await migrateTables(source.tables, middle.tables, {batchSize: 3})
    expect(there.tables.filter((verdict) => !verdict.ok)).toEqual([])
    expect(there.ok).toBe(true)
    for (const verdict of there.tables) expect(verdict.targetRows, verdict.table).toBeGreaterThan(0)
    // The copy ends with ANALYZE: the first recalls plan with statistics for the copied rows.
    const analysed = await middle.pool.query<{last_analyze: Date | null}>("SELECT last_analyze FROM pg_stat_user_tables WHERE relname = 'memories'")
    expect(analysed.rows[0].last_analyze).not.toBeNull()

    // The copy on PostgreSQL is a working store: recall, transcript search, keys, inbox, and new rows after the copied ones.
    const query = {query: 'which port does staging use', agentId: 'default', limit: 5}
    const [before, after] = [await source.recall.recall(query), await middle.recall.recall(query)]
    expect(after.hits.map((hit) => [hit.memory.id, hit.score.toFixed(4)])).toEqual(before.hits.map((hit) => [hit.memory.id, hit.score.toFixed(4)]))
    expect((await middle.transcripts.search({query: 'staging', agentId: 'default', limit: 5})).length).toBe(1)
    expect((await middle.apiKeys.verify(key.key)).ok).toBe(true)
    expect((await middle.messages.list('codex', {state: 'acked'})).map((message) => message.body)).toEqual(['deploy after lunch'])
    const added = await middle.memories.remember({agentId: 'default', content: 'written after the copy'})
    expect(added.deduped).toBe(false)
    expect(
      (await middle.messages.send({from: {agent: 'codex'}, to: {address: 'default', agent: 'default'}, kind: 'note', body: 'after'})).event.seq,
    ).toBeGreaterThan(0)

    // Resuming (running again) writes the same rows again: nothing doubles.
    const again = await migrateTables(source.tables, middle.tables, {batchSize: 5})
    expect(
      again.tables.filter((verdict) => verdict.table !== 'memories' && verdict.table !== 'agent_messages' && verdict.table !== 'agent_events' && !verdict.ok),
    ).toEqual([])

    const back = sqlite('back')
    const home = await migrateTables(middle.tables, back.tables, {batchSize: 4})
    expect(home.ok).toBe(true)
    expect(await back.memories.count()).toBe(await middle.memories.count())
    expect((await back.recall.recall({query: 'written after the copy', agentId: 'default', limit: 1})).hits[0].memory.id).toBe(added.memory.id)
  })

  it('keeps copied rows byte for byte: text in every script, timestamps as written, numbers as numbers', async () => {
    const source = sqlite('bytes')
    await source.memories.importMany([
      {agentId: 'x', content: 'Ünïcödé 日本語 emoji 🎉 and "quotes"', createdAt: '2023-05-08T13:56:00.000Z', importance: 0.1 + 0.2},
    ])
    const target = await postgres()
    expect((await migrateTables(source.tables, target.tables)).ok).toBe(true)
    const [row] = await target.tables.read('memories', null, 1)
    expect(row).toMatchObject({content: 'Ünïcödé 日本語 emoji 🎉 and "quotes"', created_at: '2023-05-08T13:56:00.000Z', importance: 0.1 + 0.2, pinned: 0})
    // Rows keep their order by key in both: text keys compare byte by byte (COLLATE "C"), as SQLite does.
    const client = new pg.Client({connectionString: databases[databases.length - 1].url})
    await client.connect()
    const collations = await client.query<{collation_name: string | null}>(
      "SELECT collation_name FROM information_schema.columns WHERE table_name = 'api_keys' AND column_name = 'id'",
    )
    await client.end()
    expect(collations.rows[0].collation_name).toBe('C')
  })

  it("tells a resumed copy from another store's data, and removes the latter with its search postings", async () => {
    const source = sqlite('other-source')
    await populate(source)
    const target = await postgres()
    // Half a copy, as an interrupted run leaves it: all from this source.
    await target.tables.write('memories', await source.tables.read('memories', null, 4))
    expect(await otherData(source.tables, target.tables, {batchSize: 3})).toEqual([])

    // A memory and a session of another workspace, and the source's memory 2 replaced by another one.
    await target.memories.remember({content: 'zeppelin hangar inventory', agentId: 'default'})
    const [second] = await target.tables.read('memories', 1, 1)
    await target.tables.write('memories', [{...second, id: 'not-the-source-memory'}])
    await target.sessions.touch({sessionKey: 'theirs', agentId: 'default'})
    expect(await otherData(source.tables, target.tables, {batchSize: 3})).toEqual([
      {table: 'memories', rows: 2},
      {table: 'sessions', rows: 1},
    ])
    expect((await target.recall.recall({query: 'zeppelin hangar', agentId: 'default', limit: 5})).hits).toHaveLength(1)
    const postings = async () =>
      (await target.pool.query<{n: number}>("SELECT count(*)::int AS n FROM memory_terms WHERE lexeme LIKE 'zeppelin%' OR lexeme LIKE 'hangar%'")).rows[0].n
    expect(await postings()).toBe(2)
    await otherData(source.tables, target.tables, {batchSize: 3, remove: true})
    expect((await target.recall.recall({query: 'zeppelin hangar', agentId: 'default', limit: 5})).hits).toEqual([])
    expect(await postings()).toBe(0)
    const report = await migrateTables(source.tables, target.tables, {batchSize: 3})
    expect(report.tables.filter((verdict) => !verdict.ok)).toEqual([])
  })

  it('writes a page larger than one statement can carry (65,535 parameters) in several', async () => {
    const source = sqlite('large-page')
    await source.memories.importMany(
      Array.from({length: 6000}, (_, index) => ({agentId: 'bulk', content: `bulk memory ${index} about lighthouse ${index % 13}`})),
    )
    const target = await postgres()
    const report = await migrateTables(source.tables, target.tables, {batchSize: 6000})
    expect(report.tables.filter((verdict) => !verdict.ok)).toEqual([])
    expect(await target.memories.count({agentId: 'bulk'})).toBe(6000)
    expect((await target.recall.recall({query: 'bulk memory 5999', agentId: 'bulk', limit: 1})).hits[0].memory.content).toBe(
      'bulk memory 5999 about lighthouse 6',
    )
  })

  it('reports a row PostgreSQL cannot hold as it is (a NUL character) as differing, not as copied', async () => {
    const source = sqlite('nul')
    await source.memories.importMany([{agentId: 'x', content: 'before\u0000after'}])
    const [row] = await source.tables.read('memories', null, 1)
    expect(row.content).toBe('before\u0000after')
    const target = await postgres()
    const report = await migrateTables(source.tables, target.tables)
    expect(report.ok).toBe(false)
    expect(report.tables.filter((verdict) => !verdict.ok).map((verdict) => verdict.table)).toEqual(['memories'])
  })
})
