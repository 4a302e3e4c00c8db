import type {Context, MiddlewareHandler} from 'hono'

import {arrivedOnLocalSocket} from '../../client/local-socket.js'
import {isLoopbackAddress} from '../../config/network.js'
import type {ApiKeyRecord, ApiKeyRejection} from '../../store/api-keys.js'
import {ApiError, unauthorized} from '../api-error.js'
import type {AppEnv, DaemonContext} from '../context.js'
import {authState, matchesAdminToken, type AuthState} from './auth-state.js'
import {principalFromDeviceCookie} from './device-cookie.js'
import {lastForwardedParameter, lastListEntry, namedClient, normalizeAddress} from './forwarding-headers.js'
import {adminTokenPrincipal, anonymousPrincipal, effectivePermissions, localAdminPrincipal, type Principal} from './principal.js'
import {retryAfterSeconds} from './rate-limit.js'

/** Routes anyone may call (by path; see isOpenRoute for the method). */
export const OPEN_PATHS = new Set(['/health', '/api/auth/pair/claim'])

export function isOpenRoute(method: string, path: string): boolean {
  if (path === '/health') return method === 'GET' || method === 'HEAD'
  if (path === '/api/auth/pair/claim') return method === 'POST'
  return false
}

export const AUTH_FAILURE_MESSAGES: Record<ApiKeyRejection | 'required' | 'admin_token_remote', {error: string; code: string}> = {
  required: {
    error:
      "authentication required: send Authorization: Bearer <api key>. On the daemon's own machine, use the signet CLI (it talks to the daemon through .daemon/signet.sock) — a TCP connection without a credential is never trusted as the owner, even from localhost",
    code: 'auth_required',
  },
  malformed: {error: 'malformed api key', code: 'malformed_api_key'},
  invalid: {error: 'invalid api key', code: 'invalid_api_key'},
  revoked: {error: 'api key revoked', code: 'api_key_revoked'},
  expired: {error: 'api key expired', code: 'api_key_expired'},
  admin_token_remote: {error: 'the admin token is only accepted from this machine', code: 'admin_token_remote'},
}

export interface PeerClassification {
  /** Not a loopback caller: needs a key in hybrid mode. */
  remote: boolean
  /** The address limits and the audit trail are keyed by. */
  client: string
}

/**
 * The clients a trusted proxy's forwarding headers name, one per header present, in the order
 * X-Forwarded-For (its last entry), Forwarded (the `for=` of its last element), X-Real-IP — the
 * entries the nearest proxy would have written. A header that is present but names nobody counts
 * as 'unknown'. `appended` says whether X-Forwarded-For or Forwarded (headers proxies append to) is
 * among them: X-Real-IP is a single value a proxy may set — or pass through from the client untouched.
 */
function forwardedClients(headers: Headers): {named: string[]; appended: boolean} {
  const named: string[] = []
  const xff = headers.get('x-forwarded-for')
  if (xff !== null) named.push(namedClient(lastListEntry(xff)))
  const forwarded = headers.get('forwarded')
  if (forwarded !== null) named.push(namedClient(lastForwardedParameter(forwarded, 'for')))
  const realIp = headers.get('x-real-ip')
  if (realIp !== null) named.push(namedClient(realIp))
  return {named, appended: xff !== null || forwarded !== null}
}

/**
 * Is this request local? Only the TCP peer counts (never the Host header). A loopback peer that
 * forwards for someone else (a same-host proxy) is remote — unless it is listed in
 * `auth.trustedProxies`, and then only if EVERY forwarding header present names a loopback client
 * and at least one of them is X-Forwarded-For or Forwarded. Every header, because we cannot know
 * which one the proxy writes: one that sets only Forwarded (or only X-Real-IP) passes a client's own
 * `X-Forwarded-For: 127.0.0.1` through untouched. X-Real-IP alone never makes a request local for
 * the same reason. Limits and the audit trail key on the first non-loopback client named, else the
 * loopback one.
 */
export function classifyPeer(peer: string | undefined, headers: Headers, trustedProxies: readonly string[]): PeerClassification {
  const socket = peer ? normalizeAddress(peer) : 'unknown'
  if (!headers.has('x-forwarded-for') && !headers.has('forwarded') && !headers.has('x-real-ip')) {
    return {remote: !isLoopbackAddress(peer), client: socket}
  }
  const trusted = trustedProxies.some((proxy) => normalizeAddress(proxy) === socket)
  if (!trusted) return {remote: true, client: socket}
  const {named, appended} = forwardedClients(headers)
  const outsider = named.find((address) => !isLoopbackAddress(address))
  const local = isLoopbackAddress(peer) && appended && outsider === undefined
  return {remote: !local, client: outsider ?? named[0]}
}

/** Kept for callers that only need the yes/no. */
export function isRemoteRequest(peer: string | undefined, headers: Headers, trustedProxies: readonly string[]): boolean {
  return classifyPeer(peer, headers, trustedProxies).remote
}

/** `Bearer <credential>` (scheme case-insensitive); anything else is malformed. */
export function parseBearer(header: string): string | undefined {
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header)
  return match?.[1]
}

