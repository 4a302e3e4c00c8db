import {Hono} from 'hono'

import {DaemonRequestError} from '../../client/daemon-client.js'
import type {DaemonApi} from '../../mcp/tools.js'
import type {AppEnv, DaemonContext} from '../context.js'

/** What `/mcp` needs of the daemon app: its own fetch, to run tool calls through the real routes. */
export interface InProcessApp {
  fetch(request: Request, env: AppEnv['Bindings']): Response | Promise<Response>
}

// Headers that describe the /mcp exchange itself; everything else (Authorization, X-Signet-Harness,
// forwarding headers) is carried over so the inner request is judged exactly like the outer one.
// Origin and Sec-Fetch-* were already checked on the outer request against its Host; the inner one
// has no Host, so carried over they could only be misjudged.
const EXCHANGE_HEADERS = new Set([
  'origin',
  'sec-fetch-site',
  'sec-fetch-mode',
  'sec-fetch-dest',
  'accept',
  'content-length',
  'content-type',
  'content-encoding',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'host',
  'expect',
  'mcp-session-id',
  'mcp-protocol-version',
  'last-event-id',
])

/**
 * `ALL /mcp`: MCP over Streamable HTTP, stateless (a fresh server and transport per request,
 * JSON responses, no session ids), for harnesses that reach a remote daemon.
 *
 * The tools act with the caller's principal by sending each daemon call back through this
 * app's own `fetch`, in process, with the caller's headers and the caller's socket. The auth
 * middleware therefore derives the very same principal, and permission and scope checks stay
 * where they already are — in the API routes — rather than being repeated here. In process
 * (not a loopback HTTP call) so there is no second socket, no dependence on the daemon's own
 * address being reachable, and the TCP peer the auth decision sees stays the real caller's.
 */
export function mcpRoutes(daemon: DaemonContext, app: InProcessApp) {
  const routes = new Hono<AppEnv>()

  routes.all('/mcp', async (c) => {
    // Stateless JSON mode has nothing to stream (GET) and no session to end (DELETE).
    if (c.req.method !== 'POST') {
      return c.json({jsonrpc: '2.0', error: {code: -32_000, message: `${c.req.method} is not supported: this MCP endpoint is stateless, POST JSON-RPC messages`}, id: null}, 405, {Allow: 'POST'})
    }
    const {createSignetMcpServer, WebStandardStreamableHTTPServerTransport} = await loadMcpSdk()
    const api = new InProcessDaemonApi(app, c.env, forwardedHeaders(c.req.raw.headers, c.req.query('harness')), new URL(c.req.url).origin)
    const server = createSignetMcpServer({api})
    const transport = new WebStandardStreamableHTTPServerTransport({sessionIdGenerator: undefined, enableJsonResponse: true})
    try {
      await server.connect(transport)
      return await transport.handleRequest(c.req.raw)
    } finally {
      // JSON mode resolves only once every response is ready, so nothing is cut short here.
      await server.close().catch((error: unknown) => daemon.logger.warn('mcp close failed', {error: String(error)}))
    }
  })

  return routes
}

// The SDK is loaded on the first /mcp request, not at daemon start (it costs ~150 ms to import).
let mcpSdk: Promise<[typeof import('../../mcp/server.js'), typeof import('@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js')]> | undefined
async function loadMcpSdk() {
  mcpSdk ??= Promise.all([import('../../mcp/server.js'), import('@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js')])
  const [server, transport] = await mcpSdk
  return {createSignetMcpServer: server.createSignetMcpServer, WebStandardStreamableHTTPServerTransport: transport.WebStandardStreamableHTTPServerTransport}
}

function forwardedHeaders(incoming: Headers, harnessQuery: string | undefined): Headers {
  const headers = new Headers()
  for (const [name, value] of incoming) {
    if (!EXCHANGE_HEADERS.has(name.toLowerCase())) headers.set(name, value)
  }
  // Harnesses that cannot set headers on an MCP URL may name themselves in the query (`/mcp?harness=codex`).
  if (!headers.has('x-signet-harness') && harnessQuery) headers.set('x-signet-harness', harnessQuery)
  headers.set('accept', 'application/json')
  return headers
}

/** The daemon API, called in process through the app with the original caller's identity. */
class InProcessDaemonApi implements DaemonApi {
  constructor(
    private readonly app: InProcessApp,
    private readonly env: AppEnv['Bindings'],
    private readonly headers: Headers,
    private readonly origin: string,
  ) {}

  get<T>(path: string, searchParams?: Record<string, string | number | boolean | undefined>): Promise<T> {
    const query = new URLSearchParams()
    for (const [name, value] of Object.entries(searchParams ?? {})) {
      if (value !== undefined) query.set(name, String(value))
    }
    const suffix = query.size > 0 ? `${path.includes('?') ? '&' : '?'}${query}` : ''
    return this.send<T>('GET', path + suffix)
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

  private async send<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers = new Headers(this.headers)
    let payload: string | undefined
    if (body !== undefined) {
      payload = JSON.stringify(body)
      headers.set('content-type', 'application/json')
    }
    // The outer request's own origin (it passed the Host check); auth looks at the connection —
    // TCP peer, or arrival on the owner socket — never at the URL. The env carries that connection.
    const request = new Request(new URL(path, this.origin), {method, headers, body: payload})
    const response = await this.app.fetch(request, this.env)
    const text = await response.text()
    let parsed: unknown
    try {
      parsed = text ? JSON.parse(text) : undefined
    } catch {
      parsed = undefined
    }
    if (!response.ok) {
      const envelope = (parsed ?? {}) as {error?: string; code?: string}
      const code = envelope.code ?? `http_${response.status}`
      throw new DaemonRequestError(response.status, code, envelope.error ?? `daemon answered ${response.status}`, parsed)
    }
    return parsed as T
  }
}
