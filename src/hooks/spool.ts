import {chmodSync, closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeSync} from 'node:fs'
import path from 'node:path'

import {userConfigDir, workspacePaths} from '../config/paths.js'
import type {HookEndpoint} from './endpoint.js'
import {HookTransportError, postHookJson} from './transport.js'

/**
 * Offline spool for writes the daemon could not take (session-end transcripts, compaction
 * summaries, remembers). Each entry is one JSON file carrying its own idempotency key, so a
 * replay that races a late delivery, or runs twice, still stores everything exactly once.
 *
 * Entries are claimed by renaming them (atomic on one filesystem), so two hooks replaying at
 * once never send the same entry concurrently; a claim left by a killed process goes back to
 * the queue after CLAIM_STALE_MS.
 *
 * Each entry also records the daemon it was meant for (its target), and is only ever replayed to
 * that daemon: a transcript spooled for this workspace's daemon must not end up at a remote one,
 * or at another workspace's, because that is what the current endpoint happens to be.
 */

/**
 * The daemon an entry is for: the local workspace daemon, named by its socket path (how it is
 * dialled, or the workspace it stands for where no socket fits), or a remote daemon by URL plus a
 * non-secret fingerprint of the key the write was to be sent with.
 */
export type SpoolTarget = {socket: string} | {url: string; key: string | null}

export interface SpoolEntry {
  version: 1 | 2
  /** Absent on entries spooled before targets were recorded: those only go to a local daemon. */
  target?: SpoolTarget
  /** Daemon route, e.g. /api/hooks/session-end or /api/memory/remember. */
  path: string
  harness: string
  body: Record<string, unknown> & {idempotencyKey: string}
  createdAt: string
}

/** Where replay sends entries: a resolved hook endpoint (socket or URL, and its key). */
export type ReplayTarget = Pick<HookEndpoint, 'url' | 'socketPath' | 'unreachable' | 'apiKey' | 'workspace'>

export interface ReplayReport {
  delivered: number
  rejected: number
  remaining: number
  /** Pending entries meant for another daemon than this replay's target: left for it. */
  forOtherDaemons: number
  /** Why replay stopped early (daemon unreachable, 401 …), if it did. */
  stoppedBy?: string
}

const ENTRY_SUFFIX = '.json'
const CLAIM_MARK = '.claim-'
const CLAIM_STALE_MS = 120_000
export const SPOOLABLE_PATHS = new Set(['/api/hooks/session-end', '/api/hooks/compaction-complete', '/api/hooks/pre-compaction', '/api/memory/remember'])

export function spoolDir(): string {
  return path.join(userConfigDir(), 'spool')
}

/**
 * Put a write in the spool. With `claimed`, the entry is written already claimed by this process:
 * the hook writes ahead, before sending, so a harness that kills it mid-request (Gemini does not
 * wait for SessionEnd) loses nothing — the stale claim is released and replayed later.
 */
