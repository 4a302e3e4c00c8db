import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {COPIED_TABLES} from '../../src/store/sqlite/table-copy.js'
import {openSqliteStorage, type SqliteStorage} from '../../src/store/sqlite/storage.js'
import type {Storage} from '../../src/store/storage.js'
import {populate} from '../helpers/storage-fixture.js'

let dir: string
const opened: SqliteStorage[] = []

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'signet-sqlite-storage-'))
})

afterEach(async () => {
  while (opened.length > 0) await opened.pop()!.close()
  rmSync(dir, {recursive: true, force: true})
})

function open(name: string): SqliteStorage {
  const storage = openSqliteStorage(path.join(dir, `${name}.db`), {indexInBackground: false})
  opened.push(storage)
  return storage
}

/** Every table, page by page (a small page, so keyset paging over composite keys is exercised). */
async function copyAll(from: Storage, to: Storage, pageSize = 3) {
  for (const {name, key} of await from.tables.tables()) {
    const columns = key.split(',')
    let after: string | number | null = null
    for (;;) {
      const rows = await from.tables.read(name, after, pageSize)
      if (rows.length === 0) break
      await to.tables.write(name, rows)
      const last = rows[rows.length - 1]
      after = columns.length === 1 ? (last[columns[0]] as string | number) : JSON.stringify(columns.map((column) => last[column]))
    }
  }
}

async function everything(storage: Storage) {
  const out: Record<string, unknown[]> = {}
  for (const {name} of await storage.tables.tables()) out[name] = await storage.tables.read(name, null, 10_000)
  return out
}

describe('SQLite storage: table copy', () => {
  it('copies every table losslessly by keyset pages, idempotently, and the copy works as a store', async () => {
    const source = open('source')
    const {key} = await populate(source)
    const target = open('target')
    await copyAll(source, target)
    const copied = await everything(target)
    expect(copied).toEqual(await everything(source))
    for (const {name} of COPIED_TABLES) expect(copied[name].length, name).toBeGreaterThan(0)
    // Resuming an interrupted copy writes the same rows again: nothing doubles.
    await copyAll(source, target, 5)
    for (const {name} of COPIED_TABLES) expect(await target.tables.count(name), name).toBe(await source.tables.count(name))

    // Derived indexes are rebuilt from the rows: recall, transcript search, key checks and inboxes work on the copy.
    const query = {query: 'which port does staging use', agentId: 'default', limit: 5}
    const [before, after] = [await source.recall.recall(query), await target.recall.recall(query)]
    // Same hits and scores (to the recency term's drift between the two calls).
    const ranked = (result: typeof before) => result.hits.map((hit) => [hit.memory.id, hit.score.toFixed(6), hit.why])
    expect(ranked(after)).toEqual(ranked(before))
    expect(after.hits[0].memory.content).toContain('5433')
    expect((await target.transcripts.search({query: 'staging', agentId: 'default', limit: 5})).length).toBe(1)
    expect((await target.apiKeys.verify(key.key)).ok).toBe(true)
    expect((await target.messages.list('codex', {state: 'acked'})).map((message) => message.body)).toEqual(['deploy after lunch'])
    expect(await target.memories.count({agentId: 'default'})).toBe(await source.memories.count({agentId: 'default'}))
  })

  it('lists every table of the schema except the derived ones and sources (a new table must be added to the copy)', () => {
    const storage = open('schema')
    const real = (storage.database.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").pluck().all() as string[])
      // FTS5 indexes and their shadow tables: rebuilt by triggers from the copied rows.
      .filter((name) => !/_fts(_|$)/.test(name))
    const derivedOrLocal = ['memory_counts', 'embedding_spaces', 'memory_vector_state', 'memory_vector_stale', 'sources', 'source_files', 'source_chunks']
    expect(real.filter((name) => !derivedOrLocal.includes(name)).sort()).toEqual(COPIED_TABLES.map((table) => table.name).sort())
  })

  it('refuses tables and columns it does not copy (their names go into SQL)', async () => {
    const storage = open('strict')
    await expect(storage.tables.read('sqlite_master', null, 10)).rejects.toThrow(/no copied table/)
    await expect(storage.tables.read('sources', null, 10)).rejects.toThrow(/no copied table/)
    await expect(storage.tables.write('audit', [{seq: 1, at: 'x', event: 'e', 'detail_json) VALUES (1); DROP TABLE audit; --': 1}])).rejects.toThrow(
      /no column/,
    )
    await expect(storage.tables.read('sessions', 'not json', 10)).rejects.toThrow()
  })
})

describe('SQLite storage: pairing claims and health', () => {
  it('a pairing code mints one key, once', async () => {
    const storage = open('pairing')
    const issued = await storage.pairing.issue({connector: 'pi', agentId: 'pi-phone', role: 'agent', project: null}, 600_000)
    const mint = () => ({name: 'phone', role: 'agent' as const, agentId: 'pi-phone'})
    const [first, second] = await Promise.all([storage.pairing.claim(issued.code, mint), storage.pairing.claim(issued.code, mint)])
    expect([first.status, second.status].sort()).toEqual(['ok', 'used'])
    expect((await storage.apiKeys.list()).length).toBe(1)
    expect((await storage.pairing.claim('AAA-AAA', mint)).status).toBe('unknown')
  })

  it('reports health facts, and the quick check only when asked', async () => {
    const storage = open('health')
    const shallow = await storage.health()
    expect(shallow).toMatchObject({backend: 'sqlite', ok: true, problems: [], details: {journalMode: 'wal', quickCheck: false}})
    expect(shallow.schemaVersion).toBe(shallow.latestSchemaVersion)
    expect(await storage.health({deep: true})).toMatchObject({ok: true, details: {quickCheck: true}})
    const before = await storage.changeCounter()
    await storage.memories.remember({content: 'a change', agentId: 'default'})
    expect(await storage.changeCounter()).toBeGreaterThan(before)
    expect(storage.writeProblem()).toBeUndefined()
  })
})
