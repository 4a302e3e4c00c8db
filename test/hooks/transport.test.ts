import {execFileSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {createServer as createHttpsServer} from 'node:https'
import {createServer, type Server} from 'node:net'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {afterEach, describe, expect, it} from 'vitest'

import {HookTransportError, postHookJson, ResponseReader} from '../../src/hooks/transport.js'
import {startTestDaemon} from '../helpers/daemon.js'
import {makeTempHome} from '../helpers/temp-home.js'
import {runHook} from './support/run-hook.js'

/*
 * The hook's hand-written HTTP/1.1 client must read every framing a daemon or a proxy in front
 * of it may use. Raw TCP servers here answer byte for byte; the last test uses the real daemon.
 */

let server: Server | undefined

afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()))
  server = undefined
})

/** A server that records the request and answers with `reply` split into the given pieces. */
async function rawServer(pieces: string[]): Promise<{url: string; requests: string[]}> {
  const requests: string[] = []
  server = createServer((socket) => {
    let received = ''
    socket.on('data', async (chunk) => {
      received += chunk.toString('latin1')
      const headEnd = received.indexOf('\r\n\r\n')
      const length = Number(/content-length: (\d+)/i.exec(received)?.[1] ?? 0)
      if (headEnd < 0 || received.length < headEnd + 4 + length) return
      requests.push(received)
      for (const piece of pieces) {
        socket.write(piece)
        await new Promise((resolve) => setTimeout(resolve, 5))
      }
      socket.end()
    })
  })
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve))
  const address = server.address() as {port: number}
  return {url: `http://127.0.0.1:${address.port}`, requests}
}

const reply = (status: string, body: string) => `HTTP/1.1 ${status}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`

const post = (url: string, extra: Partial<Parameters<typeof postHookJson>[0]> = {}) =>
  postHookJson<Record<string, unknown>>({
    url,
    harness: 'claude-code',
    path: '/api/hooks/user-prompt-submit',
    body: {prompt: 'héllo'},
    timeoutMs: 2000,
    ...extra,
  })

