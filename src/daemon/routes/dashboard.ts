import {createHash} from 'node:crypto'
import {readdirSync, readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

import {type Context, Hono} from 'hono'
import {streamSSE} from 'hono/streaming'

import {runDoctor} from '../../diagnostics/doctor.js'
import {redactText} from '../../store/redaction.js'

import {ApiError} from '../api-error.js'
import {authState} from '../auth/auth-state.js'
import {redactCredentials} from '../../store/credential-redaction.js'
import {classifyPeer} from '../auth/authenticate.js'
import {deviceCookieHeader, isHttpsRequest} from '../auth/device-cookie.js'
import {requirePermission} from '../auth/principal.js'
import type {AppEnv, DaemonContext} from '../context.js'
import {respond} from '../respond.js'

/**
 * The page and its two files carry no data and no credential, so they are served before auth; every
 * byte of data the page shows comes from the API under a device session. Scripts and styles come
 * only from this origin (no inline script, no CDN), the page cannot be framed, and no Referer leaves
 * it — a login link in a URL must not travel anywhere.
 */
export const DASHBOARD_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
}

/** Built by scripts/build-dashboard.mjs into dist/dashboard; this file sits three levels below the package root in both src/ and dist/. */
const ASSET_DIR = fileURLToPath(new URL('../../../dist/dashboard/', import.meta.url))

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
}

interface Asset {
  body: Buffer
  type: string
  etag: string
}

let assets: Map<string, Asset> | undefined

