import {execFile} from 'node:child_process'
import {closeSync, fstatSync, openSync, readFileSync, realpathSync, statSync} from 'node:fs'
import path from 'node:path'

import {writeFileAtomic} from '../config/atomic-file.js'
import {userCacheDir} from '../config/paths.js'
import {ensurePrivateDir, PRIVATE_FILE_MODE} from '../config/private-files.js'
import {findExecutableOnPath} from '../diagnostics/path-lookup.js'

/**
 * Harness `--version` answers, remembered per binary file: `signet status` and `signet connector
 * list` ask every harness for its version, and a Node-based harness CLI takes longer to answer
 * than the whole command should (B5 in bench/README.md). An answer is reused while the file PATH
 * finds is the same file (real path, size, mtime, ctime, inode: package managers replace or
 * rewrite it on upgrade; npm pins mtimes, which is why ctime and inode count) and for at most
 * MAX_AGE_MS, because version-manager shims (volta, asdf) pick the real program at run time and
 * do not change themselves when it is upgraded.
 */
export const MAX_AGE_MS = 60 * 60 * 1000
const PROBE_TIMEOUT_MS = 5000
/** Entries kept; more distinct binaries than this are unusual (eight harnesses today). */
const MAX_ENTRIES = 64

export interface VersionProbeOptions {
  env?: NodeJS.ProcessEnv
  /** Defaults to harness-versions.json in the user's cache directory. */
  cacheFile?: string
  now?: () => number
}

interface CachedAnswer {
  realPath: string
  size: number
  mtimeMs: number
  ctimeMs: number
  ino: number
  probedAt: number
  /** The trimmed `--version` output; null when the binary ran but gave none (or failed). */
  output: string | null
}

type FileIdentity = Pick<CachedAnswer, 'realPath' | 'size' | 'mtimeMs' | 'ctimeMs' | 'ino'>

export function defaultVersionCacheFile(): string {
  return path.join(userCacheDir(), 'harness-versions.json')
}

/**
 * A `probeVersion` for ConnectorContext: finds the binary on PATH (a binary that is not there is
 * not spawned at all), answers from the cache when the file is unchanged, else runs
 * `<binary> --version` and remembers the answer. The cache is read once per probe function.
 */
export function cachedVersionProbe(options: VersionProbeOptions = {}): (binary: string) => Promise<string | undefined> {
  const env = options.env ?? process.env
  const cacheFile = options.cacheFile ?? defaultVersionCacheFile()
  const now = options.now ?? Date.now
  let answers: Record<string, CachedAnswer> | undefined
  return async (binary) => {
    const found = binary.includes(path.sep) ? binary : findExecutableOnPath(binary, env)
    // Windows resolves PATHEXT variants that findExecutableOnPath does not know: ask the OS.
    if (!found) return process.platform === 'win32' ? runVersion(binary, env).then((answer) => answer.output ?? undefined) : undefined
    const identity = fileIdentity(found)
    if (!identity) return undefined
    answers ??= readAnswers(cacheFile)
    const cached = answers[found]
    if (cached && sameFile(cached, identity) && now() - cached.probedAt >= 0 && now() - cached.probedAt < MAX_AGE_MS) {
      return cached.output ?? undefined
    }
    const answer = await runVersion(found, env)
    // A timeout says more about a busy machine than about the binary: ask again next time.
    if (!answer.timedOut) {
      answers[found] = {...identity, probedAt: now(), output: answer.output}
      writeAnswers(cacheFile, answers)
    }
    return answer.output ?? undefined
  }
}

function runVersion(binary: string, env: NodeJS.ProcessEnv): Promise<{output: string | null; timedOut: boolean}> {
  return new Promise((resolve) => {
    execFile(binary, ['--version'], {timeout: PROBE_TIMEOUT_MS, env, windowsHide: true}, (error, stdout) => {
      if (error) return resolve({output: null, timedOut: Boolean(error.killed)})
      resolve({output: stdout.trim() || null, timedOut: false})
    })
  })
}

function fileIdentity(file: string): FileIdentity | undefined {
  try {
    const realPath = realpathSync(file)
    const stat = statSync(realPath)
    return {realPath, size: stat.size, mtimeMs: stat.mtimeMs, ctimeMs: stat.ctimeMs, ino: stat.ino}
  } catch {
    return undefined
  }
}

function sameFile(a: FileIdentity, b: FileIdentity): boolean {
  return a.realPath === b.realPath && a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs && a.ino === b.ino
}

/**
 * The cached answers, or none when the file is missing, unreadable, malformed or not the user's
 * own (what it says is shown as a harness version and decides which hook events get installed).
 */
function readAnswers(cacheFile: string): Record<string, CachedAnswer> {
  let text: string
  try {
    const fd = openSync(cacheFile, 'r')
    try {
      const uid = process.getuid?.()
      if (uid !== undefined && fstatSync(fd).uid !== uid) return {}
      text = readFileSync(fd, 'utf8')
    } finally {
      closeSync(fd)
    }
  } catch {
    return {}
  }
  try {
    const parsed: unknown = JSON.parse(text)
    const answers: Record<string, CachedAnswer> = {}
    if (typeof parsed !== 'object' || parsed === null) return answers
    for (const [file, entry] of Object.entries(parsed)) if (isCachedAnswer(entry)) answers[file] = entry
    return answers
  } catch {
    return {}
  }
}

function isCachedAnswer(value: unknown): value is CachedAnswer {
  if (typeof value !== 'object' || value === null) return false
  const entry = value as Record<string, unknown>
  return (
    typeof entry.realPath === 'string' &&
    ['size', 'mtimeMs', 'ctimeMs', 'ino', 'probedAt'].every((field) => typeof entry[field] === 'number') &&
    (entry.output === null || typeof entry.output === 'string')
  )
}

/** Newest entries first, at most MAX_ENTRIES; a failed write only means probing again next time. */
function writeAnswers(cacheFile: string, answers: Record<string, CachedAnswer>): void {
  const kept = Object.entries(answers)
    .sort(([, a], [, b]) => b.probedAt - a.probedAt)
    .slice(0, MAX_ENTRIES)
  try {
    ensurePrivateDir(path.dirname(cacheFile))
    writeFileAtomic(cacheFile, JSON.stringify(Object.fromEntries(kept), null, 1) + '\n', {mode: PRIVATE_FILE_MODE, dirMode: 0o700})
  } catch {
    // read-only cache directory, full disk: the answer is still returned
  }
}
