import {chmodSync, closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync} from 'node:fs'
import path from 'node:path'

/** Suffix of the copy kept the first time Signet changes a user's file. */
export const BACKUP_SUFFIX = '.signet-backup'

export function readTextIfExists(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
}

let tempFileCounter = 0

/**
 * Write through a temp file in the same directory and rename over the target, so a crash
 * never leaves a half-written config. An existing file keeps its mode; a new one gets `mode`.
 */
export function writeFileAtomic(file: string, content: string, options: {mode?: number; dirMode?: number} = {}): void {
  const dir = path.dirname(file)
  mkdirSync(dir, {recursive: true, mode: options.dirMode ?? 0o755})
  let mode = options.mode ?? 0o644
  if (existsSync(file)) mode = statSync(file).mode & 0o7777
  // Unique per process and call; 'wx' refuses an existing name. Not from node:crypto, whose loading
  // costs ≈ 2 ms of every CLI start (this module is imported by the daemon client's credentials).
  const temp = path.join(dir, `.${path.basename(file)}.${process.pid}.${Date.now().toString(36)}.${(++tempFileCounter).toString(36)}.tmp`)
  const fd = openSync(temp, 'wx', mode)
  try {
    writeSync(fd, content)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  try {
    // openSync's mode is filtered by the umask; set it exactly (0600 credentials must stay 0600).
    chmodSync(temp, mode)
    renameSync(temp, file)
  } catch (error) {
    rmSync(temp, {force: true})
    throw error
  }
}

/**
 * Keep a copy of the user's file the first time Signet edits it (never overwritten later, so it
 * always holds the pre-Signet bytes). Returns the backup path when one was made now.
 */
export function backupOnce(file: string): string | undefined {
  const backup = file + BACKUP_SUFFIX
  if (!existsSync(file) || existsSync(backup)) return undefined
  const original = readFileSync(file)
  const fd = openSync(backup, 'wx', statSync(file).mode & 0o7777)
  try {
    writeSync(fd, original)
  } finally {
    closeSync(fd)
  }
  return backup
}

/** What happened to one file during an install or uninstall. */
export type FileAction = 'created' | 'updated' | 'unchanged' | 'removed' | 'absent'

export interface FileChange {
  path: string
  action: FileAction
  backup?: string
}

/**
 * Apply a new content for a config file: nothing when it is byte-identical, otherwise a
 * one-time backup and an atomic write. `undefined` content removes the file.
 */
export function commitFile(file: string, before: string | undefined, after: string | undefined, options: {mode?: number; backup?: boolean} = {}): FileChange {
  if (after === before) return {path: file, action: before === undefined ? 'absent' : 'unchanged'}
  if (after === undefined) {
    rmSync(file, {force: true})
    return {path: file, action: 'removed'}
  }
  const backup = before === undefined || options.backup === false ? undefined : backupOnce(file)
  writeFileAtomic(file, after, {mode: options.mode})
  return {path: file, action: before === undefined ? 'created' : 'updated', ...(backup ? {backup} : {})}
}
