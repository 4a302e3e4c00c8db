import {existsSync} from 'node:fs'

import {SignetError} from '../errors.js'
import {BACKUP_SUFFIX, commitFile, type FileChange, readTextIfExists} from '../config/atomic-file.js'

/**
 * Read a config file, apply a pure text edit, and commit the result (atomic write, one-time
 * backup, nothing at all when the bytes are unchanged). A file Signet created itself (no
 * backup of a user original exists) is deleted when the edit leaves it `empty`.
 */
export async function editConfigFile(
  file: string,
  edit: (text: string) => Promise<string>,
  options: {isEmpty?: (text: string) => boolean; mode?: number} = {},
): Promise<FileChange> {
  const before = readTextIfExists(file)
  let after: string | undefined = await edit(before ?? '')
  if (before === undefined && after === '') after = undefined
  if (after !== undefined && options.isEmpty?.(after) && !existsSync(file + BACKUP_SUFFIX)) after = undefined
  return commitFile(file, before, after, {mode: options.mode})
}

/**
 * Write a file Signet generates whole (plugins, extensions). A file of the same name that
 * Signet did not write is never overwritten.
 */
export function writeGeneratedFile(file: string, content: string, isOurs: (text: string) => boolean): FileChange {
  const before = readTextIfExists(file)
  if (before !== undefined && !isOurs(before)) {
    throw new SignetError(`refusing to overwrite ${file}: it was not written by Signet — move it aside and retry`, 'foreign_file')
  }
  return commitFile(file, before, content, {backup: false})
}

/** Remove a generated file, but only when it is ours (`isOurs` looks at its content). */
export function removeGeneratedFile(file: string, isOurs: (text: string) => boolean): FileChange {
  const before = readTextIfExists(file)
  if (before === undefined) return {path: file, action: 'absent'}
  if (!isOurs(before)) return {path: file, action: 'unchanged'}
  return commitFile(file, before, undefined, {backup: false})
}
