import {appendFileSync, renameSync, statSync} from 'node:fs'
import path from 'node:path'

import {userConfigDir} from '../config/paths.js'
import {ensurePrivateDir, PRIVATE_FILE_MODE, restrictToOwner} from '../config/private-files.js'

const MAX_LOG_BYTES = 1024 * 1024

export function hookLogFile(): string {
  return path.join(userConfigDir(), 'hook.log')
}

/**
 * Record one hook problem: one stderr line (harnesses show stderr only in verbose/debug views)
 * and one line in ~/.config/signet/hook.log. Never throws — logging must not break the hook.
 */
export function reportHookProblem(context: {event: string; harness: string}, message: string): void {
  const line = `[signet] ${context.event} (${context.harness}): ${message}`
  try {
    process.stderr.write(line + '\n')
  } catch {
    // stderr closed by the harness: nothing to do
  }
  appendHookLog(`${new Date().toISOString()} ${context.event} harness=${context.harness} ${message}`)
}

export function appendHookLog(line: string): void {
  const file = hookLogFile()
  try {
    // The log quotes hook problems (paths, daemon answers): owner-only, like the rest of ~/.config/signet.
    ensurePrivateDir(path.dirname(file))
    const stat = statSync(file, {throwIfNoEntry: false})
    // One old generation is enough to debug a recent problem; the log never grows without bound.
    if (stat && (stat.mode & 0o077) !== 0) restrictToOwner(file)
    if (stat && stat.size > MAX_LOG_BYTES) renameSync(file, file + '.1')
    appendFileSync(file, line.replace(/[\r\n]+/g, ' ') + '\n', {mode: PRIVATE_FILE_MODE})
  } catch {
    // unwritable config dir: the stderr line is all we can give
  }
}
