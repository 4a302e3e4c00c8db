import {createHash, randomBytes, timingSafeEqual} from 'node:crypto'
import {chmodSync, mkdirSync, renameSync, rmSync, writeFileSync} from 'node:fs'

import type {DaemonContext} from '../context.js'
import {type RateLimitSettings, SharedRateLimit} from './rate-limit.js'

export const ADMIN_TOKEN_PATTERN = /^sig_at_[A-Za-z0-9_-]{43}$/

export const DEFAULT_AUTH_FAILURE_LIMIT: RateLimitSettings = {windowMs: 60_000, max: 10}
export const DEFAULT_PAIR_CLAIM_LIMIT: RateLimitSettings = {windowMs: 60_000, max: 10}
/** Failed claims from all peers together: many addresses guessing at once still hit a wall. */
const GLOBAL_PAIR_FAILURES_FACTOR = 5

/**
 * The daemon's auth machinery, built once per daemon and shared by the middleware and the auth
 * routes. Keys, pairing codes, the audit trail and the limits' counters live in the storage.
 */
export interface AuthState {
  authFailures: SharedRateLimit
  pairClaims: SharedRateLimit
  pairClaimFailures: SharedRateLimit
  /** sha256 of the current `.daemon/admin.token`, or undefined if none was issued. */
  adminTokenDigest?: Buffer
}

const states = new WeakMap<DaemonContext, AuthState>()

export function authState(daemon: DaemonContext): AuthState {
  let state = states.get(daemon)
  if (!state) {
    const limits = daemon.config.auth.rateLimits
    const pairClaim = limits.pairClaim ?? DEFAULT_PAIR_CLAIM_LIMIT
    const windows = daemon.storage.rateLimits
    state = {
      authFailures: new SharedRateLimit(windows, 'auth-failures', limits.authFailures ?? DEFAULT_AUTH_FAILURE_LIMIT),
      pairClaims: new SharedRateLimit(windows, 'pair-claims', pairClaim),
      pairClaimFailures: new SharedRateLimit(windows, 'pair-claim-failures', {windowMs: pairClaim.windowMs, max: pairClaim.max * GLOBAL_PAIR_FAILURES_FACTOR}),
    }
    states.set(daemon, state)
  }
  return state
}

/**
 * Write a fresh `.daemon/admin.token` (0600) for the local CLI: in `team` mode file permission is
 * the local authority (SECURITY.md). A new token every start, so a copied file dies with the daemon.
 */
export function issueAdminToken(daemon: DaemonContext): void {
  const token = `sig_at_${randomBytes(32).toString('base64url')}`
  const file = daemon.paths.adminTokenFile
  mkdirSync(daemon.paths.daemonDir, {recursive: true, mode: 0o700})
  const temp = `${file}.${process.pid}.tmp`
  try {
    writeFileSync(temp, `${token}\n`, {mode: 0o600, flag: 'w'})
    chmodSync(temp, 0o600)
    renameSync(temp, file)
  } catch (error) {
    rmSync(temp, {force: true})
    throw error
  }
  authState(daemon).adminTokenDigest = createHash('sha256').update(token).digest()
}

export function matchesAdminToken(state: AuthState, presented: string): boolean {
  if (!state.adminTokenDigest || !ADMIN_TOKEN_PATTERN.test(presented)) return false
  return timingSafeEqual(createHash('sha256').update(presented).digest(), state.adminTokenDigest)
}
