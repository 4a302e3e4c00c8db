import {isIPv4, isIPv6} from 'node:net'

import type {Context, MiddlewareHandler} from 'hono'

import {requestScheme, trustedProxySet} from './auth/request-scheme.js'
import type {AppEnv, DaemonContext} from './context.js'

/**
 * Web pages must not be able to use the daemon. Any page the user opens can send requests to
 * 127.0.0.1 — directly (the browser adds `Origin` / `Sec-Fetch-Site`), or after rebinding its own DNS
 * name to 127.0.0.1 (then the browser sends `Host: evil.example`, and the page counts as same-origin).
 * The browser only lets a page send a body without asking first (a CORS preflight, which this daemon
 * never grants) when it is text/plain, a form or multipart. So on every request, before auth and
 * whatever the auth mode:
 *
 * - `Host` must be localhost (or *.localhost), an IP address, or a name in agent.yaml
 *   `network.hostnames` — a rebinding page can only ever send its own DNS name. No Host at all
 *   (HTTP/1.0 tools) is fine: browsers always send one.
 * - `Origin`, when sent, must be the daemon's own origin as this request addresses it; `null`
 *   (sandboxed frames, file: pages) is refused. `Sec-Fetch-Site`, when sent, must be same-origin or
 *   none (the user typed the address) — this catches cross-site GETs, which carry no Origin.
 * - A request with a body must label it `application/json` (or `application/*+json`).
 *
 * No `Access-Control-*` header is ever sent, so a preflight never succeeds either.
 * This runs on every request: header lookups and index arithmetic only, no regular expressions.
 */
export function browserGuard(daemon: DaemonContext): MiddlewareHandler<AppEnv> {
  const configuredHostnames = new Set((daemon.config.network.hostnames ?? []).map((name) => withoutTrailingDot(name.toLowerCase())))
  const trustedProxies = trustedProxySet(daemon.config.auth.trustedProxies)

  return async (c, next) => {
    const headers = c.req.raw.headers
    const host = headers.get('host')
    if (host !== null && !hostAllowed(host, configuredHostnames)) {
      return refuse(
        c,
        403,
        'host_not_allowed',
        `Host ${JSON.stringify(host.slice(0, 100))} is not one this daemon answers to: it accepts localhost, IP addresses and the names listed in agent.yaml network.hostnames (other names are how a web page reaches the daemon by DNS rebinding)`,
      )
    }
    const origin = headers.get('origin')
    if (origin !== null && (host === null || !isOwnOrigin(origin, requestScheme(c, trustedProxies), host))) {
      return refuse(
        c,
        403,
        'origin_not_allowed',
        `requests from other web origins are refused (Origin: ${JSON.stringify(origin.slice(0, 100))}); the daemon only answers its own origin and clients that are not web pages`,
      )
    }
    const site = headers.get('sec-fetch-site')
    if (site !== null && site !== 'same-origin' && site !== 'none') {
      return refuse(c, 403, 'origin_not_allowed', `requests from other web sites are refused (Sec-Fetch-Site: ${JSON.stringify(site.slice(0, 40))})`)
    }
    if (carriesBody(headers) && !isJsonMediaType(headers.get('content-type'))) {
      return refuse(c, 415, 'unsupported_media_type', 'request bodies must be JSON: send the header Content-Type: application/json')
    }
    return next()
  }
}

function refuse(c: Context<AppEnv>, status: 403 | 415, code: string, error: string) {
  // The body (if any) is left unread; the connection cannot carry another request after it.
  if (carriesBody(c.req.raw.headers)) c.header('Connection', 'close')
  return c.json({error, code}, status)
}

/** `Host` (port ignored): localhost, *.localhost, an IPv4 or bracketed IPv6 literal, or a configured name. */
function hostAllowed(host: string, configured: ReadonlySet<string>): boolean {
  if (host.charCodeAt(0) === 0x5b /* [ */) {
    const close = host.indexOf(']')
    return close !== -1 && isPort(host, close + 1) && isIPv6(host.slice(1, close))
  }
  const colon = host.indexOf(':')
  if (colon !== -1 && !isPort(host, colon)) return false
  const name = withoutTrailingDot((colon === -1 ? host : host.slice(0, colon)).toLowerCase())
  if (name.length === 0) return false
  return name === 'localhost' || name.endsWith('.localhost') || isIPv4(name) || configured.has(name)
}

/** The rest of a Host value from `from`: nothing, or `:` and up to five digits. */
function isPort(host: string, from: number): boolean {
  if (from === host.length) return true
  if (host.charCodeAt(from) !== 0x3a /* : */ || host.length - from > 6) return false
  for (let index = from + 1; index < host.length; index++) {
    const code = host.charCodeAt(index)
    if (code < 0x30 || code > 0x39) return false
  }
  return true
}

function withoutTrailingDot(name: string): string {
  return name.endsWith('.') ? name.slice(0, -1) : name
}

/** Origin `scheme://host[:port]` against this request's scheme and Host, default ports made implicit. */
function isOwnOrigin(origin: string, scheme: 'http' | 'https', host: string): boolean {
  const prefix = `${scheme}://`
  if (origin.length <= prefix.length || origin.slice(0, prefix.length).toLowerCase() !== prefix) return false
  return withoutDefaultPort(origin.slice(prefix.length).toLowerCase(), scheme) === withoutDefaultPort(host.toLowerCase(), scheme)
}

function withoutDefaultPort(authority: string, scheme: 'http' | 'https'): string {
  const port = scheme === 'https' ? ':443' : ':80'
  return authority.endsWith(port) ? authority.slice(0, -port.length) : authority
}

/** A body follows the headers: a chunked one, or a Content-Length other than zero. */
function carriesBody(headers: Headers): boolean {
  if (headers.get('transfer-encoding') !== null) return true
  const length = headers.get('content-length')
  if (length === null) return false
  for (let index = 0; index < length.length; index++) {
    if (length.charCodeAt(index) !== 0x30 /* 0 */) return true
  }
  return false
}

/** `application/json` or `application/<anything>+json`, parameters (charset, …) allowed. */
function isJsonMediaType(contentType: string | null): boolean {
  if (contentType === null) return false
  const semicolon = contentType.indexOf(';')
  const essence = (semicolon === -1 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase()
  if (essence === 'application/json') return true
  return essence.startsWith('application/') && essence.endsWith('+json') && essence.length > 'application/+json'.length && essence.indexOf('/', 12) === -1
}
