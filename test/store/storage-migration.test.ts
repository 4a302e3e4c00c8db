import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {openSqliteStorage, type SqliteStorage} from '../../src/store/sqlite/storage.js'
import {digestTable, migrateTables, type MigrationCheckpoint, otherData} from '../../src/store/storage-migration.js'
import {populate} from '../helpers/storage-fixture.js'

let dir: string
const opened: SqliteStorage[] = []

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'signet-migration-'))
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

describe('migrateTables (signet storage migrate)', () => {
  it('copies every table, verified by counts and content hashes, and the copy answers like the original', async () => {
    const source = open('source')
    await populate(source)
    const target = open('target')
    const progress: string[] = []
    const report = await migrateTables(source.tables, target.tables, {
      batchSize: 2,
      onProgress: (step) => progress.push(`${step.table}:${step.copied}/${step.total}`),
    })
    expect(report.ok).toBe(true)
    expect(report.copied).toBeGreaterThan(20)
    for (const verdict of report.tables) expect(verdict.sourceHash, verdict.table).toBe(verdict.targetHash)
    expect(progress).toContain('memories:0/9')
    // The copy is a working store: recall finds the fact, the claimed key verifies, the forgotten memory stays gone.
    const recalled = await target.recall.recall({query: 'staging database port', agentId: 'default', limit: 5})
    expect(recalled.hits[0].memory.content).toContain('5433')
    expect(await target.memories.count({agentId: 'default'})).toBe(await source.memories.count({agentId: 'default'}))
  })

  it('resumes from a checkpoint after an interruption and ends identical', async () => {
    const source = open('source')
    await populate(source)
    const target = open('target')
    let saved: MigrationCheckpoint | undefined
    const abort = new AbortController()
    let pages = 0
    await expect(
      migrateTables(source.tables, target.tables, {
        batchSize: 2,
        signal: abort.signal,
        onCheckpoint: (checkpoint) => {
          saved = structuredClone(checkpoint)
          if (++pages === 5) abort.abort()
        },
      }),
    ).rejects.toThrow()
    expect(saved!.done.length).toBeGreaterThan(0)
    const resumed = await migrateTables(source.tables, target.tables, {batchSize: 2, checkpoint: saved})
    expect(resumed.ok).toBe(true)
    for (const {name} of await source.tables.tables()) expect(await digestTable(target.tables, name)).toEqual(await digestTable(source.tables, name))
  })

  it('says which table differs when the target was changed behind its back', async () => {
    const source = open('source')
    await populate(source)
    const target = open('target')
    await migrateTables(source.tables, target.tables)
    await target.memories.remember({content: 'written to the target only', agentId: 'default'})
    const again = await migrateTables(source.tables, target.tables)
    expect(again.ok).toBe(false)
    expect(again.tables.filter((verdict) => !verdict.ok).map((verdict) => verdict.table)).toEqual(['memories'])
  })

  it('finds no other data in a target an interrupted copy from the same source left', async () => {
    const source = open('source')
    await populate(source)
    const target = open('target')
    const abort = new AbortController()
    let pages = 0
    await expect(
      migrateTables(source.tables, target.tables, {batchSize: 2, signal: abort.signal, onCheckpoint: () => void (++pages === 4 && abort.abort())}),
    ).rejects.toThrow()
    expect(await target.tables.count('memories')).toBeGreaterThan(0)
    expect(await otherData(source.tables, target.tables, {batchSize: 2})).toEqual([])
  })

  it("names the tables holding another store's rows — new keys, and the same seq for another memory — and with remove leaves an exact copy", async () => {
    const source = open('source')
    await populate(source)
    const target = open('other')
    // Another workspace's store: its memory 1 is not the source's memory 1, and it has a key the source lacks.
    await target.memories.remember({content: 'a memory of another workspace', agentId: 'default'})
    await target.apiKeys.create({name: 'theirs', role: 'agent', agentId: 'x'})
    expect(await target.tables.count('memories')).toBe(1)
    expect(await otherData(source.tables, target.tables, {batchSize: 3})).toEqual([
      {table: 'api_keys', rows: 1},
      {table: 'memories', rows: 1},
    ])
    expect(await otherData(source.tables, target.tables, {batchSize: 3, remove: true})).toEqual([
      {table: 'api_keys', rows: 1},
      {table: 'memories', rows: 1},
    ])
    expect(await otherData(source.tables, target.tables)).toEqual([])
    const report = await migrateTables(source.tables, target.tables, {batchSize: 3})
    expect(report.tables.filter((verdict) => !verdict.ok)).toEqual([])
    // The removed memory's words left the search index with it.
    expect((await target.recall.recall({query: 'another workspace', agentId: 'default', limit: 5})).hits).toEqual([])
  })

  it('removes rows by composite key', async () => {
    const source = open('source')
    await populate(source)
    const [first] = await source.tables.read('sessions', null, 1)
    await source.tables.remove('sessions', [JSON.stringify([first.agent_id, first.session_key])])
    expect((await source.tables.read('sessions', null, 1))[0]).not.toEqual(first)
    expect(await source.tables.count('sessions')).toBe(3)
  })
})
