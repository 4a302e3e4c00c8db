import {existsSync, statSync} from 'node:fs'

import Database from 'better-sqlite3'

import {LATEST_SCHEMA_VERSION, type SqliteDatabase} from '../store/db.js'

export interface DatabaseIntegrity {
  ok: boolean
  /** `PRAGMA quick_check` lines: `["ok"]` when healthy, else the first problems it found. */
  problems: string[]
  schemaVersion: number
  latestSchemaVersion: number
  journalMode: string
  sizeBytes: number
  checkedBy: 'daemon' | 'read-only file'
  ms: number
}

/** `PRAGMA quick_check` plus the facts doctor needs, on an already-open database. */
export function checkDatabaseIntegrity(db: SqliteDatabase, dbPath: string, checkedBy: DatabaseIntegrity['checkedBy']): DatabaseIntegrity {
  const started = performance.now()
  const lines = (db.pragma('quick_check(20)') as Array<{quick_check: string}>).map((row) => row.quick_check)
  const ok = lines.length === 1 && lines[0] === 'ok'
  return {
    ok,
    problems: ok ? [] : lines,
    schemaVersion: db.pragma('user_version', {simple: true}) as number,
    latestSchemaVersion: LATEST_SCHEMA_VERSION,
    journalMode: String(db.pragma('journal_mode', {simple: true})),
    sizeBytes: existsSync(dbPath) ? statSync(dbPath).size : 0,
    checkedBy,
    ms: Math.round(performance.now() - started),
  }
}

/**
 * When no daemon runs, open the file read-only (no migrations, no writes) and check it.
 * The daemon is the only code that opens the database while it runs: never call this then.
 */
export function checkDatabaseFile(dbPath: string): DatabaseIntegrity {
  const db = new Database(dbPath, {readonly: true, fileMustExist: true})
  try {
    return checkDatabaseIntegrity(db, dbPath, 'read-only file')
  } finally {
    db.close()
  }
}
