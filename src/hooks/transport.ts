import net from 'node:net'

import {SIGNET_VERSION} from '../version.js'

/*
 * The hook's own tiny HTTP/1.1 client. DaemonClient (node:http) is the one HTTP client elsewhere, but
 * the prompt hook runs before every model call and B1 (bench/README.md) allows it ~0.6× a bare node start
 * in total. Measured on the 2-core dev box: ky added ~45 ms per call, node:http ~15 ms (module load
 * plus first-request setup), a request written on a node:net socket ~5 ms — and node:net is loaded
 * anyway to read stdin. So the hook path speaks HTTP/1.1 itself: one POST with Content-Length and
 * `Connection: close`, a status line, headers, and a body delimited by Content-Length, chunked
 * encoding or EOF (all three occur behind proxies). TLS (a remote daemon on https) uses node:tls
 * on the same code; the local daemon is reached on its Unix socket with the same code. Everything
 * else keeps using DaemonClient.
 */

export type HookFailureKind = 'offline' | 'timeout' | 'http' | 'invalid-json'

export class HookTransportError extends Error {
  constructor(
    readonly kind: HookFailureKind,
    message: string,
    readonly status?: number,
    readonly code?: string,
  ) {
    super(message)
    this.name = 'HookTransportError'
  }
}

export interface HookRequest {
  /** A remote daemon's origin (http or https); ignored when `socketPath` is set. */
  url: string
  /** The local workspace daemon's Unix socket: the request goes there and nowhere else. */
  socketPath?: string
  /** No safe way to reach the daemon (why): fail as offline without opening any connection. */
  unreachable?: string
  apiKey?: string
  harness: string
  path: string
  body: unknown
  timeoutMs: number
}

/** The largest answer the hook reads, however it is framed (Content-Length, chunked or until close). */
export const MAX_RESPONSE_BYTES = 4 * 1024 * 1024
/** Header values must not be able to start a new header line. */
const SAFE_HEADER_VALUE = /^[\t\x20-\x7e]*$/

export async function postHookJson<T>(request: HookRequest): Promise<T> {
  if (request.unreachable) throw new HookTransportError('offline', request.unreachable)
  const target = new URL(request.path, request.socketPath ? 'http://localhost' : request.url)
  if (request.apiKey !== undefined && !SAFE_HEADER_VALUE.test(request.apiKey)) {
    throw new HookTransportError('http', 'the API key contains characters that cannot be sent in a header', 401, 'invalid_api_key')
  }
  const payload = Buffer.from(JSON.stringify(request.body), 'utf8')
  const head = [
    `POST ${target.pathname}${target.search} HTTP/1.1`,
    `Host: ${target.host}`,
    'Content-Type: application/json',
    `Content-Length: ${payload.length}`,
    `X-Signet-Harness: ${request.harness.replace(/[^\w.-]/g, '')}`,
    `X-Signet-Connector-Version: ${SIGNET_VERSION}`,
    // One request per process: the server closes, nothing is left to hold the process open.
    'Connection: close',
    ...(request.apiKey ? [`Authorization: Bearer ${request.apiKey}`] : []),
    '',
    '',
  ].join('\r\n')
  const secure = !request.socketPath && target.protocol === 'https:'
  const host = target.hostname.replace(/^\[|\]$/g, '')
  const port = Number(target.port) || (secure ? 443 : 80)
  const socket = request.socketPath
    ? net.connect({path: request.socketPath})
    : secure
      ? (await import('node:tls')).connect({host, port, servername: net.isIP(host) ? undefined : host, ALPNProtocols: ['http/1.1']})
      : net.connect({host, port})

  return new Promise<T>((resolve, reject) => {
    const response = new ResponseReader()
    let settled = false
    const settle = (outcome: () => void) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      socket.destroy()
      outcome()
    }
    const fail = (error: HookTransportError) => settle(() => reject(error))
    /** A refusal whose answer did not fully arrive is still that refusal. */
    const failCutShort = (status: number) => fail(new HookTransportError('http', `HTTP ${status} (answer cut short)`, status, `http_${status}`))
    const timer = setTimeout(() => fail(new HookTransportError('timeout', `no answer within ${request.timeoutMs} ms`)), request.timeoutMs)
    const complete = () => {
      let answer: {status: number; body: unknown}
      try {
        answer = response.result()
      } catch (error) {
        fail(new HookTransportError('invalid-json', (error as Error).message))
        return
      }
      const {status, body} = answer
      if (status < 200 || status >= 300) {
        const envelope = (body ?? {}) as {error?: unknown; code?: unknown}
        const code = typeof envelope.code === 'string' ? envelope.code : `http_${status}`
        const detail = typeof envelope.error === 'string' ? `: ${envelope.error}` : ''
        fail(new HookTransportError('http', `HTTP ${status} ${code}${detail}`, status, code))
        return
      }
      if (body === null || typeof body !== 'object' || Array.isArray(body)) {
        fail(new HookTransportError('invalid-json', `HTTP ${status} with a body that is not a JSON object`, status))
        return
      }
      settle(() => resolve(body as T))
    }
    socket.once(secure ? 'secureConnect' : 'connect', () => {
      // One write: a daemon that refuses on the head alone (a replaced database, a bad key) answers
      // and closes at once, and a second write would then fail with EPIPE before the refusal was
      // read (the hook said "daemon not running" instead of why). A payload that fits the socket's
      // buffer is in the kernel before the daemon can close.
      socket.write(Buffer.concat([Buffer.from(head), payload]))
    })
    socket.on('data', (chunk: Buffer) => {
      try {
        if (response.push(chunk)) complete()
      } catch (error) {
        fail(new HookTransportError('invalid-json', (error as Error).message))
      }
    })
    socket.on('end', () => {
      if (settled) return
      if (response.endOfStream()) complete()
      else if (response.errorStatus) failCutShort(response.errorStatus)
      else fail(new HookTransportError('offline', 'connection closed before a complete answer'))
    })
    socket.on('error', (error: NodeJS.ErrnoException) => {
      // The daemon's refusal arrived before our write failed: report the refusal, not an outage.
      if (response.errorStatus) {
        failCutShort(response.errorStatus)
        return
      }
      const notRunning = request.socketPath && (error.code === 'ENOENT' || error.code === 'ECONNREFUSED')
      fail(new HookTransportError('offline', notRunning ? `the daemon for this workspace is not running (${error.code})` : (error.code ?? error.message)))
    })
  })
}

