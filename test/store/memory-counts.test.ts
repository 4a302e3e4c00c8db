import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import Database from 'better-sqlite3'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {MIGRATIONS, openDatabase} from '../../src/store/db.js'
import {MemoryStore} from '../../src/store/memories.js'

/**
 * The live memory count `signet status` shows is kept per agent by triggers (migration 10), so it
 * costs one lookup on a store of a million memories. It must always equal count(*) over the rows.
 */
let dir: string
let dbPath: string

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'signet-counts-'))
  dbPath = path.join(dir, 'memories.db')
})

afterEach(() => {
  rmSync(dir, {recursive: true, force: true})
})

function scanned(db: Database.Database, agentId?: string): number {
  const where = agentId === undefined ? '' : ' AND agent_id = ?'
  return (db.prepare(`SELECT count(*) AS n FROM memories WHERE deleted_at IS NULL${where}`).get(...(agentId === undefined ? [] : [agentId])) as {n: number}).n
}

describe('live memory counts', () => {
  it('follow remember, dedup, forget, bulk import, a copy-style upsert and a hard delete', () => {
    const db = openDatabase(dbPath)
    const store = new MemoryStore(db)
    const check = () => {
      expect(store.count()).toBe(scanned(db))
      for (const agentId of ['a', 'b', 'nobody']) expect(store.count({agentId})).toBe(scanned(db, agentId))
    }
    check()
    const first = store.remember({content: 'one', agentId: 'a'}).memory
    store.remember({content: 'one', agentId: 'a'})
    store.remember({content: 'two', agentId: 'b', project: 'p'})
    check()
    expect(store.count({agentId: 'b', project: 'p'})).toBe(1)
    store.forget(first.id, 'a')
    store.forget(first.id, 'a')
    check()
    expect(store.importMany(Array.from({length: 50}, (_, index) => ({content: `bulk ${index % 40}`, agentId: index % 2 ? 'a' : 'b'}))).imported).toBe(40)
    check()
    // What `signet storage migrate` does into SQLite: an upsert of whole rows, deleted ones too.
    const row = db.prepare('SELECT * FROM memories WHERE id = ?').get(first.id) as Record<string, unknown>
    db.prepare(
      'INSERT INTO memories (seq, id, content, content_hash, agent_id, created_at, updated_at, deleted_at) VALUES (@seq, @id, @content, @content_hash, @agent_id, @created_at, @updated_at, NULL) ON CONFLICT (seq) DO UPDATE SET deleted_at = excluded.deleted_at, agent_id = excluded.agent_id',
    ).run(row)
    check()
    db.prepare('DELETE FROM memories WHERE agent_id = ?').run('b')
    check()
    expect(store.count({agentId: 'b'})).toBe(0)
    db.close()
  })

  it('are filled when an existing store is upgraded, and kept after', () => {
    const old = new Database(dbPath)
    for (const migration of MIGRATIONS.filter((migration) => migration.version < 10)) old.exec(migration.sql)
    old.pragma('user_version = 9')
    const insert = old.prepare(`INSERT INTO memories (id, content, content_hash, agent_id, created_at, updated_at, deleted_at)
      VALUES (?, ?, ?, ?, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z', ?)`)
    for (let index = 0; index < 30; index++)
      insert.run(`id-${index}`, `old ${index}`, `hash-${index}`, index % 3 ? 'a' : 'b', index % 5 ? null : '2026-01-02T00:00:00.000Z')
    old.close()

    const db = openDatabase(dbPath, {backupBeforeMigrate: false})
    const store = new MemoryStore(db)
    expect(store.count()).toBe(scanned(db))
    expect(store.count({agentId: 'a'})).toBe(scanned(db, 'a'))
    expect(store.count({agentId: 'b'})).toBe(scanned(db, 'b'))
    store.remember({content: 'new after the upgrade', agentId: 'a'})
    expect(store.count({agentId: 'a'})).toBe(scanned(db, 'a'))
    db.close()
  })
})
