import {readFileSync} from 'node:fs'
import {request as httpRequest} from 'node:http'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {startTestDaemon, storedRows, type TestDaemon} from '../helpers/daemon.js'

/*
 * The dashboard from a hostile web's point of view: a device session is an HttpOnly SameSite=Strict
 * cookie, every change needs the session's CSRF token, other origins can neither read nor change
 * anything (fetch with credentials, form posts, DNS-rebinding Host), login links work once, and a
 * revoked device is refused on its next request — never treated as the owner instead.
 */

let daemon: TestDaemon
let adminToken: string

/** Raw HTTP so the test controls every header (fetch would refuse to set Host, Origin, Sec-Fetch-*). */
function raw(
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<{status: number; headers: Record<string, string | string[] | undefined>; body: string}> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      `${daemon.url}${path}`,
      {method, headers: {...(body === undefined ? {} : {'content-length': String(Buffer.byteLength(body))}), ...headers}},
      (response) => {
        let text = ''
        response.setEncoding('utf8')
        response.on('data', (chunk) => (text += chunk))
        response.on('end', () => resolve({status: response.statusCode ?? 0, headers: response.headers, body: text}))
      },
    )
    request.on('error', reject)
    request.end(body)
  })
}

const owner = () => ({authorization: `Bearer ${adminToken}`})

async function mintLink(grant: Record<string, unknown> = {}): Promise<{token: string; path: string}> {
  const response = await daemon.request('POST', '/api/devices/login-links', {headers: owner(), body: {name: 'test device', ...grant}})
  expect(response.status).toBe(201)
  return response.body
}

/** Log in through a fresh link; returns the cookie pair (`name=value`) and the Set-Cookie line. */
async function login(grant: Record<string, unknown> = {}): Promise<{cookie: string; setCookie: string; csrf: string; deviceId: string}> {
  const link = await mintLink(grant)
  const response = await raw('GET', link.path, {'sec-fetch-site': 'none'})
  expect(response.status).toBe(303)
  const setCookie = String(response.headers['set-cookie'])
  const cookie = setCookie.split(';')[0]
  const session = await raw('GET', '/api/session', {cookie})
  expect(session.status).toBe(200)
  const parsed = JSON.parse(session.body)
  return {cookie, setCookie, csrf: parsed.csrfToken, deviceId: parsed.device.id}
}

beforeAll(async () => {
  daemon = await startTestDaemon()
  adminToken = readFileSync(daemon.context.paths.adminTokenFile, 'utf8').trim()
})

afterAll(async () => {
  await daemon?.stop()
})

