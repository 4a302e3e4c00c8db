import {createHash} from 'node:crypto'

import type {TableCopy} from './storage.js'

/**
 * Copy every table from one backend to another (`signet storage migrate`, docs/deployment.md):
 * keyset pages in key order, upserts on the target (so a copy interrupted anywhere can simply run
 * again from its last finished page), then proof: row counts and a content hash per table, both
 * read back from each side through its own TableCopy.
 */

export interface MigrationCheckpoint {
  /** Per table: the key of the last row known to be written on the target. */
  after: Record<string, string | number | null>
  /** Tables copied to the end (verification still runs over them). */
  done: string[]
}

export interface MigrationProgress {
  table: string
  copied: number
  total: number
}

export interface TableVerdict {
  table: string
  sourceRows: number
  targetRows: number
  sourceHash: string
  targetHash: string
  ok: boolean
}

export interface MigrationOptions {
  batchSize?: number
  /** Where an earlier, interrupted run stopped. */
  checkpoint?: MigrationCheckpoint
  /** Called after each page is written: persist it to resume after a crash. */
  onCheckpoint?: (checkpoint: MigrationCheckpoint) => void | Promise<void>
  onProgress?: (progress: MigrationProgress) => void
  signal?: AbortSignal
}

export interface MigrationReport {
  tables: TableVerdict[]
  copied: number
  ok: boolean
}

const DEFAULT_BATCH = 500

export async function migrateTables(source: TableCopy, target: TableCopy, options: MigrationOptions = {}): Promise<MigrationReport> {
  const batchSize = options.batchSize ?? DEFAULT_BATCH
  const checkpoint: MigrationCheckpoint = structuredClone(options.checkpoint ?? {after: {}, done: []})
  const tables = await source.tables()
  const targetTables = new Set((await target.tables()).map((table) => table.name))
  const missing = tables.filter((table) => !targetTables.has(table.name))
  if (missing.length > 0) throw new Error(`the target has no table ${missing.map((table) => table.name).join(', ')}: is it the same Signet version?`)
  let copied = 0
  for (const {name, key} of tables) {
    if (checkpoint.done.includes(name)) continue
    const total = await source.count(name)
    let after = checkpoint.after[name] ?? null
    let done = after === null ? 0 : await countThrough(source, name, key, after, batchSize)
    options.onProgress?.({table: name, copied: done, total})
    for (;;) {
      options.signal?.throwIfAborted()
      const rows = await source.read(name, after, batchSize)
      if (rows.length === 0) break
      await target.write(name, rows)
      after = cursorOf(rows[rows.length - 1], key)
      done += rows.length
      copied += rows.length
      checkpoint.after[name] = after
      await options.onCheckpoint?.(checkpoint)
      options.onProgress?.({table: name, copied: done, total: Math.max(total, done)})
      if (rows.length < batchSize) break
    }
    checkpoint.done.push(name)
    await options.onCheckpoint?.(checkpoint)
  }
  await target.settle()
  const verdicts: TableVerdict[] = []
  for (const {name} of tables) verdicts.push(await verifyTable(source, target, name, batchSize))
  return {tables: verdicts, copied, ok: verdicts.every((verdict) => verdict.ok)}
}

/** Target rows that are not the source's: see otherData. */
export interface OtherData {
  table: string
  rows: number
}

/**
 * Columns that tell one row from another where the key is a sequence number (`seq`): two stores
 * both have a memory 5, but it is the same memory only if its `id` (or, in tables without one, its
 * `at` time) is the same.
 */
const IDENTITY_COLUMNS = ['id', 'at']

/**
 * The target's rows that did not come from this source: keys the source does not have, or a key
 * the source has for a different row (another `id` or `at`). An earlier, interrupted copy from the
 * same source leaves none, so a resumed copy passes; a database that holds another store's data
 * does not. With `remove`, those rows are deleted from the target as they are found (`--force`).
 * The source's keys of a table are held in memory while its target rows are compared.
 */
