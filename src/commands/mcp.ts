import {Flags} from '@oclif/core'

import {SignetCommand} from '../cli/base-command.js'

export default class Mcp extends SignetCommand<typeof Mcp> {
  static override summary = 'Run the MCP server on stdio (same as the signet-mcp binary)'
  static override description =
    'Serves the memory tools (memory_search, memory_store, …, signet_session_search) to a harness over stdio. ' +
    'The daemon URL and key come from SIGNET_DAEMON_URL / SIGNET_API_KEY, the credentials saved by `signet connect`, ' +
    'or the local workspace. Stdout carries only MCP messages.'

  static override examples = [
    '<%= config.bin %> mcp',
    'SIGNET_DAEMON_URL=https://host:3850 SIGNET_API_KEY=sig_sk_… <%= config.bin %> mcp',
    'claude mcp add signet -- signet mcp',
  ]

  static override flags = {
    harness: Flags.string({description: 'harness this server runs for: its own stored credentials are used (connectors write this)'}),
  }

  public async run(): Promise<void> {
    // Imported here so other commands never load the MCP SDK.
    const {runMcpStdioServer} = await import('../mcp/stdio.js')
    await runMcpStdioServer({workspace: this.flags.path ? this.resolveWorkspace().path : undefined, harness: this.flags.harness})
  }
}
