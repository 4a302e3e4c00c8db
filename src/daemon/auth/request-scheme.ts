import type {Context} from 'hono'

import type {AppEnv} from '../context.js'
import {lastForwardedParameter, lastListEntry, normalizeAddress} from './forwarding-headers.js'

/**
 * The scheme the browser used for this request: https when the connection itself is TLS, or when
 * the socket peer is one of agent.yaml `auth.trustedProxies` and that proxy says it terminated TLS
 * (X-Forwarded-Proto, or `proto=` in Forwarded; the last entry, the one the nearest proxy wrote).
 * Anyone else's forwarding headers are ignored: a stranger must not be able to choose it. The
 * browser guard compares Origin against it and the device cookie is Secure and `__Host-` under it
 * (docs/deployment.md, "Behind a reverse proxy").
 */
export function requestScheme(c: Context<AppEnv>, trustedProxies: ReadonlySet<string>): 'http' | 'https' {
  if (c.req.url.startsWith('https:')) return 'https'
  const peer = c.env?.incoming?.socket?.remoteAddress
  if (peer && trustedProxies.has(normalizeAddress(peer))) {
    const headers = c.req.raw.headers
    const xfp = headers.get('x-forwarded-proto')
    const forwarded = headers.get('forwarded')
    const proto = xfp === null ? (forwarded === null ? undefined : lastForwardedParameter(forwarded, 'proto')) : lastListEntry(xfp)
    if (proto?.trim().toLowerCase() === 'https') return 'https'
  }
  return 'http'
}

/** agent.yaml `auth.trustedProxies` in the form requestScheme compares. */
export function trustedProxySet(trustedProxies: readonly string[]): ReadonlySet<string> {
  return new Set(trustedProxies.map(normalizeAddress))
}
