import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {openSqliteStorage, type SqliteStorage} from '../../src/store/sqlite/storage.js'
import {digestTable, migrateTables, type MigrationCheckpoint} from '../../src/store/storage-migration.js'
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
    const report = await migrateTables(source.tables, target.tables, {batchSize: 2, onProgress: (step) => progress.push(`${step.table}:${step.copied}/${step.total}`)})
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
})
