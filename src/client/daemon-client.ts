import type {IncomingMessage, OutgoingHttpHeaders, RequestOptions} from 'node:http'

import type {CallArgs, JsonRouteKey, ResponseOf} from '../api/contract.js'
import {SignetError} from '../errors.js'
import {SIGNET_VERSION} from '../version.js'

export interface DaemonClientOptions {
  /** The daemon's origin. With `socketPath` it only names the daemon in messages; the socket is dialled. */
  url: string
  /**
   * The workspace daemon's Unix socket (`.daemon/signet.sock`): the owner's channel. Set, the client
   * never opens a TCP connection, so nothing is ever sent to whoever holds a port.
   */
  socketPath?: string
  /** Set when there is no way to reach the daemon safely (why): every request fails as unreachable. */
  unreachable?: string
  apiKey?: string
  /** Key kept in the OS keychain: looked up once, on the first request, when `apiKey` is unset. */
  apiKeyLookup?: () => Promise<string | undefined>
  /** Sent as X-Signet-Harness so the daemon records provenance. */
  harness?: string
  timeoutMs?: number
  /** Largest answer read, in bytes (default 64 MiB): a bigger one is cut off and fails. */
  maxResponseBytes?: number
  /**
   * Hand each request to this function instead of the network: the daemon's own app, in process
   * (`/mcp` runs its tools through it). `url` is then only the origin the requests are addressed to.
   */
  fetch?: (request: Request) => Promise<Response>
  /** Sent on every request (after the client's own; `apiKey` and `harness` still win). */
  headers?: Record<string, string>
  /**
   * Check every answer of `call()` against the route's response schema in the API contract (src/api)
   * and fail with `invalid_response` naming the field when it does not match. Default: on under
   * SIGNET_CHECK_ANSWERS=1 (the tests), off otherwise.
   */
  validateAnswers?: boolean
}

/** The daemon answered with an error envelope. */
export class DaemonRequestError extends SignetError {
  constructor(
    readonly status: number,
    readonly daemonCode: string,
    message: string,
    readonly body: unknown,
  ) {
    super(message, daemonCode)
    this.name = 'DaemonRequestError'
  }
}

/** Nothing answered (refused, no socket, DNS, TLS) or it answered too late. */
export class DaemonUnreachableError extends SignetError {
  constructor(
    readonly url: string,
    readonly reason: 'offline' | 'timeout',
    detail: string,
  ) {
    super(
      reason === 'timeout'
        ? `daemon at ${url} did not answer in time (${detail}) — check \`signet daemon status\``
        : url.startsWith('unix:')
          ? `the daemon for this workspace is not running (nothing answers on ${url.slice(5)}: ${detail}) — run \`signet daemon start\``
          : `daemon not reachable at ${url} (${detail}) — run \`signet daemon start\``,
      reason === 'timeout' ? 'daemon_timeout' : 'daemon_unreachable',
    )
    this.name = 'DaemonUnreachableError'
  }
}

const DEFAULT_TIMEOUT_MS = 10_000
const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024

type SearchParams = Record<string, string | number | boolean | undefined>

interface RawAnswer {
  status: number
  statusText: string
  text: string
}

/**
 * The one HTTP client for the CLI, MCP and connectors. `call(route, …)` is typed by the API contract
 * (src/api/contract.ts): the route key names the method and path, and the request and the answer
 * have the route's types, so no caller writes an answer's shape by hand. Built on
 * node:http/node:https rather than fetch because fetch cannot dial a Unix socket, and the local
 * daemon is only ever reached through its socket. Redirects are not followed (a key is never sent
 * on to another origin).
 */
export class DaemonClient {
  readonly url: string
  /** Where requests go, for messages: the socket for the local daemon, else the URL. */
  readonly target: string
  private readonly headers: OutgoingHttpHeaders
  private lookedUpKey?: Promise<string | undefined>