/** Incremental HTTP/1.1 response parser: status line, headers, then one body framing. */
export class ResponseReader {
  private buffer: Buffer = Buffer.alloc(0)
  private status = 0
  private framing: 'head' | 'length' | 'chunked' | 'eof' = 'head'
  private remaining = 0
  private readonly body: Buffer[] = []
  private bodyBytes = 0
  private done = false

  /** Feed bytes; true once the whole response has arrived. */
  push(chunk: Buffer): boolean {
    if (this.done) return true
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk])
    // Counts what is held, whatever the framing: chunked and close-delimited answers declare no size.
    if (this.buffer.length + this.bodyBytes > MAX_RESPONSE_BYTES) throw new Error(`answer larger than ${MAX_RESPONSE_BYTES / 1024 / 1024} MiB`)
    for (;;) {
      if (this.framing === 'head') {
        const end = this.buffer.indexOf('\r\n\r\n')
        if (end < 0) return false
        this.readHead(this.buffer.subarray(0, end).toString('latin1'))
        this.buffer = this.buffer.subarray(end + 4)
        continue
      }
      if (this.framing === 'length') {
        if (this.buffer.length < this.remaining) return false
        this.keep(this.buffer.subarray(0, this.remaining))
        return (this.done = true)
      }
      if (this.framing === 'chunked') {
        const lineEnd = this.buffer.indexOf('\r\n')
        if (lineEnd < 0) return false
        const size = Number.parseInt(this.buffer.subarray(0, lineEnd).toString('latin1').split(';')[0].trim(), 16)
        if (!Number.isFinite(size) || size < 0) throw new Error('malformed chunked encoding')
        if (size === 0) return (this.done = true) // trailers, if any, are not needed
        if (this.buffer.length < lineEnd + 2 + size + 2) return false
        this.keep(this.buffer.subarray(lineEnd + 2, lineEnd + 2 + size))
        this.buffer = this.buffer.subarray(lineEnd + 2 + size + 2)
        continue
      }
      // eof framing: everything until the server closes
      this.keep(this.buffer)
      this.buffer = Buffer.alloc(0)
      return false
    }
  }

  private keep(part: Buffer): void {
    this.bodyBytes += part.length
    if (this.bodyBytes > MAX_RESPONSE_BYTES) throw new Error(`answer larger than ${MAX_RESPONSE_BYTES / 1024 / 1024} MiB`)
    this.body.push(part)
  }

  /** A refusal whose body never fully arrived is still a refusal (401 through a sloppy proxy). */
  get errorStatus(): number | undefined {
    return this.status >= 300 ? this.status : undefined
  }

  /** The server closed: complete only if the body was delimited by the close itself. */
  endOfStream(): boolean {
    if (this.framing === 'eof') this.done = true
    return this.done
  }

  result(): {status: number; body: unknown} {
    const text = Buffer.concat(this.body).toString('utf8')
    let body: unknown
    try {
      body = text ? JSON.parse(text) : undefined
    } catch {
      if (this.status >= 200 && this.status < 300) throw new Error(`HTTP ${this.status} with a body that is not JSON`)
      body = undefined
    }
    return {status: this.status, body}
  }

  private readHead(head: string): void {
    const [statusLine, ...lines] = head.split('\r\n')
    const match = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine)
    if (!match) throw new Error(`not an HTTP response: ${statusLine.slice(0, 40)}`)
    const status = Number(match[1])
    if (status >= 100 && status < 200) return // interim response (100 Continue, 103 Early Hints): the real one follows
    this.status = status
    const headers = new Map<string, string>()
    for (const line of lines) {
      const colon = line.indexOf(':')
      if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim())
    }
    if (/\bchunked\b/i.test(headers.get('transfer-encoding') ?? '')) {
      this.framing = 'chunked'
    } else if (headers.has('content-length')) {
      this.framing = 'length'
      this.remaining = Number(headers.get('content-length'))
      if (!Number.isInteger(this.remaining) || this.remaining < 0) throw new Error('bad Content-Length')
      if (this.remaining > MAX_RESPONSE_BYTES) throw new Error(`answer larger than ${MAX_RESPONSE_BYTES / 1024 / 1024} MiB (Content-Length ${this.remaining})`)
    } else {
      this.framing = status === 204 || status === 304 ? 'length' : 'eof'
    }
  }
}
