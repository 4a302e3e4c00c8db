import {existsSync, statSync} from 'node:fs'

import Database from 'better-sqlite3'

import {QUICK_CHECK_AUTO_MAX_MIB} from '../../api/status.js'
import {LATEST_SCHEMA_VERSION, type SqliteDatabase} from '../db.js'

export {LATEST_SCHEMA_VERSION}

export interface DatabaseIntegrity {
  ok: boolean
  /** `PRAGMA quick_check` lines: `["ok"]` when healthy, else the first problems it found. */
  problems: string[]
  schemaVersion: number
  latestSchemaVersion: number
  journalMode: string
  sizeBytes: number
  checkedBy: 'daemon' | 'read-only file'
  /** Whether quick_check read every page (false: schema facts only, see QUICK_CHECK_AUTO_MAX_BYTES). */
  pagesChecked: boolean
  ms: number
}

/** See QUICK_CHECK_AUTO_MAX_MIB. */
export const QUICK_CHECK_AUTO_MAX_BYTES = QUICK_CHECK_AUTO_MAX_MIB * 1024 * 1024

/** Read every page: always (true), never (false), or when the file is small enough to be quick ('auto'). */
export type PageCheck = boolean | 'auto'

/**
 * `PRAGMA quick_check` plus the facts doctor needs, on an already-open database. `quickCheck: false`
 * gives the facts alone (the check reads every page: seconds on a large file).
 */
export function checkDatabaseIntegrity(
  db: SqliteDatabase,
  dbPath: string,
  checkedBy: DatabaseIntegrity['checkedBy'],
  options: {quickCheck?: PageCheck; autoMaxBytes?: number} = {},
): DatabaseIntegrity {
  const started = performance.now()
  const sizeBytes = existsSync(dbPath) ? statSync(dbPath).size : 0
  const pagesChecked = options.quickCheck === 'auto' ? sizeBytes <= (options.autoMaxBytes ?? QUICK_CHECK_AUTO_MAX_BYTES) : options.quickCheck !== false
  const lines = pagesChecked ? (db.pragma('quick_check(20)') as Array<{quick_check: string}>).map((row) => row.quick_check) : ['ok']
  const ok = lines.length === 1 && lines[0] === 'ok'
  return {
    ok,
    problems: ok ? [] : lines,
    schemaVersion: db.pragma('user_version', {simple: true}) as number,
    latestSchemaVersion: LATEST_SCHEMA_VERSION,
    journalMode: String(db.pragma('journal_mode', {simple: true})),
    sizeBytes,
    checkedBy,
    pagesChecked,
    ms: Math.round(performance.now() - started),
  }
}

/**
 * Open the file read-only (no migrations, no writes) and check it: `signet doctor` when no daemon
 * runs (or the daemon is what is broken). While a daemon runs it is the only code that opens the
 * database: never call this then.
 */
export function checkDatabaseFile(dbPath: string, options: {quickCheck?: PageCheck} = {}): DatabaseIntegrity {
  const db = new Database(dbPath, {readonly: true, fileMustExist: true})
  try {
    return checkDatabaseIntegrity(db, dbPath, 'read-only file', options)
  } finally {
    db.close()
  }
}

/**
 * The schema version of an existing database file, read-only and without migrating (the running
 * daemon may hold it open); undefined when there is no file or it cannot be read.
 */
export function databaseFileSchemaVersion(dbPath: string): number | undefined {
  if (!existsSync(dbPath)) return undefined
  try {
    const db = new Database(dbPath, {readonly: true, fileMustExist: true})
    try {
      return db.pragma('user_version', {simple: true}) as number
    } finally {
      db.close()
    }
  } catch {
    return undefined
  }
}