/** Read once: the set of servable names is exactly what the build wrote, so no request path reaches the file system. */
function loadAssets(): Map<string, Asset> {
  if (assets) return assets
  const loaded = new Map<string, Asset>()
  let names: string[] = []
  try {
    names = readdirSync(ASSET_DIR)
  } catch {
    // Not built (a source checkout before `npm run build`): `/` explains that instead.
  }
  for (const name of names) {
    const type = CONTENT_TYPES[name.slice(name.lastIndexOf('.'))]
    if (!type) continue
    const body = readFileSync(`${ASSET_DIR}${name}`)
    loaded.set(name, {body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`})
  }
  assets = loaded
  return loaded
}

function serveAsset(c: Context<AppEnv>, name: string) {
  const asset = loadAssets().get(name)
  if (!asset) {
    if (name === 'index.html') return htmlPage(c, 503, 'Dashboard not built', 'This Signet was built without its dashboard files. Run npm run build.')
    return c.json({error: `no dashboard file ${name}`, code: 'not_found'}, 404)
  }
  for (const [header, value] of Object.entries(DASHBOARD_SECURITY_HEADERS)) c.header(header, value)
  c.header('ETag', asset.etag)
  c.header('Cache-Control', 'no-cache')
  if (c.req.header('if-none-match') === asset.etag) return c.body(null, 304)
  c.header('Content-Type', asset.type)
  return c.body(new Uint8Array(asset.body))
}

function htmlPage(c: Context<AppEnv>, status: 200 | 401 | 429 | 503, title: string, message: string) {
  for (const [header, value] of Object.entries(DASHBOARD_SECURITY_HEADERS)) c.header(header, value)
  c.header('Cache-Control', 'no-store')
  const escape = (text: string) => text.replace(/[&<>"]/g, (char) => `&#${char.charCodeAt(0)};`)
  return c.html(
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escape(title)} · Signet</title></head>` +
      `<body><main><h1>${escape(title)}</h1><p>${escape(message)}</p></main></body></html>`,
    status,
  )
}

/** Served before auth, to anyone the browser guard lets through: the page shell, its files, and login links. */
export const DASHBOARD_OPEN_ROUTES = ['GET /', 'GET /assets/:name', 'GET /login/:token'] as const

export function dashboardRoutes(daemon: DaemonContext) {
  const app = new Hono<AppEnv>()
  const state = authState(daemon)

  app.get('/', (c) => serveAsset(c, 'index.html'))
  app.get('/assets/:name', (c) => serveAsset(c, c.req.param('name')))

  /**
   * A one-time login link. Only a GET the user started (typed, opened from a terminal or a QR code)
   * gets here: the browser guard refuses it when another site links to it, so no page can log the
   * user into a session of its choosing.
   */
  app.get('/login/:token', async (c) => {
    const {client: peer} = classifyPeer(c.env?.incoming?.socket?.remoteAddress, c.req.raw.headers, daemon.config.auth.trustedProxies)
    c.header('Cache-Control', 'no-store')
    if ((await state.authFailures.blockedFor(peer)) > 0)
      return htmlPage(c, 429, 'Too many attempts', 'Too many failed logins from this address. Wait a minute and try a fresh link.')
    const outcome = await daemon.storage.devices.login(c.req.param('token'), c.req.header('user-agent') ?? null)
    if (outcome.status !== 'ok') {
      await state.authFailures.hit(peer)
      await daemon.storage.audit.record({event: 'device_login_failed', peer, detail: {reason: outcome.status}})
      const why = outcome.status === 'used' ? 'has already been used' : outcome.status === 'expired' ? 'has expired' : 'is not valid'
      return htmlPage(
        c,
        401,
        'Login link not valid',
        `This login link ${why}. Links work once and expire; make a new one with signet dashboard or signet pair --device.`,
      )
    }
    await daemon.storage.audit.record({event: 'device_login', peer, detail: {deviceId: outcome.device.id, name: outcome.device.name}})
    for (const [header, value] of Object.entries(DASHBOARD_SECURITY_HEADERS)) c.header(header, value)
    c.header('Set-Cookie', deviceCookieHeader(daemon, isHttpsRequest(daemon, c), outcome.token))
    // 303 to `/`: the token leaves the address bar (and the history entry) at once.
    return c.redirect('/', 303)
  })

  return app
}

/** How long the settings page waits for doctor before showing what it has without it. */
const DOCTOR_TIMEOUT_MS = 10_000

/** The dashboard's own API (behind auth): live change events and the settings page. */
export function dashboardApiRoutes(daemon: DaemonContext) {
  const app = new Hono<AppEnv>()
  // The storage's change counter moving is "something changed". The event carries no data: the page
  // re-reads through the scoped API.
  const changes = daemon.storage

  app.get('/api/dashboard/events', (c) => {
    const principal = c.get('principal')
    requirePermission(principal, 'recall')
    // The page's stream only: other clients get their data from the API and have no use for an open-ended response.
    if (principal.kind !== 'device')
      throw new ApiError(400, 'device_session_required', 'the change stream is for dashboard device sessions (log in with signet dashboard)')
    const socket = c.env?.incoming?.socket as (import('node:net').Socket & {server?: {listening: boolean}}) | undefined
    return streamSSE(c, async (stream) => {
      let last = await changes.changeCounter()
      await stream.writeSSE({event: 'hello', data: '{}', retry: 3000})
      // Ends when the daemon stops listening, so a shutdown never waits on an open dashboard.
      while (!stream.aborted && socket?.server?.listening !== false) {
        await stream.sleep(1000)
        const now = await changes.changeCounter()
        if (now !== last) {
          last = now
          await stream.writeSSE({event: 'change', data: '{}'})
        }
      }
      // The SSE helper marks the response keep-alive; an idle kept-alive socket would hold the
      // shutdown for the keep-alive timeout, so one that ends because of the shutdown is closed.
      if (socket?.server?.listening === false) setTimeout(() => socket.destroy(), 50).unref()
    })
  })

  /** The effective agent.yaml (defaults filled in; it holds no secrets) and doctor's findings with fixes. */
  app.get('/api/dashboard/settings', async (c) => {
    requirePermission(c.get('principal'), 'admin')
    const doctor = await Promise.race([
      runDoctor({workspace: {path: daemon.workspace, source: 'flag', origin: 'the running daemon'}}).catch((error: Error) => ({error: error.message})),
      new Promise<{error: string}>((resolve) =>
        setTimeout(
          () => resolve({error: `doctor took longer than ${DOCTOR_TIMEOUT_MS / 1000}s; run signet doctor on the daemon machine`}),
          DOCTOR_TIMEOUT_MS,
        ).unref(),
      ),
    ])
    return respond(c, 'GET /api/dashboard/settings', {config: redactedConfig(daemon.config), doctor})
  })

  return app
}

/** A URL in agent.yaml may carry a password (http://user:pass@host) or a token: shown redacted. */
function redactedConfig(config: DaemonContext['config']): Record<string, unknown> {
  // The one linear-time secret scan (URL passwords included), then Signet's own credentials.
  const text = redactCredentials(redactText(JSON.stringify(config)))
  return JSON.parse(text)
}