describe('postHookJson on raw sockets', () => {
  it('sends one well-formed POST with the Signet headers and reads a Content-Length body split across packets', async () => {
    const body = JSON.stringify({inject: 'ünïcode ✓'})
    const {url, requests} = await rawServer([
      `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Len`,
      `gth: ${Buffer.byteLength(body)}\r\n\r\n${body.slice(0, 5)}`,
      body.slice(5),
    ])
    expect(await post(url, {apiKey: 'sig_sk_abc'})).toEqual({inject: 'ünïcode ✓'})
    const request = requests[0]
    expect(request.startsWith('POST /api/hooks/user-prompt-submit HTTP/1.1\r\n')).toBe(true)
    expect(request).toMatch(/\r\nHost: 127\.0\.0\.1:\d+\r\n/)
    expect(request).toContain('\r\nAuthorization: Bearer sig_sk_abc\r\n')
    expect(request).toContain('\r\nX-Signet-Harness: claude-code\r\n')
    expect(request).toMatch(/\r\nX-Signet-Connector-Version: \d+\.\d+\.\d+/)
    expect(request).toContain('\r\nConnection: close\r\n')
    expect(Buffer.from(request.split('\r\n\r\n')[1], 'latin1').toString('utf8')).toBe('{"prompt":"héllo"}')
  })

  it('reads chunked bodies (a proxy in front of the daemon) and skips interim 100 responses', async () => {
    const {url} = await rawServer([
      'HTTP/1.1 100 Continue\r\n\r\n',
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n',
      '5\r\n{"a":\r\n',
      '3;ext=1\r\n12}\r\n',
      '0\r\n\r\n',
    ])
    expect(await post(url)).toEqual({a: 12})
  })

  it('reads a body delimited by the connection closing', async () => {
    const {url} = await rawServer(['HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n{"b":', 'true}'])
    expect(await post(url)).toEqual({b: true})
  })

  it('turns error answers, garbage and truncation into typed failures', async () => {
    const cases: Array<[string[], Partial<HookTransportError>]> = [
      [[reply('401 Unauthorized', '{"error":"no key given","code":"unauthorized"}')], {kind: 'http', status: 401, code: 'unauthorized'}],
      [['HTTP/1.1 401 Unauthorized\r\nContent-Length: 900\r\n\r\n{"error":"cut'], {kind: 'http', status: 401}],
      [[reply('403 Forbidden', '{"error":"scoped to agent x","code":"scope_violation"}')], {kind: 'http', status: 403, code: 'scope_violation'}],
      [['HTTP/1.1 502 Bad Gateway\r\nContent-Length: 11\r\n\r\nbad gateway'], {kind: 'http', status: 502, code: 'http_502'}],
      [['SSH-2.0-OpenSSH_9.6\r\n\r\n'], {kind: 'invalid-json'}],
      [['HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n<html>'], {kind: 'offline'}],
      [['HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\n<html>'], {kind: 'invalid-json'}],
      [['HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n[]'], {kind: 'invalid-json'}],
    ]
    for (const [pieces, expected] of cases) {
      const {url} = await rawServer(pieces)
      const error = await post(url).then(
        () => undefined,
        (failure: unknown) => failure,
      )
      expect(error, pieces[0].slice(0, 30)).toBeInstanceOf(HookTransportError)
      expect(error).toMatchObject(expected)
      await new Promise<void>((resolve) => server!.close(() => resolve()))
      server = undefined
    }
  })

  it('a refusal the daemon sent before the connection was reset is reported as the refusal, not as an outage', async () => {
    server = createServer((socket) => {
      socket.once('data', () => {
        // The head of a 503 (a replaced database), then a reset: the client's next read or write fails.
        socket.write('HTTP/1.1 503 Service Unavailable\r\nContent-Length: 500\r\n\r\n{"code":"database_')
        setTimeout(() => socket.resetAndDestroy(), 20)
      })
    })
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve))
    const error = await post(`http://127.0.0.1:${(server.address() as {port: number}).port}`).then(
      () => undefined,
      (failure: unknown) => failure,
    )
    expect(error).toBeInstanceOf(HookTransportError)
    expect(error).toMatchObject({kind: 'http', status: 503})
  })

  it('refuses an API key that would inject header lines', async () => {
    const {url, requests} = await rawServer(['HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}'])
    await expect(post(url, {apiKey: 'sig_sk_x\r\nX-Evil: 1'})).rejects.toMatchObject({kind: 'http', status: 401})
    expect(requests).toEqual([])
  })
})

describe('the 4 MiB answer cap holds for every framing', () => {
  /** A daemon impostor that streams without end (until the client hangs up), counting what it sent. */
  async function endlessServer(head: string, piece: (index: number) => Buffer | string): Promise<{url: string; sent: () => number}> {
    let sent = 0
    server = createServer((socket) => {
      socket.on('error', () => undefined)
      socket.once('data', () => {
        socket.write(head)
        let index = 0
        const pump = () => {
          while (!socket.destroyed && socket.write(piece(index++))) {
            sent += 64 * 1024
            if (sent > 300 * 1024 * 1024) return socket.end()
          }
          if (!socket.destroyed) socket.once('drain', pump)
        }
        pump()
      })
    })
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve))
    return {url: `http://127.0.0.1:${(server.address() as {port: number}).port}`, sent: () => sent}
  }

  const chunk = Buffer.alloc(64 * 1024, 'a')
  const chunkedPiece = Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')])

  it.each([
    ['chunked', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n', () => chunkedPiece],
    ['close-delimited', 'HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n', () => chunk],
  ])('stops reading a %s answer past 4 MiB, well within its budget', async (_framing, head, piece) => {
    const {url, sent} = await endlessServer(head, piece)
    const started = performance.now()
    const error = await post(url, {timeoutMs: 10_000}).then(
      () => undefined,
      (failure: unknown) => failure,
    )
    const elapsed = performance.now() - started
    expect(error).toBeInstanceOf(HookTransportError)
    expect((error as Error).message).toMatch(/larger than 4 MiB/)
    expect(elapsed).toBeLessThan(5000)
    // it hung up near the cap instead of reading hundreds of MiB
    expect(sent()).toBeLessThan(64 * 1024 * 1024)
  })

  it('refuses a declared Content-Length over the cap before reading the body', async () => {
    const {url} = await rawServer([`HTTP/1.1 200 OK\r\nContent-Length: ${5 * 1024 * 1024}\r\n\r\n{`])
    await expect(post(url)).rejects.toMatchObject({message: expect.stringMatching(/larger than 4 MiB/)})
  })
})

