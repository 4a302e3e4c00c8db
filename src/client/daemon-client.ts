import ky, {HTTPError, type KyInstance, TimeoutError} from 'ky'

import {SignetError} from '../errors.js'
import {SIGNET_VERSION} from '../version.js'

export interface DaemonClientOptions {
  url: string
  apiKey?: string
  /** Key kept in the OS keychain: looked up once, on the first request, when `apiKey` is unset. */
  apiKeyLookup?: () => Promise<string | undefined>
  /** Sent as X-Signet-Harness so the daemon records provenance. */
  harness?: string
  timeoutMs?: number
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

/** Nothing answered (refused, DNS, TLS) or it answered too late. */
export class DaemonUnreachableError extends SignetError {
  constructor(
    readonly url: string,
    readonly reason: 'offline' | 'timeout',
    detail: string,
  ) {
    super(
      reason === 'timeout'
        ? `daemon at ${url} did not answer in time (${detail}) — check \`signet daemon status\``
        : `daemon not reachable at ${url} (${detail}) — run \`signet daemon start\``,
      reason === 'timeout' ? 'daemon_timeout' : 'daemon_unreachable',
    )
    this.name = 'DaemonUnreachableError'
  }
}

/** The one HTTP client for the CLI, hooks, MCP and connectors. */
export class DaemonClient {
  readonly url: string
  private readonly http: KyInstance

  constructor(readonly options: DaemonClientOptions) {
    this.url = options.url.replace(/\/+$/, '')
    const headers: Record<string, string> = {'X-Signet-Connector-Version': SIGNET_VERSION}
    if (options.apiKey) headers.Authorization = `Bearer ${options.apiKey}`
    if (options.harness) headers['X-Signet-Harness'] = options.harness
    this.http = ky.create({
      prefixUrl: this.url,
      headers,
      retry: 0,
      timeout: options.timeoutMs ?? 10_000,
      throwHttpErrors: true,
      hooks: !options.apiKey && options.apiKeyLookup ? {beforeRequest: [withLookedUpKey(options.apiKeyLookup)]} : {},
    })
  }

  get<T>(path: string, searchParams?: Record<string, string | number | boolean | undefined>): Promise<T> {
    const params = searchParams
      ? Object.fromEntries(Object.entries(searchParams).filter(([, value]) => value !== undefined)) as Record<string, string | number | boolean>
      : undefined
    return this.send<T>(() => this.http.get(stripSlash(path), {searchParams: params}).json<T>())
  }

  post<T>(path: string, body: unknown = {}): Promise<T> {
    return this.send<T>(() => this.http.post(stripSlash(path), {json: body}).json<T>())
  }

  patch<T>(path: string, body: unknown): Promise<T> {
    return this.send<T>(() => this.http.patch(stripSlash(path), {json: body}).json<T>())
  }

  delete<T>(path: string): Promise<T> {
    return this.send<T>(() => this.http.delete(stripSlash(path)).json<T>())
  }

  private async send<T>(request: () => Promise<T>): Promise<T> {
    try {
      return await request()
    } catch (error) {
      throw await this.describe(error)
    }
  }

  private async describe(error: unknown): Promise<Error> {
    if (error instanceof HTTPError) {
      const status = error.response.status
      let body: unknown
      try {
        body = await error.response.json()
      } catch {
        body = undefined
      }
      const envelope = (body ?? {}) as {error?: string; code?: string}
      const code = envelope.code ?? `http_${status}`
      const detail = envelope.error ?? error.response.statusText
      return new DaemonRequestError(status, code, `daemon refused the request (${status} ${code}): ${detail}${hintFor(status)}`, body)
    }
    if (error instanceof TimeoutError) {
      return new DaemonUnreachableError(this.url, 'timeout', `${this.options.timeoutMs ?? 10_000} ms`)
    }
    const cause = (error as {cause?: {code?: string; message?: string}}).cause
    const detail = cause?.code ?? cause?.message ?? (error as Error).message
    return new DaemonUnreachableError(this.url, 'offline', detail)
  }
}

function withLookedUpKey(lookup: () => Promise<string | undefined>) {
  let key: Promise<string | undefined> | undefined
  return async (request: Request) => {
    const value = await (key ??= lookup())
    if (value && !request.headers.has('Authorization')) request.headers.set('Authorization', `Bearer ${value}`)
  }
}

function stripSlash(path: string): string {
  return path.replace(/^\/+/, '')
}

function hintFor(status: number): string {
  if (status === 401) return ' — set SIGNET_API_KEY to a valid key (signet api-key create on the daemon host)'
  if (status === 403) return ' — this key is not allowed to do that'
  if (status === 429) return ' — too many attempts, wait and retry'
  return ''
}
