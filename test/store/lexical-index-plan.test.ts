import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {afterEach, beforeEach, describe, expect, it, vi} from 'vitest'

import {openDatabase, type SqliteDatabase} from '../../src/store/db.js'
import {MemoryStore} from '../../src/store/memories.js'
import {planQuery} from '../../src/store/query-terms.js'
import {SqliteLexicalIndex} from '../../src/store/sqlite/lexical-index.js'

/**
 * A filtered bm25 pass (a query naming a month, a speaker, another agent's memories) must read the
 * text index first, unless its date span holds few memories. Left to itself SQLite walked the created_at index over the named span and ran
 * the MATCH once per memory: 0.65–1.1 s for a month at a million memories (bench/README.md, "B8:
 * the prompt hook at a million memories"). SQLite has no statistics here (no ANALYZE), so the plan
 * it picks on a small store is the one it picks on a large one.
 */
let dir: string
let db: SqliteDatabase

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'signet-lexical-plan-'))
  db = openDatabase(path.join(dir, 'memories.db'))
})

afterEach(() => {
  db.close()
  rmSync(dir, {recursive: true, force: true})
})

/** The first step of the plan the dated bm25 pass ran, and what it found. */
async function datedPass(index: SqliteLexicalIndex): Promise<{first: string; found: number}> {
  const prepare = vi.spyOn(db, 'prepare')
  const found = await index.rankedWithin(
    planQuery('maria class'),
    {query: 'maria class', agentId: 'default', limit: 10, since: '2023-12-01T00:00:00.000Z', until: '2023-12-31T23:59:59.999Z'},
    10,
  )
  const sql = prepare.mock.calls.map(([text]) => text).find((text) => text.includes('bm25'))
  prepare.mockRestore()
  expect(sql).toBeDefined()
  const steps = db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all({match: '"maria"', agentId: 'default', since: '2023-12-01', until: '2024-01-01'}) as Array<{
    detail: string
  }>
  return {first: steps[0].detail, found: found.length}
}

describe('filtered bm25 pass', () => {
  const dated = [
    {content: 'Maria started a yoga class', agentId: 'default', createdAt: '2023-12-05T10:00:00.000Z'},
    {content: 'Maria joined a pottery class', agentId: 'default', createdAt: '2023-11-05T10:00:00.000Z'},
    {content: 'Nothing about her at all', agentId: 'default', createdAt: '2023-12-06T10:00:00.000Z'},
  ]

  it('scans the text index first within a date span holding many memories, and finds the dated ones', async () => {
    const store = new MemoryStore(db)
    store.importMany([
      ...dated,
      ...Array.from({length: 600}, (_, day) => ({content: `Standup notes ${day}`, agentId: 'default', createdAt: `2023-12-0${1 + (day % 9)}T08:00:00.000Z`})),
    ])
    const {first, found} = await datedPass(new SqliteLexicalIndex(db))
    expect(found).toBe(1)
    expect(first).toMatch(/^SCAN memories_fts VIRTUAL TABLE/)
  })

  it('leaves a span of few memories to SQLite (it walks the span), with the same answer', async () => {
    new MemoryStore(db).importMany(dated)
    const {first, found} = await datedPass(new SqliteLexicalIndex(db))
    expect(found).toBe(1)
    expect(first).not.toMatch(/^SCAN memories_fts VIRTUAL TABLE/)
  })
})
