import type {MiddlewareHandler} from 'hono'

import {isLoopbackAddress} from '../../config/network.js'
import {unauthorized} from '../api-error.js'
import type {AppEnv, DaemonContext} from '../context.js'
import {localAdminPrincipal} from './principal.js'

const FORWARDING_HEADERS = ['forwarded', 'x-forwarded-for', 'x-real-ip']

/** Routes anyone may call; everything else needs a principal. */
export const OPEN_PATHS = new Set(['/health'])

/**
 * Is this request local? Only the TCP peer counts (never the Host header), and a loopback
 * peer that forwards for someone else (a same-host proxy) is remote unless it is a trusted proxy.
 */
export function isRemoteRequest(peer: string | undefined, headers: Headers, trustedProxies: readonly string[]): boolean {
  if (!isLoopbackAddress(peer)) return true
  const forwarded = FORWARDING_HEADERS.some((name) => headers.has(name))
  if (!forwarded) return false
  return !trustedProxies.includes(peer ?? '')
}

export function authenticate(daemon: DaemonContext): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const peer = c.env?.incoming?.socket?.remoteAddress
    const remote = isRemoteRequest(peer, c.req.raw.headers, daemon.config.auth.trustedProxies)
    if (OPEN_PATHS.has(c.req.path)) {
      await next()
      return
    }
    const mode = daemon.listen.effectiveAuthMode
    if (mode === 'local' || (mode === 'hybrid' && !remote && !c.req.header('authorization'))) {
      c.set('principal', localAdminPrincipal(remote))
      await next()
      return
    }
    throw unauthorized('authentication required: send Authorization: Bearer <api key>', 'auth_required')
  }
}
