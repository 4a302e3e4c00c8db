import {mkdtempSync, rmSync, statSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {afterEach, beforeEach, expect, it} from 'vitest'

import {openDatabase, type SqliteDatabase} from '../../src/store/db.js'
import {MemoryStore} from '../../src/store/memories.js'

let dir: string
let db: SqliteDatabase

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'signet-wal-'))
  db = openDatabase(path.join(dir, 'memories.db'))
})

afterEach(() => {
  db.close()
  rmSync(dir, {recursive: true, force: true})
})

it("leaves the WAL to grow past SQLite's default 1,000 pages before a commit checkpoints it", () => {
  const store = new MemoryStore(db)
  const wal = path.join(dir, 'memories.db-wal')
  const pageSize = db.pragma('page_size', {simple: true}) as number
  // The WAL file is reused from its start after a checkpoint, never shrunk: its size is the most
  // pages it held. Each remember appends its pages (row, indexes, FTS5 segment).
  const mostFrames = () => (statSync(wal).size - 32) / (pageSize + 24)
  for (let i = 0; i < 1000 && mostFrames() < 2000; i++) {
    store.remember({agentId: 'default', content: `note ${i}: the staging proxy ${i % 7} rotates its certificate on day ${i}`})
  }
  expect(mostFrames()).toBeGreaterThanOrEqual(2000)
})
