import {readFileSync, realpathSync, statSync} from 'node:fs'
import path from 'node:path'

import {sha256} from '@noble/hashes/sha2'
import {bytesToHex} from '@noble/hashes/utils'

/** How a project is named in memories and sessions, plus where that name came from. */
export interface ProjectIdentity {
  /** Normalised git remote (`github.com/acme/api`) or `local:<dir>:<hash of the real path>`. */
  id: string
  cwd: string
  gitRoot?: string
  gitRemote?: string
}

/**
 * Derive the project from a working directory by reading `.git` directly. Spawning `git`
 * would cost 5–20 ms on every prompt; the files it would read are simple enough to read here.
 */
export async function deriveProjectIdentity(cwd: string): Promise<ProjectIdentity> {
  const real = realPath(cwd)
  const repo = findGitRepository(real)
  if (repo) {
    const remote = readPreferredRemote(repo.configDir)
    const gitRemote = remote ? normalizeGitRemote(remote) : undefined
    return {id: gitRemote ?? (await localProjectId(repo.root)), cwd: real, gitRoot: repo.root, gitRemote}
  }
  return {id: await localProjectId(real), cwd: real}
}

function realPath(dir: string): string {
  try {
    return realpathSync(dir)
  } catch {
    return path.resolve(dir)
  }
}

export async function localProjectId(dir: string): Promise<string> {
  // sha256 from @noble/hashes (pure JS, bundled into the hook), not node:crypto: loading node:crypto
  // costs the prompt hook 3–4 ms in every project without a git remote. Same digest (a test pins it).
  const hash = bytesToHex(sha256(dir)).slice(0, 12)
  // The daemon refuses control and invisible characters in project names; the hash keeps the id unique.
  const name = path.basename(dir).replace(/[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}]/gu, '')
  return `local:${name || 'root'}:${hash}`
}

interface GitRepository {
  root: string
  /** The directory holding `config` (the common dir for linked worktrees). */
  configDir: string
}

function findGitRepository(start: string): GitRepository | undefined {
  let dir = start
  for (;;) {
    const dotGit = path.join(dir, '.git')
    const stat = statSync(dotGit, {throwIfNoEntry: false})
    if (stat?.isDirectory()) return {root: dir, configDir: dotGit}
    if (stat?.isFile()) {
      // Worktrees and submodules: `.git` is a file saying `gitdir: <path>`.
      const gitDir = readGitDirPointer(dotGit, dir)
      if (gitDir) return {root: dir, configDir: commonDir(gitDir)}
    }
    const parent = path.dirname(dir)
    if (parent === dir) return undefined
    dir = parent
  }
}

function readGitDirPointer(file: string, base: string): string | undefined {
  try {
    const match = /^gitdir:\s*(.+?)\s*$/m.exec(readFileSync(file, 'utf8'))
    return match ? path.resolve(base, match[1]) : undefined
  } catch {
    return undefined
  }
}

function commonDir(gitDir: string): string {
  try {
    return path.resolve(gitDir, readFileSync(path.join(gitDir, 'commondir'), 'utf8').trim())
  } catch {
    return gitDir
  }
}

/** `origin` if present, else `upstream`, else the first remote with a url. */
function readPreferredRemote(configDir: string): string | undefined {
  let text: string
  try {
    text = readFileSync(path.join(configDir, 'config'), 'utf8')
  } catch {
    return undefined
  }
  const remotes = parseGitRemotes(text)
  return remotes.get('origin') ?? remotes.get('upstream') ?? remotes.values().next().value
}

/** Remote name → url from git's ini-style config (`[remote "origin"]` / `url = …`). */
export function parseGitRemotes(configText: string): Map<string, string> {
  const remotes = new Map<string, string>()
  let current: string | undefined
  for (const rawLine of configText.split(/\r?\n/)) {
    const line = rawLine.trim()
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue
    const section = /^\[\s*([\w.-]+)(?:\s+"((?:[^"\\]|\\.)*)")?\s*\]/.exec(line)
    if (section) {
      current = section[1].toLowerCase() === 'remote' && section[2] !== undefined ? section[2] : undefined
      continue
    }
    if (current === undefined || remotes.has(current)) continue
    const entry = /^url\s*=\s*(.*)$/i.exec(line)
    if (entry) {
      const value = entry[1]
        .replace(/\s+[#;].*$/, '')
        .replace(/^"(.*)"$/, '$1')
        .trim()
      if (value) remotes.set(current, value)
    }
  }
  return remotes
}

/**
 * `git@github.com:Acme/API.git`, `https://token@github.com/acme/api/` and
 * `ssh://git@github.com:22/acme/api.git` all become `github.com/acme/api`. Credentials in the
 * URL are dropped (they must never reach the daemon). Local paths give undefined.
 */
export function normalizeGitRemote(remote: string): string | undefined {
  const value = remote.trim()
  let host: string
  let repoPath: string
  const scpLike = /^(?:[^@/\s]+@)?([^:/\s]+):(?!\/\/)(.+)$/.exec(value)
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) {
    let url: URL
    try {
      url = new URL(value)
    } catch {
      return undefined
    }
    if (url.protocol === 'file:' || !url.hostname) return undefined
    host = url.hostname
    repoPath = decodeURIComponent(url.pathname)
  } else if (scpLike && !/^[a-z]:$/i.test(scpLike[1] + ':')) {
    host = scpLike[1]
    repoPath = scpLike[2]
  } else {
    return undefined
  }
  const cleanPath = repoPath
    .replace(/^\/+|\/+$/g, '')
    .replace(/\.git$/i, '')
    .replace(/\/+$/, '')
  if (!cleanPath) return undefined
  return `${host}/${cleanPath}`.toLowerCase()
}
