import {chmodSync, closeSync, lstatSync, mkdirSync, openSync, readdirSync} from 'node:fs'
import path from 'node:path'

import {userConfigDir, type WorkspacePaths} from './paths.js'

/**
 * Owner-only file modes for everything that holds memories, transcripts, keys, logs or spool
 * entries (see SECURITY.md): any other local user must not be able to read them.
 *
 * Modes are set explicitly with chmod, not left to the `mode` argument of mkdir/open: that
 * argument is filtered by the process umask and ignored for a file or directory that already
 * exists, so an install made by an older Signet (0644 database in a 0755 directory) would stay
 * readable by everyone. Every function here also repairs what already exists.
 */

export const PRIVATE_DIR_MODE = 0o700
export const PRIVATE_FILE_MODE = 0o600

const GROUP_AND_OTHER_BITS = 0o077
const STICKY_BIT = 0o1000

/** Drop group/other permission bits from one existing file or directory; symlinks are left alone. */
export function restrictToOwner(target: string): void {
  let stat
  try {
    stat = lstatSync(target)
  } catch {
    return
  }
  if (stat.isSymbolicLink()) return
  if ((stat.mode & GROUP_AND_OTHER_BITS) === 0) return
  // A sticky directory (/tmp, /var/tmp) is shared by design: a database or log placed directly in it
  // must never make it owner-only (as root that chmod would succeed and lock every other user out).
  if (stat.isDirectory() && (stat.mode & STICKY_BIT) !== 0) return
  try {
    chmodSync(target, stat.mode & 0o7700)
  } catch {
    // Not ours to change (another owner, read-only file system): nothing more we can do here.
  }
}

/** Create a directory (and missing parents) and make sure it is 0700 even if it already existed. */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, {recursive: true, mode: PRIVATE_DIR_MODE})
  restrictToOwner(dir)
}

/** Create an empty file if missing, 0600 whatever the umask; an existing one is tightened. */
export function ensurePrivateFile(file: string): void {
  try {
    closeSync(openSync(file, 'a', PRIVATE_FILE_MODE))
  } catch {
    return
  }
  restrictToOwner(file)
}

/**
 * Every file and directory from `target` down, parents first, never through a symlink (a link is
 * neither visited nor followed). `skip` leaves a child of `target` and its subtree out.
 */
function walkTree(target: string, visit: (entry: string, isDirectory: boolean) => void, skip?: (name: string) => boolean): void {
  const stat = lstatSync(target, {throwIfNoEntry: false})
  if (!stat || stat.isSymbolicLink()) return
  visit(target, stat.isDirectory())
  if (!stat.isDirectory()) return
  let entries: string[]
  try {
    entries = readdirSync(target)
  } catch {
    return
  }
  for (const entry of entries) if (!skip?.(entry)) walkTree(path.join(target, entry), visit)
}

/** A directory and everything below it made owner-only (no symlink is followed). */
export function restrictTreeToOwner(dir: string): void {
  if (!lstatSync(dir, {throwIfNoEntry: false})?.isDirectory()) return
  walkTree(dir, restrictToOwner)
}

/**
 * Repair a workspace's private files: `memory/` (database, WAL, shared memory, migration
 * backups), `.daemon/` (pid, lock, state, admin token, logs) and MEMORY.md, which is generated
 * from memories. User-written files (AGENTS.md, SOUL.md, …) keep the modes the user gave them.
 */
export function restrictWorkspaceToOwner(paths: WorkspacePaths): void {
  restrictTreeToOwner(paths.memoryDir)
  restrictTreeToOwner(paths.daemonDir)
  restrictToOwner(paths.memoryMd)
}

/** Data files and directories of a workspace that group or other users can read, traverse or write. */
export function filesOpenToOthers(paths: WorkspacePaths): string[] {
  const open: string[] = []
  const check = (target: string) => {
    if (((lstatSync(target, {throwIfNoEntry: false})?.mode ?? 0) & GROUP_AND_OTHER_BITS) !== 0) open.push(target)
  }
  for (const root of [paths.memoryDir, paths.daemonDir, paths.memoryMd]) walkTree(root, check)
  return open
}

/** `~/.config/signet` holds credentials, the hook log and the spool: the whole tree is owner-only. */
export function restrictUserConfigToOwner(): void {
  // bin/ holds Forge executables, not data; they stay as installed (the 0700 parent already hides them).
  walkTree(userConfigDir(), restrictToOwner, (name) => name === 'bin')
}
