import {COPIED_TABLES} from '../copied-tables.js'
import {searchWords} from '../search-text.js'
import type {TableCopy} from '../storage.js'
import {inTransaction, type Pool, type PoolClient, query, queryOne} from './client.js'
import {SEARCH_CONFIG} from './migrations.js'
import {memorySearchValues, memorySearchVector} from './search-index.js'

/**
 * The copied tables (src/store/copied-tables.ts). Derived data stays out here too: search vectors
 * (recomputed on write), vectors (re-embedded by the target), the search statistics and rate-limit
 * windows.
 */
export const POSTGRES_COPIED_TABLES = COPIED_TABLES

/** Columns PostgreSQL keeps beside the logical ones: derived, never copied. */
const DERIVED_COLUMNS = new Set(['search_tsv', 'search_tokens', 'ord'])

type Row = Record<string, unknown>

/**
 * Keyset paging and idempotent upserts over the real tables. `after` is the last row's key value,
 * or for a composite key the JSON array of its values (`["default","sess-1"]`). Writing a memory or
 * a transcript also writes its search vector; writing rows with their seq moves the table's
 * identity past them, so the next new row does not collide.
 */
export class PostgresTableCopy implements TableCopy {
  private readonly columns = new Map<string, string[]>()

  constructor(private readonly pool: Pool) {}

  async tables(): Promise<Array<{name: string; key: string}>> {
    return POSTGRES_COPIED_TABLES.map((table) => ({...table}))
  }

  async read(table: string, after: string | number | null, limit: number): Promise<Row[]> {
    const keys = keyOf(table)
    const columns = (await this.columnsOf(table)).join(', ')
    const order = keys.join(', ')
    const bound = Math.max(1, Math.min(10_000, Math.trunc(limit)))
    if (after === null) return query<Row>(this.pool, `SELECT ${columns} FROM ${table} ORDER BY ${order} LIMIT ${bound}`)
    const values = keys.length === 1 ? [after] : parseCompositeKey(after, keys.length)
    const placeholders = keys.map((_, index) => `$${index + 1}`)
    const condition = keys.length === 1 ? `${keys[0]} > $1` : `(${order}) > (${placeholders.join(', ')})`
    return query<Row>(this.pool, `SELECT ${columns} FROM ${table} WHERE ${condition} ORDER BY ${order} LIMIT ${bound}`, values)
  }

  async write(table: string, rows: Row[]): Promise<void> {
    if (rows.length === 0) return
    const keys = keyOf(table)
    const known = new Set(await this.columnsOf(table))
    // Rows of one column set go in multi-row statements: one round trip per statement, not per row.
    const shapes = new Map<string, {names: string[]; rows: Row[]}>()
    for (const row of rows) {
      const names = Object.keys(row)
      const unknown = names.find((name) => !known.has(name))
      if (unknown !== undefined) throw new Error(`table ${table} has no column ${unknown}`)
      for (const key of keys) if (!(key in row)) throw new Error(`a ${table} row without its key ${key}`)
      const shape = names.join(',')
      const group = shapes.get(shape) ?? {names, rows: []}
      group.rows.push(row)
      shapes.set(shape, group)
    }
    await inTransaction(this.pool, async (client) => {
      for (const {names, rows: group} of shapes.values()) {
        const derived = derivedColumns(table)
        const assigned = [...names, ...derived]
        const updates = assigned.filter((name) => !keys.includes(name)).map((name) => `${name} = excluded.${name}`)
        // PostgreSQL takes at most 65,535 parameters in one statement.
        const perStatement = Math.max(1, Math.floor(60_000 / (names.length + 3)))
        for (let start = 0; start < group.length; start += perStatement) {
          const values: unknown[] = []
          const tuples = group.slice(start, start + perStatement).map((row) => {
            const expressions = names.map((name) => {
              values.push(row[name])
              return `$${values.length}`
            })
            expressions.push(...derivedSearch(table, row, values))
            return `(${expressions.join(', ')})`
          })
          await query(
            client,
            `INSERT INTO ${table} (${assigned.join(', ')}) VALUES ${tuples.join(', ')}
              ON CONFLICT (${keys.join(', ')}) DO ${updates.length > 0 ? `UPDATE SET ${updates.join(', ')}` : 'NOTHING'}`,
            values,
          )
        }
      }
      if (keys.length === 1 && keys[0] === 'seq') await advanceIdentity(client, table)
    })
  }