  constructor(readonly options: DaemonClientOptions) {
    this.url = options.url.replace(/\/+$/, '')
    this.target = options.socketPath ? `unix:${options.socketPath}` : this.url
    this.headers = {'X-Signet-Connector-Version': SIGNET_VERSION, Accept: 'application/json', ...options.headers}
    if (options.apiKey) this.headers.Authorization = `Bearer ${options.apiKey}`
    if (options.harness) this.headers['X-Signet-Harness'] = options.harness
  }

  /**
   * One route of the API contract: `client.call('GET /api/memory/:id', {params: {id}, query: {agentId}})`.
   * Path parameters are filled in (encoded), the query is appended, and a POST or PATCH sends `body`
   * (`{}` when the route takes none). The answer has the route's response type.
   */
  async call<K extends JsonRouteKey>(route: K, ...[request]: CallArgs<K>): Promise<ResponseOf<K>> {
    const space = route.indexOf(' ')
    const method = route.slice(0, space)
    const {params, query, body} = (request ?? {}) as {params?: Record<string, string>; query?: SearchParams; body?: unknown}
    const path = withQuery(fillPath(route.slice(space + 1), params), query)
    const answer = await this.send<unknown>(method, path, method === 'POST' || method === 'PATCH' ? (body ?? {}) : undefined)
    if (this.options.validateAnswers ?? process.env.SIGNET_CHECK_ANSWERS === '1') await this.checkAnswer(route, answer)
    return answer as ResponseOf<K>
  }

  // Untyped requests by path, for the connectors that have not moved to `call` yet (remote-daemon,
  // daemon-reachability, harness-bridge). New code uses `call`.

  get<T>(path: string, searchParams?: SearchParams): Promise<T> {
    return this.send<T>('GET', withQuery(path, searchParams))
  }

  post<T>(path: string, body: unknown = {}): Promise<T> {
    return this.send<T>('POST', path, body)
  }

  patch<T>(path: string, body: unknown): Promise<T> {
    return this.send<T>('PATCH', path, body)
  }

  delete<T>(path: string): Promise<T> {
    return this.send<T>('DELETE', path)
  }

  /**
   * POST for a long operation that answers NDJSON (one JSON object per line, as it happens):
   * `onLine` gets each line. The timeout is the longest wait for the next line, not for the whole.
   */
  async postLines<T>(path: string, body: unknown, onLine: (line: T) => void): Promise<void> {
    let pending = ''
    const received = (chunk: string) => {
      pending += chunk
      for (let end = pending.indexOf('\n'); end >= 0; end = pending.indexOf('\n')) {
        const line = pending.slice(0, end).trim()
        pending = pending.slice(end + 1)
        if (!line) continue
        let parsed: T
        try {
          parsed = JSON.parse(line) as T
        } catch {
          throw new DaemonRequestError(200, 'invalid_response', `daemon at ${this.target} sent a line that is not JSON — is this a Signet daemon?`, undefined)
        }
        onLine(parsed)
      }
    }
    await this.send<unknown>('POST', path, body, received)
  }

  private async send<T>(method: string, path: string, body?: unknown, streamed?: (chunk: string) => void): Promise<T> {
    if (this.options.unreachable) throw new DaemonUnreachableError(this.url, 'offline', this.options.unreachable)
    const headers: OutgoingHttpHeaders = {...this.headers}
    if (!headers.Authorization && this.options.apiKeyLookup) {
      const key = await (this.lookedUpKey ??= this.options.apiKeyLookup())
      if (key) headers.Authorization = `Bearer ${key}`
    }
    let payload: Buffer | undefined
    if (body !== undefined) {
      payload = Buffer.from(JSON.stringify(body), 'utf8')
      headers['Content-Type'] = 'application/json'
      headers['Content-Length'] = payload.length
    }
    const answer = await this.exchange(method, `/${path.replace(/^\/+/, '')}`, headers, payload, streamed)
    if (streamed && answer.status < 300) return undefined as T
    let parsed: unknown
    let parseFailed = false
    try {
      parsed = answer.text ? JSON.parse(answer.text) : undefined
    } catch {
      parseFailed = true
    }
    if (answer.status >= 300) {
      const envelope = (parseFailed ? {} : (parsed ?? {})) as {error?: string; code?: string}
      const code = typeof envelope.code === 'string' ? envelope.code : `http_${answer.status}`
      const detail = typeof envelope.error === 'string' ? envelope.error : answer.statusText
      throw new DaemonRequestError(
        answer.status,
        code,
        `daemon refused the request (${answer.status} ${code}): ${detail}${hintFor(answer.status)}`,
        parseFailed ? undefined : parsed,
      )
    }
    if (parseFailed) {
      throw new DaemonRequestError(
        answer.status,
        'invalid_response',
        `daemon at ${this.target} answered ${answer.status} with a body that is not JSON — is this a Signet daemon?`,
        undefined,
      )
    }
    return parsed as T
  }

