import {createHash} from 'node:crypto'
import {mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import Database from 'better-sqlite3'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {readBasicMemory} from '../../src/import/basic-memory.js'
import {readClaudeMem} from '../../src/import/claude-mem.js'
import {readMem0} from '../../src/import/mem0.js'

/* The peer readers on real files: hostile sizes and shapes are refused by name, in linear time. */

let dir: string
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'signet-peer-'))
})
afterEach(() => rmSync(dir, {recursive: true, force: true}))

describe('basic-memory', () => {
  it('refuses a note over the size limit, naming it', () => {
    mkdirSync(path.join(dir, 'notes'))
    writeFileSync(path.join(dir, 'notes', 'huge.md'), 'x'.repeat(5 * 1024 * 1024))
    expect(() => readBasicMemory(dir)).toThrow(/huge\.md is 5\.0 MiB, over the 4\.0 MiB an import reads/)
  })

  it('parses pathological lines in linear time', () => {
    const long = 1_000_000
    writeFileSync(
      path.join(dir, 'a.md'),
      [
        `- [${'a'.repeat(long)}`, // an unclosed category
        `- [tag] ${'#'.repeat(long)}`, // one giant "tag" word
        `- [tag] #x${'.'.repeat(long)}y`, // punctuation that a /[.]+$/ would backtrack over
        `- x [[${'['.repeat(long)}`, // an unclosed relation
      ].join('\n'),
    )
    const started = performance.now()
    const read = readBasicMemory(dir)
    expect(performance.now() - started).toBeLessThan(3000)
    expect(read.entries.length + read.skipped.length).toBeGreaterThan(0)
  })

  it('a folder with no notes, or a file instead of a folder, is refused', () => {
    expect(() => readBasicMemory(dir)).toThrow(/holds no \.md notes/)
    writeFileSync(path.join(dir, 'x.md'), 'hello')
    expect(() => readBasicMemory(path.join(dir, 'x.md'))).toThrow(/is not a folder/)
  })
})

describe('mem0', () => {
  it('refuses a document that is not a list of memories, and names a non-object item', () => {
    writeFileSync(path.join(dir, 'a.json'), '{"count": 3}')
    expect(() => readMem0(path.join(dir, 'a.json'))).toThrow(/a\.json: expected a JSON array of mem0 memories/)
    writeFileSync(path.join(dir, 'b.json'), '[{"memory": "ok"}, 7]')
    expect(() => readMem0(path.join(dir, 'b.json'))).toThrow(/b\.json: item 2: expected a mem0 memory object/)
    writeFileSync(path.join(dir, 'c.jsonl'), '{"memory": "one"}\n{"memory": "two"\n')
    expect(() => readMem0(path.join(dir, 'c.jsonl'))).toThrow(/c\.jsonl:2: not JSON/)
  })

  it('skips an item too long to store, saying why', () => {
    writeFileSync(path.join(dir, 'big.json'), JSON.stringify([{memory: 'y'.repeat(100_001)}, {memory: 'fine'}]))
    const read = readMem0(path.join(dir, 'big.json'))
    expect(read.entries.map((entry) => entry.memory.content)).toEqual(['fine'])
    expect(read.skipped).toEqual([{where: `${path.join(dir, 'big.json')}: item 1`, reason: 'longer than 100,000 characters (100,001)'}])
  })
})

describe('claude-mem', () => {
  it('opens the database read-only: the file is byte-identical afterwards, even in WAL mode', () => {
    const file = path.join(dir, 'claude-mem.db')
    const db = new Database(file)
    db.pragma('journal_mode = WAL')
    db.exec(`CREATE TABLE observations (id INTEGER PRIMARY KEY, project TEXT, type TEXT, text TEXT, created_at TEXT, created_at_epoch INTEGER)`)
    db.prepare('INSERT INTO observations (project, type, text, created_at, created_at_epoch) VALUES (?, ?, ?, ?, ?)').run(
      'p',
      'discovery',
      'an older row with text only',
      '2024-01-01T00:00:00Z',
      1704067200,
    )
    db.close()
    const before = createHash('sha256').update(readFileSync(file)).digest('hex')
    const read = readClaudeMem(file)
    expect(read.entries).toEqual([
      {
        where: `${file}: observations row 1`,
        memory: {
          content: 'an older row with text only',
          type: 'discovery',
          tags: ['claude-mem'],
          project: 'p',
          createdAt: '2024-01-01T00:00:00.000Z',
          origin: 'claude-mem',
        },
      },
    ])
    expect(createHash('sha256').update(readFileSync(file)).digest('hex')).toBe(before)
  })

  it('refuses a SQLite file without an observations table', () => {
    const file = path.join(dir, 'other.db')
    new Database(file).exec('CREATE TABLE t (x)')
    expect(() => readClaudeMem(file)).toThrow(/other\.db has no observations table/)
    expect(() => readClaudeMem(path.join(dir, 'missing.db'))).toThrow(/cannot open .*missing\.db/)
  })
})