describe('login links', () => {
  it('set an HttpOnly, SameSite=Strict cookie for this daemon and redirect to /', async () => {
    const link = await mintLink()
    const response = await raw('GET', link.path)
    expect(response.status).toBe(303)
    expect(response.headers.location).toBe('/')
    const setCookie = String(response.headers['set-cookie'])
    expect(setCookie).toMatch(new RegExp(`^signet_device_${daemon.port}=[A-Za-z0-9_-]{43}; `))
    expect(setCookie).toContain('HttpOnly')
    expect(setCookie).toContain('SameSite=Strict')
    expect(setCookie).toContain('Path=/')
    // Plain http on loopback: a Secure cookie would never be sent back.
    expect(setCookie).not.toContain('Secure')
    expect(response.headers['referrer-policy']).toBe('no-referrer')
  })

  it('are Secure and __Host- when a trusted proxy terminated TLS, and only then', async () => {
    const proxied = await startTestDaemon({agentYaml: 'auth:\n  trustedProxies: ["127.0.0.1"]\n'})
    try {
      const token = readFileSync(proxied.context.paths.adminTokenFile, 'utf8').trim()
      const mint = async () => (await proxied.request('POST', '/api/devices/login-links', {headers: {authorization: `Bearer ${token}`}, body: {}})).body
      const viaTls = await fetch(`${proxied.url}${(await mint()).path}`, {redirect: 'manual', headers: {'x-forwarded-proto': 'https'}})
      expect(viaTls.status).toBe(303)
      const setCookie = String(viaTls.headers.get('set-cookie'))
      expect(setCookie).toMatch(new RegExp(`^__Host-signet_device_${proxied.port}=[A-Za-z0-9_-]{43}; `))
      expect(setCookie).toContain('; Secure')
      const session = await fetch(`${proxied.url}/api/session`, {headers: {cookie: setCookie.split(';')[0], 'x-forwarded-proto': 'https'}})
      expect(session.status).toBe(200)
      // the proxy speaking plain http gets a plain cookie
      const plain = await fetch(`${proxied.url}${(await mint()).path}`, {redirect: 'manual', headers: {'x-forwarded-proto': 'http'}})
      expect(String(plain.headers.get('set-cookie'))).not.toContain('Secure')
    } finally {
      await proxied.stop()
    }
    // a peer that is not a trusted proxy cannot choose the scheme
    const link = await mintLink()
    const spoofed = await raw('GET', link.path, {'x-forwarded-proto': 'https', forwarded: 'proto=https'})
    expect(String(spoofed.headers['set-cookie'])).toMatch(new RegExp(`^signet_device_${daemon.port}=`))
    expect(String(spoofed.headers['set-cookie'])).not.toContain('Secure')
  })

  it('work once', async () => {
    const link = await mintLink()
    expect((await raw('GET', link.path)).status).toBe(303)
    const again = await raw('GET', link.path)
    expect(again.status).toBe(401)
    expect(again.headers['set-cookie']).toBeUndefined()
    expect(again.body).toContain('already been used')
  })

  it('expire', async () => {
    const issued = await daemon.context.storage.devices.issueLink({name: 'late', agentId: null, project: null}, 1000, new Date(Date.now() - 5000))
    const response = await raw('GET', `/login/${issued.token}`)
    expect(response.status).toBe(401)
    expect(response.body).toContain('expired')
  })

  it('are stored only as digests', async () => {
    const link = await mintLink()
    const rows = await storedRows(daemon, 'device_login_links')
    expect(JSON.stringify(rows)).not.toContain(link.token)
    const session = await login()
    const devices = await storedRows(daemon, 'device_sessions')
    expect(JSON.stringify(devices)).not.toContain(session.cookie.split('=')[1])
  })

  it('cannot be spent by another site (login CSRF) or through a rebound DNS name — and stay usable', async () => {
    const link = await mintLink()
    expect((await raw('GET', link.path, {'sec-fetch-site': 'cross-site'})).status).toBe(403)
    expect((await raw('GET', link.path, {host: 'evil.example'})).status).toBe(403)
    expect((await raw('GET', link.path, {'sec-fetch-site': 'none'})).status).toBe(303)
  })

  it('are minted only by the owner, never by a device session', async () => {
    const device = await login()
    const response = await raw(
      'POST',
      '/api/devices/login-links',
      {cookie: device.cookie, 'x-csrf-token': device.csrf, 'content-type': 'application/json'},
      '{}',
    )
    expect(response.status).toBe(403)
    expect(JSON.parse(response.body).code).toBe('device_cannot_mint')
  })
})