export async function otherData(source: TableCopy, target: TableCopy, options: {batchSize?: number; remove?: boolean} = {}): Promise<OtherData[]> {
  const batchSize = options.batchSize ?? DEFAULT_BATCH
  const found: OtherData[] = []
  for (const {name, key} of await source.tables()) {
    if ((await target.count(name)) === 0) continue
    const keyColumns = key.split(',')
    const identityOf = (row: Record<string, unknown>) => {
      const column = IDENTITY_COLUMNS.find((candidate) => candidate in row && !keyColumns.includes(candidate))
      return column === undefined ? '' : canonicalJson(row[column])
    }
    const sourceRows = new Map<string, string>()
    await eachPage(source, name, key, batchSize, async (rows) => {
      for (const row of rows) sourceRows.set(canonicalJson(cursorOf(row, key)), identityOf(row))
    })
    let other = 0
    await eachPage(target, name, key, batchSize, async (rows) => {
      const foreign = rows.filter((row) => sourceRows.get(canonicalJson(cursorOf(row, key))) !== identityOf(row)).map((row) => cursorOf(row, key))
      other += foreign.length
      if (options.remove && foreign.length > 0) await target.remove(name, foreign)
    })
    if (other > 0) found.push({table: name, rows: other})
  }
  return found
}

/** Every row of a table, a page at a time in key order (the page is read before `visit` may change the table). */
async function eachPage(
  copy: TableCopy,
  table: string,
  key: string,
  batchSize: number,
  visit: (rows: Array<Record<string, unknown>>) => Promise<void>,
): Promise<void> {
  let after: string | number | null = null
  for (;;) {
    const rows = await copy.read(table, after, batchSize)
    if (rows.length > 0) await visit(rows)
    if (rows.length < batchSize) return
    after = cursorOf(rows[rows.length - 1], key)
  }
}

/** Rows up to and including `after` (for progress after a resume), counted by paging the keys. */
async function countThrough(copy: TableCopy, table: string, key: string, after: string | number, batchSize: number): Promise<number> {
  let counted = 0
  let cursor: string | number | null = null
  for (;;) {
    const rows = await copy.read(table, cursor, batchSize)
    for (const row of rows) {
      counted++
      if (cursorOf(row, key) === after) return counted
    }
    if (rows.length < batchSize) return counted
    cursor = cursorOf(rows[rows.length - 1], key)
  }
}

/** The keyset cursor of a row: its key's value, or the JSON array of a composite key's values. */
export function cursorOf(row: Record<string, unknown>, key: string): string | number {
  if (!key.includes(',')) return row[key] as string | number
  return JSON.stringify(key.split(',').map((column) => row[column]))
}

export async function verifyTable(source: TableCopy, target: TableCopy, table: string, batchSize = DEFAULT_BATCH): Promise<TableVerdict> {
  const [sourceSide, targetSide] = await Promise.all([digestTable(source, table, batchSize), digestTable(target, table, batchSize)])
  return {
    table,
    sourceRows: sourceSide.rows,
    targetRows: targetSide.rows,
    sourceHash: sourceSide.hash,
    targetHash: targetSide.hash,
    ok: sourceSide.rows === targetSide.rows && sourceSide.hash === targetSide.hash,
  }
}

/** sha256 over every row in key order, each as canonical JSON (sorted keys). */
export async function digestTable(copy: TableCopy, table: string, batchSize = DEFAULT_BATCH): Promise<{rows: number; hash: string}> {
  const key = (await copy.tables()).find((entry) => entry.name === table)?.key
  if (!key) throw new Error(`no table ${table}`)
  const hash = createHash('sha256')
  let rows = 0
  let after: string | number | null = null
  for (;;) {
    const page = await copy.read(table, after, batchSize)
    for (const row of page) {
      hash.update(canonicalJson(row))
      hash.update('\n')
      rows++
    }
    if (page.length < batchSize) break
    after = cursorOf(page[page.length - 1], key)
  }
  return {rows, hash: hash.digest('hex')}
}

export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null)
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  const entries = Object.keys(value as Record<string, unknown>)
    .sort()
    .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`)
  return `{${entries.join(',')}}`
}
