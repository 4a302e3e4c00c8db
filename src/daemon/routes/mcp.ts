import {Hono} from 'hono'

import {DaemonClient} from '../../client/daemon-client.js'
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
      return c.json(
        {jsonrpc: '2.0', error: {code: -32_000, message: `${c.req.method} is not supported: this MCP endpoint is stateless, POST JSON-RPC messages`}, id: null},
        405,
        {Allow: 'POST'},
      )
    }
    const {createSignetMcpServer, WebStandardStreamableHTTPServerTransport} = await loadMcpSdk()
    // The one DaemonClient, dispatching to this app in process. The outer request's own origin (it
    // passed the Host check); auth looks at the connection — TCP peer, or arrival on the owner
    // socket — never at the URL, and the env carries that connection.
    const api = new DaemonClient({
      url: new URL(c.req.url).origin,
      fetch: async (request) => app.fetch(request, c.env),
      headers: forwardedHeaders(c.req.raw.headers, c.req.query('harness')),
    })
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

function forwardedHeaders(incoming: Headers, harnessQuery: string | undefined): Record<string, string> {
  const headers: Record<string, string> = {}
  // Headers iterate lower-cased, so each name appears once.
  for (const [name, value] of incoming) {
    if (!EXCHANGE_HEADERS.has(name)) headers[name] = value
  }
  // Harnesses that cannot set headers on an MCP URL may name themselves in the query (`/mcp?harness=codex`).
  if (headers['x-signet-harness'] === undefined && harnessQuery) headers['x-signet-harness'] = harnessQuery
  return headers
}