export async function spoolWrite(entry: Omit<SpoolEntry, 'version' | 'createdAt'> & {target: SpoolTarget}, options: {claimed?: boolean} = {}): Promise<string> {
  // node:crypto costs ~3 ms to load; only writes need it, the prompt path never writes.
  const {randomBytes} = await import('node:crypto')
  const dir = spoolDir()
  mkdirSync(dir, {recursive: true, mode: 0o700})
  // Entries hold prompts and transcripts: a directory made by an older version may be 0755.
  chmodSync(dir, 0o700)
  const name = `${Date.now().toString().padStart(14, '0')}-${randomBytes(6).toString('hex')}`
  const file = path.join(dir, name + ENTRY_SUFFIX + (options.claimed ? claimSuffix() : ''))
  const temp = path.join(dir, `.${name}.tmp`)
  const full: SpoolEntry = {version: 2, createdAt: new Date().toISOString(), ...entry}
  const fd = openSync(temp, 'wx', 0o600)
  try {
    writeSync(fd, JSON.stringify(full))
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  // Only complete entries ever carry a name a replay looks for.
  renameSync(temp, file)
  return file
}

function claimSuffix(): string {
  return `${CLAIM_MARK}${process.pid}-${Date.now()}`
}

/** The daemon confirmed a claimed entry: it is done. */
export function confirmSpooled(file: string): void {
  rmSync(file, {force: true})
}

/** Delivery failed for now: hand a claimed entry back to the queue. */
export function releaseSpooled(file: string): void {
  const at = file.lastIndexOf(CLAIM_MARK)
  if (at > 0) renameSync(file, file.slice(0, at))
}

/** The daemon refused the entry's content: keep it aside for inspection, never retry it. */
export function rejectSpooled(file: string): void {
  const name = path.basename(file)
  const at = name.indexOf(CLAIM_MARK)
  moveToRejected(file, at > 0 ? name.slice(0, at) : name)
}

/** The harnesses that wrote the pending entries (each is delivered with that harness's credentials). */
export function pendingSpoolHarnesses(): string[] {
  const harnesses = new Set<string>()
  for (const name of pendingSpoolEntries()) {
    try {
      const entry = JSON.parse(readFileSync(path.join(spoolDir(), name), 'utf8')) as Partial<SpoolEntry>
      if (typeof entry.harness === 'string') harnesses.add(entry.harness)
    } catch {
      // claimed or removed meanwhile, or unreadable (replay moves those to rejected/)
    }
  }
  return [...harnesses].sort()
}

/** Pending entry files, oldest first (names start with a zero-padded timestamp). */
export function pendingSpoolEntries(): string[] {
  let names: string[]
  try {
    names = readdirSync(spoolDir())
  } catch {
    return []
  }
  if (releaseStaleClaims(names)) names = readdirSync(spoolDir())
  return names.filter((name) => name.endsWith(ENTRY_SUFFIX) && !name.startsWith('.')).sort()
}

/** Put entries claimed by a process that died mid-delivery back in the queue; true if any were. */
function releaseStaleClaims(names: string[]): boolean {
  const now = Date.now()
  let released = false
  for (const name of names) {
    const at = name.indexOf(CLAIM_MARK)
    if (at < 0) continue
    const claimedAt = Number(name.slice(name.lastIndexOf('-') + 1))
    if (Number.isFinite(claimedAt) && now - claimedAt < CLAIM_STALE_MS) continue
    try {
      renameSync(path.join(spoolDir(), name), path.join(spoolDir(), name.slice(0, at)))
      released = true
    } catch {
      // someone else released it first
    }
  }
  return released
}

/**
 * Deliver spooled entries in order until `deadline` (ms since epoch) or the first failure that
 * would fail the next entry too (unreachable daemon, bad key, rate limit, busy). Entries the
 * daemon refuses for their content (400/404/409/413/422) can never succeed: they move to
 * `spool/rejected/` (kept for inspection, not retried) instead of blocking the queue.
 */
export async function replaySpool(target: ReplayTarget, options: {deadline: number; maxEntries?: number; harness?: string}): Promise<ReplayReport> {
  const report: ReplayReport = {delivered: 0, rejected: 0, remaining: 0, forOtherDaemons: 0}
  const entries = pendingSpoolEntries()
  const dir = spoolDir()
  const here = await spoolTargetFor(target)
  let attempted = 0
  for (const name of entries) {
    if (!isFor(readTarget(path.join(dir, name)), here)) continue
    const remainingMs = options.deadline - Date.now()
    if (remainingMs < 100 || attempted >= (options.maxEntries ?? Number.POSITIVE_INFINITY)) {
      report.stoppedBy ??= 'time budget'
      break
    }
    const original = path.join(dir, name)
    const claimed = original + claimSuffix()
    try {
      renameSync(original, claimed)
    } catch {
      continue // another process took it
    }
    attempted++
    let entry: SpoolEntry
    try {
      entry = JSON.parse(readFileSync(claimed, 'utf8')) as SpoolEntry
      if (!SPOOLABLE_PATHS.has(entry.path) || typeof entry.body?.idempotencyKey !== 'string') throw new Error('not a spool entry')
    } catch {
      moveToRejected(claimed, name)
      report.rejected++
      continue
    }
    // Credentials are per harness: another harness's write goes with that harness's key, later.
    if (options.harness !== undefined && entry.harness !== options.harness) {
      renameSync(claimed, original)
      attempted--
      continue
    }
    try {
      await postHookJson({
        url: target.url,
        socketPath: target.socketPath,
        unreachable: target.unreachable,
        apiKey: target.apiKey,
        harness: entry.harness,
        path: entry.path,
        body: entry.body,
        timeoutMs: remainingMs,
      })
      rmSync(claimed, {force: true})
      report.delivered++
    } catch (error) {
      const failure = error instanceof HookTransportError ? error : new HookTransportError('offline', String(error))
      if (failure.kind === 'http' && failure.status !== undefined && isPermanentRefusal(failure.status)) {
        moveToRejected(claimed, name)
        report.rejected++
        continue
      }
      renameSync(claimed, original)
      report.stoppedBy = failure.message
      break
    }
  }
  const pending = pendingSpoolEntries()
  report.forOtherDaemons = pending.filter((name) => !isFor(readTarget(path.join(dir, name)), here)).length
  report.remaining = pending.length - report.forOtherDaemons
  return report
}

/** The target a write for this endpoint is recorded with. */
export async function spoolTargetFor(endpoint: Pick<HookEndpoint, 'url' | 'apiKey' | 'workspace'>): Promise<SpoolTarget> {
  if (endpoint.workspace) return {socket: workspacePaths(endpoint.workspace).socketFile}
  return {url: endpoint.url, key: endpoint.apiKey ? await keyFingerprint(endpoint.apiKey) : null}
}

/**
 * A non-secret name for a key: an API key's public prefix (`sig_sk_<12 hex>`, shown by
 * `api-key list`), else the start of its sha256 — never anything that helps guess the secret.
 */
export async function keyFingerprint(apiKey: string): Promise<string> {
  const prefix = /^(sig_sk_[0-9a-f]{12})_/.exec(apiKey)
  if (prefix) return prefix[1]
  const {createHash} = await import('node:crypto')
  return `sha256:${createHash('sha256').update(apiKey).digest('hex').slice(0, 12)}`
}

/** Entries from before targets were recorded were only ever meant for this machine: the local daemon. */
function isFor(entryTarget: SpoolTarget | undefined | null, here: SpoolTarget): boolean {
  if (entryTarget === null) return true // unreadable: let the replay loop reject it
  if (entryTarget === undefined) return 'socket' in here
  if ('socket' in entryTarget) return 'socket' in here && entryTarget.socket === here.socket
  return 'url' in here && entryTarget.url === here.url && entryTarget.key === here.key
}

/** The entry's target; undefined for an entry without one, null when the file cannot be read as an entry. */
function readTarget(file: string): SpoolTarget | undefined | null {
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as SpoolEntry).target
  } catch {
    return null
  }
}

function isPermanentRefusal(status: number): boolean {
  return status === 400 || status === 404 || status === 409 || status === 413 || status === 422
}

function moveToRejected(file: string, name: string): void {
  const rejectedDir = path.join(spoolDir(), 'rejected')
  try {
    mkdirSync(rejectedDir, {recursive: true, mode: 0o700})
    renameSync(file, path.join(rejectedDir, name))
  } catch {
    rmSync(file, {force: true})
  }
}