describe('a device session', () => {
  it('reads without a CSRF token but needs it for every change', async () => {
    const device = await login()
    const remember = (headers: Record<string, string>) =>
      raw(
        'POST',
        '/api/memory/remember',
        {cookie: device.cookie, 'content-type': 'application/json', ...headers},
        JSON.stringify({content: `csrf probe ${Math.random()}`}),
      )
    const missing = await remember({})
    expect(missing.status).toBe(403)
    expect(JSON.parse(missing.body).code).toBe('csrf_required')
    expect((await remember({'x-csrf-token': 'A'.repeat(43)})).status).toBe(403)
    expect((await remember({'x-csrf-token': device.csrf})).status).toBe(201)
    expect((await raw('GET', '/api/memories', {cookie: device.cookie})).status).toBe(200)
    const unguarded = await raw('DELETE', `/api/devices/${device.deviceId}`, {cookie: device.cookie})
    expect(unguarded.status).toBe(403)
    expect(JSON.parse(unguarded.body).code).toBe('csrf_required')
  })

  it('cannot be used by a page on another origin: credentialed fetch, form posts, rebinding', async () => {
    const device = await login()
    const before = JSON.parse((await raw('GET', '/api/status', {cookie: device.cookie})).body).memoryCount
    // fetch(url, {credentials: 'include'}) from evil.example: the browser adds Origin (and Sec-Fetch-Site).
    expect((await raw('GET', '/api/memories', {cookie: device.cookie, origin: 'http://evil.example'})).status).toBe(403)
    expect((await raw('GET', '/api/session', {cookie: device.cookie, 'sec-fetch-site': 'cross-site'})).status).toBe(403)
    // A form post carries no custom header and cannot be JSON: refused before auth, even with the token guessed right.
    for (const type of ['application/x-www-form-urlencoded', 'text/plain', 'multipart/form-data; boundary=x']) {
      const response = await raw('POST', '/api/memory/remember', {cookie: device.cookie, 'content-type': type, 'x-csrf-token': device.csrf}, 'content=pwned')
      expect([403, 415]).toContain(response.status)
    }
    const posted = await raw(
      'POST',
      '/api/memory/remember',
      {cookie: device.cookie, origin: 'http://evil.example', 'content-type': 'application/json', 'x-csrf-token': device.csrf},
      JSON.stringify({content: 'pwned'}),
    )
    expect(posted.status).toBe(403)
    // DNS rebinding: the page's own name pointed at 127.0.0.1.
    expect((await raw('GET', '/api/memories', {cookie: device.cookie, host: 'evil.example'})).status).toBe(403)
    expect((await raw('GET', '/', {host: `evil.example:${daemon.port}`})).status).toBe(403)
    const after = JSON.parse((await raw('GET', '/api/status', {cookie: device.cookie})).body).memoryCount
    expect(after).toBe(before)
    // No CORS grant, ever: a preflight gets nothing that would let the browser proceed.
    const preflight = await raw('OPTIONS', '/api/memories', {origin: 'http://evil.example', 'access-control-request-method': 'DELETE'})
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined()
  })

  it('is refused on its next request once revoked — not downgraded to the loopback owner', async () => {
    const device = await login()
    expect((await raw('GET', '/api/memories', {cookie: device.cookie})).status).toBe(200)
    const listed = await daemon.request('GET', '/api/devices', {headers: owner()})
    expect(listed.body.devices.find((entry: {id: string}) => entry.id === device.deviceId).status).toBe('active')
    expect((await daemon.request('DELETE', `/api/devices/${device.deviceId}`, {headers: owner()})).status).toBe(200)
    const refused = await raw('GET', '/api/memories', {cookie: device.cookie})
    expect(refused.status).toBe(401)
    expect(JSON.parse(refused.body).code).toBe('device_session_invalid')
    // The browser is told to drop the dead cookie.
    expect(String(refused.headers['set-cookie'])).toMatch(/Max-Age=0/)
    expect((await raw('GET', '/api/session', {cookie: device.cookie})).status).toBe(401)
  })

  it('scoped to an agent sees only that agent and no keys or devices', async () => {
    await daemon.request('POST', '/api/memory/remember', {headers: owner(), body: {content: 'owner secret plan', agentId: 'default'}})
    await daemon.request('POST', '/api/memory/remember', {headers: owner(), body: {content: 'phone agent note', agentId: 'phone-agent'}})
    const device = await login({agentId: 'phone-agent'})
    const list = JSON.parse((await raw('GET', '/api/memories', {cookie: device.cookie})).body)
    expect(list.memories.map((memory: {content: string}) => memory.content)).toEqual(['phone agent note'])
    expect((await raw('GET', '/api/memories?agentId=default', {cookie: device.cookie})).status).toBe(403)
    expect((await raw('GET', '/api/auth/api-keys', {cookie: device.cookie})).status).toBe(403)
    expect((await raw('GET', '/api/devices', {cookie: device.cookie})).status).toBe(403)
    const session = JSON.parse((await raw('GET', '/api/session', {cookie: device.cookie})).body)
    expect(session.role).toBe('operator')
    expect(session.permissions).not.toContain('keys')
  })

  it('logs itself out', async () => {
    const device = await login()
    const out = await raw('POST', '/api/session/logout', {cookie: device.cookie, 'x-csrf-token': device.csrf})
    expect(out.status).toBe(200)
    expect((await raw('GET', '/api/session', {cookie: device.cookie})).status).toBe(401)
  })
})

describe('a browser without a device session', () => {
  it('gets no session (so no CSRF token) from /api/session, whoever else the daemon takes it for', async () => {
    const response = await daemon.request('GET', '/api/session', {headers: owner()})
    expect(response.status).toBe(200)
    expect(response.body).toMatchObject({device: null, csrfToken: null})
    expect((await daemon.request('GET', '/api/dashboard/events', {headers: owner()})).body.code).toBe('device_session_required')
  })
})

