import {StdioServerTransport} from '@modelcontextprotocol/sdk/server/stdio.js'

import type {DaemonClient} from '../client/daemon-client.js'
import {createDaemonClient} from '../client/resolve-endpoint.js'
import {resolveWorkspace} from '../config/workspace.js'
import {storedConnectionSync} from '../credentials/credential-store.js'
import type {SignetError} from '../errors.js'
import {createSignetMcpServer} from './server.js'

export interface McpStdioOptions {
  /** Workspace from `signet mcp --path`; otherwise the usual resolution (docs/architecture.md, Workspace). */
  workspace?: string
  /**
   * The harness that started this server (`--harness`, written by its connector; else
   * SIGNET_HARNESS): its own stored credentials are used, not another harness's.
   */
  harness?: string
}

/**
 * `signet mcp` / `signet-mcp`: the MCP server on stdin/stdout. Stdout carries only protocol
 * messages; anything for humans goes to stderr. Nothing is fetched at start-up (harnesses
 * such as `claude mcp list` spawn the server just to run the handshake), so an offline
 * daemon shows up as a tool error on the first call, not as a failed server.
 */
export async function runMcpStdioServer(options: McpStdioOptions = {}): Promise<void> {
  const harness = options.harness?.trim() || process.env.SIGNET_HARNESS?.trim() || undefined
  let client: DaemonClient
  try {
    client = createClient(options.workspace ?? localWorkspace(), harness)
  } catch (error) {
    // A bad SIGNET_DAEMON_URL is a configuration error: say so once and let the harness report a failed server.
    process.stderr.write(`signet-mcp: ${(error as Error).message}\n`)
    process.exitCode = 1
    return
  }
  // the agent `signet connect <harness> --agent-id` stored for this harness, as the hooks use
  const defaultAgentId = process.env.SIGNET_AGENT_ID?.trim() || storedConnectionSync(process.env.SIGNET_DAEMON_URL, harness)?.agentId
  const server = createSignetMcpServer({api: client, defaultAgentId})
  const transport = new StdioServerTransport()
  transport.onerror = (error) => process.stderr.write(`signet-mcp: ${error.message}\n`)

  let closing = false
  const shutdown = () => {
    if (closing) return
    closing = true
    void server.close().finally(() => process.exit(0))
  }
  // The harness closes our stdin when it is done with us; signals come from process managers.
  process.stdin.once('end', shutdown)
  process.once('SIGTERM', shutdown)
  process.once('SIGINT', shutdown)

  const closed = new Promise<void>((resolve) => {
    transport.onclose = resolve
  })
  await server.connect(transport)
  // Resolve only when the session ends, so a caller (the oclif command) cannot finish early.
  await closed
}

function createClient(workspace: string | undefined, harness: string | undefined): DaemonClient {
  try {
    return createDaemonClient({workspace, harness})
  } catch (error) {
    // An unreadable agent.yaml only costs us the configured port; an invalid URL is fatal.
    if (workspace === undefined || (error as SignetError).code === 'invalid_daemon_url') throw error
    return createDaemonClient({harness})
  }
}

/**
 * The workspace only tells us where a local daemon listens. A remote connector has no
 * workspace (SIGNET_DAEMON_URL decides), and a missing one must not stop the server starting.
 */
function localWorkspace(): string | undefined {
  if (process.env.SIGNET_DAEMON_URL?.trim()) return undefined
  try {
    return resolveWorkspace().path
  } catch {
    return undefined
  }
}

/** `--harness <id>` or `--harness=<id>` from the server's command line (bin/mcp.js). */
export function harnessFromArgv(argv: readonly string[]): string | undefined {
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index]
    if (arg === '--harness') return argv[index + 1]
    if (arg.startsWith('--harness=')) return arg.slice('--harness='.length)
  }
  return undefined
}
