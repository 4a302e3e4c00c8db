import {McpServer} from '@modelcontextprotocol/sdk/server/mcp.js'

import {SIGNET_VERSION} from '../version.js'
import {registerSignetTools, type SignetToolOptions} from './tools.js'

const INSTRUCTIONS =
  'Signet is your long-term memory, shared across sessions and harnesses. ' +
  'Search it (memory_search) before asking the user for something they may have told you before; ' +
  'store durable facts, preferences and decisions (memory_store); correct or forget memories that turn out wrong.'

/** One MCP server with the Signet tools, talking to the daemon through `options.api`. */
export function createSignetMcpServer(options: SignetToolOptions): McpServer {
  const server = new McpServer({name: 'signet', version: SIGNET_VERSION}, {instructions: INSTRUCTIONS})
  registerSignetTools(server, options)
  return server
}