  async remove(table: string, keys: Array<string | number>): Promise<void> {
    if (keys.length === 0) return
    const columns = keyOf(table)
    const condition = columns.map((column, index) => `${column} = $${index + 1}`).join(' AND ')
    await inTransaction(this.pool, async (client) => {
      for (const key of keys)
        await query(client, `DELETE FROM ${table} WHERE ${condition}`, columns.length === 1 ? [key] : parseCompositeKey(key, columns.length))
    })
  }

  async settle(): Promise<void> {
    // Without statistics for the new rows, recall costs the server ≈ 6× the CPU until autovacuum
    // analyses them (bench/README.md, B11).
    await this.pool.query('ANALYZE')
  }

  async count(table: string): Promise<number> {
    keyOf(table)
    return (await queryOne<{n: number}>(this.pool, `SELECT count(*) AS n FROM ${table}`))?.n ?? 0
  }

  /** The logical columns of a copied table, in table order. */
  private async columnsOf(table: string): Promise<string[]> {
    let columns = this.columns.get(table)
    if (!columns) {
      const rows = await query<{column_name: string}>(
        this.pool,
        `SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position`,
        [table],
      )
      columns = rows.map((row) => row.column_name).filter((name) => !DERIVED_COLUMNS.has(name))
      this.columns.set(table, columns)
    }
    return columns
  }
}

/** The key columns of a copied table; anything else is refused (names go into SQL). */
function keyOf(table: string): string[] {
  const entry = POSTGRES_COPIED_TABLES.find((candidate) => candidate.name === table)
  if (!entry) throw new Error(`no copied table ${table}`)
  return entry.key.split(',')
}

function parseCompositeKey(after: string | number, length: number): unknown[] {
  const values = typeof after === 'string' ? (JSON.parse(after) as unknown) : undefined
  if (!Array.isArray(values) || values.length !== length) throw new Error(`a composite key is a JSON array of ${length} values`)
  return values
}

/** The derived search columns a copied row of `table` gets (computed on write, never copied). */
function derivedColumns(table: string): string[] {
  return table === 'memories' || table === 'session_transcripts' ? ['search_tsv', 'search_tokens'] : []
}

/** SQL expressions for derivedColumns of one row (their words appended to `values`). */
function derivedSearch(table: string, row: Row, values: unknown[]): string[] {
  if (table === 'memories') {
    const search = memorySearchValues(String(row.content ?? ''), String(row.tags ?? '[]'))
    values.push(search.content, search.tags, search.tokens)
    const at = values.length
    return [memorySearchVector(`$${at - 2}`, `$${at - 1}`), `$${at}::integer`]
  }
  if (table === 'session_transcripts') {
    const words = searchWords(String(row.content ?? ''))
    values.push(words.join(' '), words.length)
    const at = values.length
    return [`to_tsvector('${SEARCH_CONFIG}', $${at - 1})`, `$${at}::integer`]
  }
  return []
}

/** Move the table's seq identity past the highest seq present (never backwards). */
async function advanceIdentity(client: PoolClient, table: string): Promise<void> {
  await client.query(
    `SELECT setval(sequence, greatest(top, coalesce(pg_sequence_last_value(sequence::regclass), 1)))
      FROM (SELECT pg_get_serial_sequence('${table}', 'seq') AS sequence, (SELECT max(seq) FROM ${table}) AS top) AS s
      WHERE top IS NOT NULL`,
  )
}
