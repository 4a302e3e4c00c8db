import {createHash, randomBytes, timingSafeEqual} from 'node:crypto'
import {chmodSync, mkdirSync, renameSync, rmSync, writeFileSync} from 'node:fs'

import {ApiKeyStore} from '../../store/api-keys.js'
import {AuditLog} from '../../store/audit.js'
import {PairingStore} from '../../store/pairing.js'
import type {DaemonContext} from '../context.js'
import {FixedWindowLimiter, type RateLimitSettings} from './rate-limit.js'

export const ADMIN_TOKEN_PATTERN = /^sig_at_[A-Za-z0-9_-]{43}$/

export const DEFAULT_AUTH_FAILURE_LIMIT: RateLimitSettings = {windowMs: 60_000, max: 10}
export const DEFAULT_PAIR_CLAIM_LIMIT: RateLimitSettings = {windowMs: 60_000, max: 10}
/** Failed claims from all peers together: many addresses guessing at once still hit a wall. */
const GLOBAL_PAIR_FAILURES_FACTOR = 5

/** The daemon's auth machinery, built once per daemon and shared by the middleware and the auth routes. */
export interface AuthState {
  apiKeys: ApiKeyStore
  audit: AuditLog
  pairing: PairingStore
  authFailures: FixedWindowLimiter
  pairClaims: FixedWindowLimiter
  pairClaimFailures: FixedWindowLimiter
  /** sha256 of the current `.daemon/admin.token`, or undefined if none was issued. */
  adminTokenDigest?: Buffer
}

const states = new WeakMap<DaemonContext, AuthState>()

export function authState(daemon: DaemonContext): AuthState {
  let state = states.get(daemon)
  if (!state) {
    const limits = daemon.config.auth.rateLimits
    const pairClaim = limits.pairClaim ?? DEFAULT_PAIR_CLAIM_LIMIT
    state = {
      apiKeys: new ApiKeyStore(daemon.db),
      audit: new AuditLog(daemon.db),
      pairing: new PairingStore(daemon.db),
      authFailures: new FixedWindowLimiter(limits.authFailures ?? DEFAULT_AUTH_FAILURE_LIMIT),
      pairClaims: new FixedWindowLimiter(pairClaim),
      pairClaimFailures: new FixedWindowLimiter({windowMs: pairClaim.windowMs, max: pairClaim.max * GLOBAL_PAIR_FAILURES_FACTOR}),
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