  /** The contract is loaded only when answers are checked: a command that never checks never builds its schemas. */
  private async checkAnswer(route: JsonRouteKey, answer: unknown): Promise<void> {
    const {API_CONTRACT} = await import('../api/contract.js')
    const parsed = API_CONTRACT[route].response.safeParse(answer)
    if (parsed.success) return
    const issue = parsed.error.issues[0]
    const field = issue?.path.map(String).join('.') || '(answer)'
    throw new DaemonRequestError(
      200,
      'invalid_response',
      `daemon at ${this.target} answered ${route} outside the API contract: ${field}: ${issue?.message ?? 'invalid'}`,
      answer,
    )
  }

  /**
   * One request, one answer read whole (up to the cap) within the timeout. With `streamed`, a
   * successful answer is handed over chunk by chunk instead, and the timeout restarts with each.
   */
  private async exchange(
    method: string,
    path: string,
    headers: OutgoingHttpHeaders,
    payload: Buffer | undefined,
    streamed?: (chunk: string) => void,
  ): Promise<RawAnswer> {
    if (this.options.fetch) {
      // In process the answer is already whole: hand it over as one chunk.
      const answer = await this.exchangeInProcess(this.options.fetch, method, path, headers, payload)
      if (streamed && answer.status < 300) streamed(answer.text)
      return answer
    }
    const timeoutMs = this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS
    const maxBytes = this.options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES
    const base = new URL(this.url)
    const secure = !this.options.socketPath && base.protocol === 'https:'
    const transport = secure ? await import('node:https') : await import('node:http')
    const requestOptions: RequestOptions & {servername?: string} = this.options.socketPath
      ? {socketPath: this.options.socketPath, path, method, headers: {...headers, Host: 'localhost'}}
      : {
          protocol: base.protocol,
          hostname: base.hostname.replace(/^\[|\]$/g, ''),
          port: base.port || (secure ? 443 : 80),
          path,
          method,
          headers,
        }
    // A TLS server name means nothing without TLS, and Node's agent otherwise derives one from the
    // Host header through net.isIP, whose first use compiles the IPv6 pattern: ≈ 3 ms of every
    // CLI command (B5 in bench/README.md).
    if (!secure) requestOptions.servername = ''
    return new Promise<RawAnswer>((resolve, reject) => {
      let settled = false
      const finish = (outcome: () => void) => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        outcome()
      }
      const fail = (error: Error) => {
        finish(() => reject(error))
        request.destroy()
      }
      // A refusal whose head arrived before the connection failed (the daemon answered a large body
      // early, then reset: a replaced database, a revoked key) is that refusal, with what arrived of
      // its body, not an outage.
      let refusal: {status: number; statusText: string; chunks: Buffer[]} | undefined
      const cutShort = (error: NodeJS.ErrnoException) => {
        if (refusal) {
          const {status, statusText, chunks} = refusal
          finish(() => resolve({status, statusText, text: Buffer.concat(chunks).toString('utf8')}))
          request.destroy()
        } else fail(this.offline(error))
      }
      const request = transport.request(requestOptions, (response: IncomingMessage) => {
        const declared = Number(response.headers['content-length'])
        if (Number.isFinite(declared) && declared > maxBytes) {
          fail(this.tooLarge(response.statusCode ?? 0, maxBytes))
          return
        }
        const chunks: Buffer[] = []
        let received = 0
        if ((response.statusCode ?? 0) >= 300) refusal = {status: response.statusCode ?? 0, statusText: response.statusMessage ?? '', chunks}
        if (streamed && (response.statusCode ?? 0) < 300) {
          response.setEncoding('utf8')
          response.on('data', (chunk: string) => {
            timer.refresh()
            try {
              streamed(chunk)
            } catch (error) {
              fail(error as Error)
            }
          })
          response.on('end', () => finish(() => resolve({status: response.statusCode ?? 0, statusText: response.statusMessage ?? '', text: ''})))
          response.on('error', (error: NodeJS.ErrnoException) => fail(new DaemonUnreachableError(this.target, 'offline', error.code ?? error.message)))
          return
        }
        response.on('data', (chunk: Buffer) => {
          received += chunk.length
          // Chunked or unframed answers declare no length: count what actually arrives.
          if (received > maxBytes) fail(this.tooLarge(response.statusCode ?? 0, maxBytes))
          else chunks.push(chunk)
        })
        response.on('end', () => {
          finish(() => resolve({status: response.statusCode ?? 0, statusText: response.statusMessage ?? '', text: Buffer.concat(chunks).toString('utf8')}))
        })
        response.on('error', cutShort)
      })
      const timer = setTimeout(() => fail(new DaemonUnreachableError(this.target, 'timeout', `${timeoutMs} ms`)), timeoutMs)
      request.on('error', cutShort)
      request.end(payload)
    })
  }

  /** The same exchange through `options.fetch` (the daemon's app in process): no socket, so no timeout or size cap. */
  private async exchangeInProcess(
    fetch: (request: Request) => Promise<Response>,
    method: string,
    path: string,
    headers: OutgoingHttpHeaders,
    payload: Buffer | undefined,
  ): Promise<RawAnswer> {
    const requestHeaders = new Headers()
    for (const [name, value] of Object.entries(headers)) {
      // The Request computes its own length from the body.
      if (value !== undefined && name.toLowerCase() !== 'content-length') requestHeaders.set(name, String(value))
    }
    const response = await fetch(new Request(`${this.url}${path}`, {method, headers: requestHeaders, body: payload?.toString('utf8')}))
    return {status: response.status, statusText: response.statusText, text: await response.text()}
  }

  private offline(error: NodeJS.ErrnoException): Error {
    return new DaemonUnreachableError(this.target, 'offline', error.code ?? error.message)
  }

  private tooLarge(status: number, maxBytes: number): DaemonRequestError {
    return new DaemonRequestError(
      status,
      'response_too_large',
      `daemon at ${this.target} sent an answer larger than ${Math.round(maxBytes / 1024 / 1024)} MiB; not read`,
      undefined,
    )
  }
}

/** A route's path with its `:name` parameters filled in, each encoded as one path segment. */
function fillPath(template: string, params: Record<string, string> | undefined): string {
  return template.replace(/:(\w+)/g, (_, name: string) => {
    const value = params?.[name]
    if (value === undefined) throw new SignetError(`${template}: the path parameter ${name} is missing`)
    return encodeURIComponent(value)
  })
}

function withQuery(path: string, searchParams: SearchParams | undefined): string {
  const query = new URLSearchParams()
  for (const [name, value] of Object.entries(searchParams ?? {})) {
    if (value !== undefined) query.set(name, String(value))
  }
  if (query.size === 0) return path
  return `${path}${path.includes('?') ? '&' : '?'}${query}`
}

function hintFor(status: number): string {
  if (status === 401) return ' — set SIGNET_API_KEY to a valid key (signet api-key create on the daemon host)'
  if (status === 403) return ' — this key is not allowed to do that'
  if (status === 429) return ' — too many attempts, wait and retry'
  return ''
}
