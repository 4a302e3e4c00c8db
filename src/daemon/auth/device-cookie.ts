import type {Context} from 'hono'
import {getCookie} from 'hono/cookie'

import {csrfTokenMatches, DEVICE_SESSION_TTL_MS, type DeviceSession} from '../../store/device-sessions.js'
import {ApiError} from '../api-error.js'
import type {AppEnv, DaemonContext} from '../context.js'
import {authState} from './auth-state.js'
import {ROLE_PERMISSIONS, type Permission, type Principal} from './principal.js'
import {requestScheme, trustedProxySet} from './request-scheme.js'

/*
 * Dashboard device sessions. A browser never holds an API key: it holds an HttpOnly, SameSite=Strict
 * cookie naming a revocable device session (stored hashed). Because a cookie rides along with any
 * request the browser makes, every state-changing request must also carry `X-CSRF-Token`, which
 * only the dashboard's own page can read (from GET /api/session) — the browser guard already keeps
 * other origins from reading responses or sending JSON bodies, this is the second lock.
 */

/** Methods that change nothing; everything else needs the CSRF header. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

/** What a device limited to an agent or project may do: the operator's rights minus running hooks. */
const SCOPED_DEVICE_PERMISSIONS: readonly Permission[] = ROLE_PERMISSIONS.operator.filter((permission) => permission !== 'hooks')

/**
 * Whether the browser reached us over HTTPS — directly, or through a trusted proxy that terminated
 * TLS — so the cookie must be Secure (docs/deployment.md). Proxies are read per call: agent.yaml
 * reloads may change them.
 */
export function isHttpsRequest(daemon: DaemonContext, c: Context<AppEnv>): boolean {
  return requestScheme(c, trustedProxySet(daemon.config.auth.trustedProxies)) === 'https'
}

/**
 * Cookies are scoped by host, not port: two daemons on one machine (two workspaces) would overwrite
 * each other's cookie under one name, so the port is part of it. Under HTTPS the `__Host-` prefix
 * makes the browser refuse the cookie unless it is Secure, host-only and for path /.
 */
export function deviceCookieName(daemon: DaemonContext, https: boolean): string {
  let port = '0'
  try {
    port = new URL(daemon.url).port || '80'
  } catch {
    // daemon.url is filled in once the server listens; requests only arrive after that.
  }
  return `${https ? '__Host-' : ''}signet_device_${port}`
}

/** The Set-Cookie value for a device session, or (value '') one that makes the browser drop it. */
export function deviceCookieHeader(daemon: DaemonContext, https: boolean, value: string): string {
  const maxAge = value === '' ? 0 : Math.floor(DEVICE_SESSION_TTL_MS / 1000)
  return [`${deviceCookieName(daemon, https)}=${value}`, 'Path=/', `Max-Age=${maxAge}`, 'HttpOnly', 'SameSite=Strict', ...(https ? ['Secure'] : [])].join('; ')
}

export function devicePrincipal(device: DeviceSession, remote: boolean, peer: string): Principal {
  const scoped = device.agentId !== null || device.project !== null
  return {
    kind: 'device',
    role: scoped ? 'operator' : 'admin',
    permissions: scoped ? SCOPED_DEVICE_PERMISSIONS : ROLE_PERMISSIONS.admin,
    scope: {agent: device.agentId ?? undefined, project: device.project ?? undefined},
    remote,
    peer,
    deviceId: device.id,
    name: device.name,
  }
}

/** The raw session token from this request's cookie, if it sent one. */
export function deviceCookieValue(daemon: DaemonContext, c: Context<AppEnv>): string | undefined {
  return getCookie(c, deviceCookieName(daemon, isHttpsRequest(daemon, c))) || undefined
}

/**
 * The principal for a request that carries a device cookie; undefined when it carries none. A cookie
 * that names no live session is a 401 (and the browser is told to drop it) — never a fall-back to
 * whatever the request would have been without it. A state-changing request without the session's
 * CSRF token is a 403.
 */
export async function principalFromDeviceCookie(daemon: DaemonContext, c: Context<AppEnv>, remote: boolean, peer: string): Promise<Principal | undefined> {
  const token = deviceCookieValue(daemon, c)
  if (token === undefined) return undefined
  const state = authState(daemon)
  const check = await daemon.storage.devices.verify(token)
  if (!check.ok) {
    await state.authFailures.hit(peer)
    await daemon.storage.audit.record({
      event: 'auth_failed',
      peer,
      detail: {reason: `device_session_${check.reason}`, deviceId: check.deviceId, method: c.req.method, path: c.req.path.slice(0, 200)},
    })
    throw new ApiError(
      401,
      'device_session_invalid',
      `this device's dashboard session is ${check.reason === 'malformed' ? 'not valid' : check.reason}: log in again with a link from \`signet dashboard\` or \`signet pair --device\``,
      {},
      {
        'Set-Cookie': deviceCookieHeader(daemon, isHttpsRequest(daemon, c), ''),
      },
    )
  }
  if (!SAFE_METHODS.has(c.req.method) && !csrfTokenMatches(token, c.req.header('x-csrf-token'))) {
    throw new ApiError(403, 'csrf_required', 'a change from a dashboard session must carry the X-CSRF-Token header the dashboard reads from GET /api/session')
  }
  return devicePrincipal(check.device, remote, peer)
}