export function apiKeyPrincipal(record: ApiKeyRecord, classification: PeerClassification): Principal {
  return {
    kind: 'api-key',
    role: record.role,
    permissions: effectivePermissions(record.role, record.permissions),
    scope: {...record.scope, agent: record.scope.agent ?? record.agentId ?? undefined},
    allowedProjects: record.allowedProjects,
    remote: classification.remote,
    peer: classification.client,
    keyId: record.id,
    name: record.name,
    connector: record.connector,
  }
}

/**
 * Who is calling. The owner is proved by file permission, never by the TCP peer address (any web
 * page, or any other user of this machine, can reach 127.0.0.1): a request that arrived on the
 * daemon's Unix socket in the 0700 `.daemon/` directory is the local owner in every mode, and so is
 * a request carrying the 0600 `.daemon/admin.token` from a loopback peer. Over TCP, a request
 * without a credential is refused in every mode (`local`, `hybrid` and `team` differ in the bind
 * and in what status reports, not in whom they trust). A credential that is sent is always checked
 * and its claims apply — on the socket too — so a request never gets more than the key it
 * presents. Failures are audited and rate-limited per client address.
 */
export function authenticate(daemon: DaemonContext): MiddlewareHandler<AppEnv> {
  const state = authState(daemon)
  return async (c, next) => {
    const onOwnerSocket = arrivedOnLocalSocket(c.env?.incoming)
    const classification = onOwnerSocket
      ? {remote: false, client: 'local-socket'}
      : classifyPeer(c.env?.incoming?.socket?.remoteAddress, c.req.raw.headers, daemon.config.auth.trustedProxies)
    if (isOpenRoute(c.req.method, c.req.path)) {
      c.set('principal', anonymousPrincipal(classification.remote, classification.client))
      await next()
      return
    }
    const header = c.req.header('authorization')?.trim()
    // Dashboard device session: a cookie (plus X-CSRF-Token on changes) instead of a bearer credential.
    if (!header) {
      const device = await principalFromDeviceCookie(daemon, c, classification.remote, classification.client)
      if (device) {
        c.set('principal', device)
        await next()
        return
      }
    }
    if (!header) {
      if (onOwnerSocket) {
        c.set('principal', localAdminPrincipal(false, classification.client))
        await next()
        return
      }
      // Sending no credential guesses nothing: counting it would let any web page lock the
      // owner's admin token out of a loopback peer. Remote peers are still limited.
      if (classification.remote) await refuseIfThrottled(state, daemon, c, classification)
      return fail(state, daemon, c, classification, 'required', undefined, classification.remote)
    }
    await refuseIfThrottled(state, daemon, c, classification)
    const credential = parseBearer(header)
    if (!credential) return fail(state, daemon, c, classification, 'malformed')
    if (credential.startsWith('sig_at_')) {
      if (!matchesAdminToken(state, credential)) return fail(state, daemon, c, classification, 'invalid')
      if (classification.remote) return fail(state, daemon, c, classification, 'admin_token_remote')
      c.set('principal', adminTokenPrincipal(false, classification.client))
      await next()
      return
    }
    const verification = await daemon.storage.apiKeys.verify(credential)
    if (!verification.ok) return fail(state, daemon, c, classification, verification.reason, verification.keyId)
    c.set('principal', apiKeyPrincipal(verification.record, classification))
    await next()
  }
}

async function refuseIfThrottled(state: AuthState, daemon: DaemonContext, c: Context<AppEnv>, classification: PeerClassification): Promise<void> {
  const waitMs = await state.authFailures.blockedFor(classification.client)
  if (waitMs === 0) return
  const seconds = retryAfterSeconds(waitMs)
  if (await state.authFailures.firstRefusal(classification.client)) {
    await daemon.storage.audit.record({
      event: 'auth_rate_limited',
      peer: classification.client,
      detail: {method: c.req.method, path: auditPath(c.req.path), retryAfter: seconds},
    })
    daemon.logger.warn('too many failed authentication attempts; refusing this address for now', {peer: classification.client, retryAfter: seconds})
  }
  throw new ApiError(
    429,
    'rate_limited',
    `too many failed authentication attempts from this address; retry in ${seconds}s`,
    {retryAfter: seconds},
    {'Retry-After': String(seconds)},
  )
}

async function fail(
  state: AuthState,
  daemon: DaemonContext,
  c: Context<AppEnv>,
  classification: PeerClassification,
  reason: keyof typeof AUTH_FAILURE_MESSAGES,
  keyId?: string,
  countsAsAttempt = true,
): Promise<never> {
  if (countsAsAttempt) await state.authFailures.hit(classification.client)
  const {error, code} = AUTH_FAILURE_MESSAGES[reason]
  await daemon.storage.audit.record({
    event: 'auth_failed',
    keyId: keyId ?? null,
    peer: classification.client,
    detail: {reason: code, method: c.req.method, path: auditPath(c.req.path), authMode: daemon.listen.effectiveAuthMode, remote: classification.remote},
  })
  throw unauthorized(error, code)
}

/** Paths are ours, but a caller can put anything in one: keep the trail short. */
function auditPath(path: string): string {
  return path.length > 200 ? `${path.slice(0, 200)}…` : path
}