describe('live updates and settings', () => {
  it('stream change events to a device session (and to no other origin)', async () => {
    const device = await login()
    expect((await raw('GET', '/api/dashboard/events', {cookie: device.cookie, origin: 'http://evil.example'})).status).toBe(403)
    const controller = new AbortController()
    const response = await fetch(`${daemon.url}/api/dashboard/events`, {headers: {cookie: device.cookie}, signal: controller.signal})
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toContain('text/event-stream')
    const reader = response.body!.getReader()
    let text = ''
    const readUntil = async (needle: string) => {
      while (!text.includes(needle)) text += new TextDecoder().decode((await reader.read()).value)
    }
    await readUntil('event: hello')
    await daemon.request('POST', '/api/memory/remember', {headers: owner(), body: {content: 'live update probe'}})
    await readUntil('event: change')
    controller.abort()
  })

  it('do not hold a daemon shutdown open', async () => {
    const other = await startTestDaemon()
    const token = readFileSync(other.context.paths.adminTokenFile, 'utf8').trim()
    const link = (await other.request('POST', '/api/devices/login-links', {headers: {authorization: `Bearer ${token}`}, body: {}})).body
    const login = await fetch(`${other.url}${link.path}`, {redirect: 'manual'})
    const cookie = String(login.headers.get('set-cookie')).split(';')[0]
    const stream = await fetch(`${other.url}/api/dashboard/events`, {headers: {cookie}})
    expect(stream.status).toBe(200)
    const started = Date.now()
    await other.stop()
    // Without the stream ending itself, close() waits for it (or for the keep-alive timeout, 5 s).
    expect(Date.now() - started).toBeLessThan(3000)
  })

  it('show the effective agent.yaml with credentials redacted, and doctor findings, to the owner only', async () => {
    const other = await startTestDaemon({agentYaml: 'embedding:\n  provider: ollama\n  baseUrl: http://user:hunter2secret@127.0.0.1:11434\n'})
    try {
      const token = readFileSync(other.context.paths.adminTokenFile, 'utf8').trim()
      const settings = await other.request('GET', '/api/dashboard/settings', {headers: {authorization: `Bearer ${token}`}})
      expect(settings.status).toBe(200)
      expect(JSON.stringify(settings.body.config)).not.toContain('hunter2secret')
      expect(settings.body.config.embedding.provider).toBe('ollama')
      expect(Array.isArray(settings.body.doctor.findings)).toBe(true)
    } finally {
      await other.stop()
    }
    const scoped = await login({agentId: 'settings-probe'})
    expect((await raw('GET', '/api/dashboard/settings', {cookie: scoped.cookie})).status).toBe(403)
  })
})

describe('the page', () => {
  it('is served with a strict CSP and no credential in it', async () => {
    const page = await raw('GET', '/')
    expect(page.status).toBe(200)
    expect(page.headers['content-type']).toContain('text/html')
    const csp = String(page.headers['content-security-policy'])
    expect(csp).toContain("default-src 'self'")
    expect(csp).toContain("frame-ancestors 'none'")
    expect(csp).not.toContain('unsafe-inline')
    expect(csp).not.toContain('unsafe-eval')
    expect(page.headers['x-content-type-options']).toBe('nosniff')
    expect(page.headers['referrer-policy']).toBe('no-referrer')
    expect(page.headers['x-frame-options']).toBe('DENY')
    // Scripts only by src (CSP would refuse inline ones anyway); no key or token baked in.
    expect(page.body).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/)
    const script = await raw('GET', '/assets/app.js')
    expect(script.status).toBe(200)
    expect(script.headers['content-type']).toContain('text/javascript')
    for (const body of [page.body, script.body]) {
      expect(body).not.toContain('sig_sk_')
      expect(body).not.toContain('sig_at_')
      expect(body).not.toContain(adminToken)
    }
  })

  it('serves only the built files', async () => {
    expect((await raw('GET', '/assets/..%2Fpackage.json')).status).toBe(404)
    expect((await raw('GET', '/assets/size.json')).status).toBe(404)
    expect((await raw('GET', '/assets/nope.js')).status).toBe(404)
  })
})