describe('ResponseReader', () => {
  it('handles a body of zero length and 204', () => {
    const reader = new ResponseReader()
    expect(reader.push(Buffer.from('HTTP/1.1 204 No Content\r\nDate: x\r\n\r\n'))).toBe(true)
    expect(reader.result()).toEqual({status: 204, body: undefined})
  })
})

describe('postHookJson against the real daemon', () => {
  it('round-trips a hook request on the owner socket, and over TCP only with a credential', async () => {
    const daemon = await startTestDaemon()
    try {
      const viaSocket = {url: 'unix:', socketPath: daemon.socketPath, harness: 'codex', path: '/api/hooks/user-prompt-submit', timeoutMs: 5000}
      const answer = await postHookJson<{inject: string; receipt: {ids: string[]}}>({...viaSocket, body: {harness: 'codex', prompt: 'anything at all'}})
      expect(answer).toMatchObject({inject: '', receipt: {ids: []}})
      const refused = await postHookJson({...viaSocket, body: {prompt: 'no harness'}}).catch((error: unknown) => error)
      expect(refused).toMatchObject({kind: 'http', status: 400, code: 'invalid_request'})
      const viaTcp = {
        url: daemon.url,
        harness: 'codex',
        path: '/api/hooks/user-prompt-submit',
        body: {harness: 'codex', prompt: 'anything at all'},
        timeoutMs: 5000,
      }
      await expect(postHookJson(viaTcp)).rejects.toMatchObject({kind: 'http', status: 401, code: 'auth_required'})
      expect(await postHookJson({...viaTcp, apiKey: daemon.adminToken()})).toMatchObject({inject: ''})
    } finally {
      await daemon.stop()
    }
  })
})

const hasOpenssl = (() => {
  try {
    execFileSync('openssl', ['version'], {stdio: 'ignore'})
    return true
  } catch {
    return false
  }
})()

describe('https daemon URL', () => {
  it.skipIf(!hasOpenssl)('speaks HTTP/1.1 over TLS, verifying the certificate', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'signet-tls-'))
    const temp = makeTempHome()
    try {
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'rsa:2048',
          '-nodes',
          '-subj',
          '/CN=localhost',
          '-addext',
          'subjectAltName=DNS:localhost',
          '-days',
          '1',
          '-keyout',
          path.join(dir, 'key.pem'),
          '-out',
          path.join(dir, 'cert.pem'),
        ],
        {stdio: 'ignore'},
      )
      const seen: string[] = []
      const https = createHttpsServer({key: readFileSync(path.join(dir, 'key.pem')), cert: readFileSync(path.join(dir, 'cert.pem'))}, (request, response) => {
        seen.push(`${request.method} ${request.url} ${request.headers['x-signet-harness']}`)
        request.resume()
        request.on('end', () => {
          response.setHeader('content-type', 'application/json')
          response.write('{"inject":"over tls",') // no Content-Length: Node sends this chunked
          response.end('"memoryCount":0}')
        })
      })
      await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', resolve))
      const port = (https.address() as {port: number}).port
      const env = {...temp.env, SIGNET_DAEMON_URL: `https://localhost:${port}`, NODE_EXTRA_CA_CERTS: path.join(dir, 'cert.pem')}
      const input = JSON.stringify({session_id: 'tls-1', cwd: temp.home, prompt: 'over the network'})
      try {
        const trusted = await runHook(['user-prompt-submit', '-H', 'opencode'], {env, input})
        expect(trusted).toMatchObject({code: 0, stdout: 'over tls\n', stderr: ''})
        expect(seen).toEqual(['POST /api/hooks/user-prompt-submit opencode'])
        const untrusted = await runHook(['user-prompt-submit', '-H', 'opencode'], {env: {...env, NODE_EXTRA_CA_CERTS: ''}, input})
        expect(untrusted).toMatchObject({code: 0, stdout: ''})
        expect(untrusted.stderr).toMatch(
          /daemon not reachable at https:\/\/localhost:\d+ \((DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE)/,
        )
      } finally {
        await new Promise<void>((resolve) => https.close(() => resolve()))
      }
    } finally {
      rmSync(dir, {recursive: true, force: true})
      temp.cleanup()
    }
  })
})
