import {Flags} from '@oclif/core'

import type {PeerView} from '../../api/agents.js'
import type {ResponseOf} from '../../api/contract.js'
import {SignetCommand} from '../../cli/base-command.js'

export default class AgentPeers extends SignetCommand<typeof AgentPeers> {
  static override description = 'List the agents and sessions connected to the daemon, with status and last seen'
  static override enableJsonFlag = true
  static override examples = ['<%= config.bin %> agent peers', '<%= config.bin %> agent peers --status online --json']
  static override flags = {
    agent: Flags.string({description: 'only this agent'}),
    status: Flags.string({description: 'only peers with this status', options: ['online', 'idle', 'offline']}),
  }

  public async run(): Promise<ResponseOf<'GET /api/agents/peers'>> {
    // Loaded on use: the HTTP client and table renderer are not needed to parse flags or print help.
    const [{createDaemonClient}, {paint, renderTable}] = await Promise.all([import('../../client/resolve-endpoint.js'), import('../../ui/output.js')])
    const client = createDaemonClient({workspace: this.resolveWorkspace().path})
    const response = await client.call('GET /api/agents/peers', {
      query: {agentId: this.flags.agent, status: this.flags.status as PeerView['status'] | undefined},
    })
    if (response.peers.length === 0) {
      this.log(paint.dim('No peers seen yet: agents appear once a connected harness runs a hook.'))
      return response
    }
    this.log(
      renderTable(response.peers, [
        {header: 'AGENT', value: (peer) => peer.agent},
        {header: 'STATUS', value: (peer) => peer.status},
        {header: 'HARNESS', value: (peer) => peer.harness},
        {header: 'MACHINE', value: (peer) => peer.machine ?? ''},
        {header: 'PROJECT', value: (peer) => peer.project ?? '', maxWidth: 40},
        {header: 'SESSION', value: (peer) => peer.session ?? '', maxWidth: 24},
        {header: 'LAST SEEN', value: (peer) => peer.lastSeen.slice(0, 19).replace('T', ' ')},
      ]),
    )
    this.log(paint.dim(`messaging policy: ${response.messaging}`))
    return response
  }
}
