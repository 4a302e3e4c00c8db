import type {SqliteDatabase} from '../db.js'
import {COPIED_TABLES} from '../copied-tables.js'
import type {TableCopy} from '../storage.js'

export {COPIED_TABLES}

type Row = Record<string, unknown>

/**
 * Keyset paging and idempotent upserts over the real tables. `after` is the last row's key value,
 * or for a composite key the JSON array of its values (`["default","sess-1"]`).
 */
export class SqliteTableCopy implements TableCopy {
  private readonly columns = new Map<string, Set<string>>()

  constructor(private readonly db: SqliteDatabase) {}

  async tables(): Promise<Array<{name: string; key: string}>> {
    return COPIED_TABLES.map((table) => ({...table}))
  }

  async read(table: string, after: string | number | null, limit: number): Promise<Row[]> {
    const keys = this.keyOf(table)
    const order = keys.join(', ')
    const bound = Math.max(1, Math.min(10_000, Math.trunc(limit)))
    if (after === null) return this.db.prepare(`SELECT * FROM ${table} ORDER BY ${order} LIMIT ${bound}`).all() as Row[]
    const values = keys.length === 1 ? [after] : parseCompositeKey(after, keys.length)
    const tuple = `(${keys.join(', ')})`
    const placeholders = `(${keys.map(() => '?').join(', ')})`
    return this.db
      .prepare(
        `SELECT * FROM ${table} WHERE ${keys.length === 1 ? keys[0] : tuple} > ${keys.length === 1 ? '?' : placeholders} ORDER BY ${order} LIMIT ${bound}`,
      )
      .all(...values) as Row[]
  }

  async write(table: string, rows: Row[]): Promise<void> {
    if (rows.length === 0) return
    const keys = this.keyOf(table)
    const known = this.columnsOf(table)
    const statements = new Map<string, ReturnType<SqliteDatabase['prepare']>>()
    this.db.transaction(() => {
      for (const row of rows) {
        const names = Object.keys(row)
        const unknown = names.find((name) => !known.has(name))
        if (unknown !== undefined) throw new Error(`table ${table} has no column ${unknown}`)
        for (const key of keys) if (!(key in row)) throw new Error(`a ${table} row without its key ${key}`)
        const shape = names.join(',')
        let statement = statements.get(shape)
        if (!statement) {
          const updates = names.filter((name) => !keys.includes(name)).map((name) => `${name} = excluded.${name}`)
          statement = this.db.prepare(
            `INSERT INTO ${table} (${names.join(', ')}) VALUES (${names.map((name) => `@${name}`).join(', ')})
             ON CONFLICT (${keys.join(', ')}) DO ${updates.length > 0 ? `UPDATE SET ${updates.join(', ')}` : 'NOTHING'}`,
          )
          statements.set(shape, statement)
        }
        statement.run(row)
      }
    })()
  }

  async remove(table: string, keys: Array<string | number>): Promise<void> {
    if (keys.length === 0) return
    const columns = this.keyOf(table)
    const statement = this.db.prepare(`DELETE FROM ${table} WHERE ${columns.map((column) => `${column} = ?`).join(' AND ')}`)
    this.db.transaction(() => {
      for (const key of keys) statement.run(...(columns.length === 1 ? [key] : parseCompositeKey(key, columns.length)))
    })()
  }

  async settle(): Promise<void> {
    this.db.pragma('optimize')
  }

  async count(table: string): Promise<number> {
    this.keyOf(table)
    return (this.db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as {n: number}).n
  }

  /** The key columns of a copied table; anything else is refused (names go into SQL). */
  private keyOf(table: string): string[] {
    const entry = COPIED_TABLES.find((candidate) => candidate.name === table)
    if (!entry) throw new Error(`no copied table ${table}`)
    return entry.key.split(',')
  }

  private columnsOf(table: string): Set<string> {
    let columns = this.columns.get(table)
    if (!columns) {
      columns = new Set((this.db.pragma(`table_info(${table})`) as Array<{name: string}>).map((column) => column.name))
      this.columns.set(table, columns)
    }
    return columns
  }
}

function parseCompositeKey(after: string | number, length: number): unknown[] {
  const values = typeof after === 'string' ? (JSON.parse(after) as unknown) : undefined
  if (!Array.isArray(values) || values.length !== length) throw new Error(`a composite key is a JSON array of ${length} values`)
  return values
}
