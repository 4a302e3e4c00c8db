import {Flags} from '@oclif/core'

import type {QueryOf, ResponseOf} from '../../api/contract.js'
import {SignetCommand} from '../../cli/base-command.js'

export default class AgentInbox extends SignetCommand<typeof AgentInbox> {
  static override description = "Show an agent's messages (or, with --sent, what it sent and whether it was acknowledged)"
  static override enableJsonFlag = true
  static override examples = ['<%= config.bin %> agent inbox', '<%= config.bin %> agent inbox --sent --json', '<%= config.bin %> agent inbox --ack 5f0c…']
  static override flags = {
    sent: Flags.boolean({description: 'messages this agent sent, with delivery and ack state'}),
    state: Flags.string({description: 'only messages in this state', options: ['pending', 'delivered', 'acked', 'unacked', 'all'], default: 'all'}),
    limit: Flags.integer({description: 'maximum messages', default: 50, min: 1, max: 500}),
    ack: Flags.string({description: 'acknowledge this message id first'}),
    'agent-id': Flags.string({description: 'agent whose inbox to read (default: the key scope or "default")', env: 'SIGNET_AGENT_ID'}),
  }

  public async run(): Promise<ResponseOf<'GET /api/agents/inbox'>> {
    const [{createDaemonClient}, {paint}] = await Promise.all([import('../../client/resolve-endpoint.js'), import('../../ui/output.js')])
    const client = createDaemonClient({workspace: this.resolveWorkspace().path})
    if (this.flags.ack) {
      await client.call('POST /api/agents/messages/:id/ack', {params: {id: this.flags.ack}, body: {agentId: this.flags['agent-id']}})
      this.log(`Acknowledged ${this.flags.ack}`)
    }
    const response = await client.call('GET /api/agents/inbox', {
      query: {
        box: this.flags.sent ? 'sent' : 'in',
        state: this.flags.state as QueryOf<'GET /api/agents/inbox'>['state'],
        limit: this.flags.limit,
        agentId: this.flags['agent-id'],
      },
    })
    if (response.messages.length === 0) {
      this.log(paint.dim(`No messages ${this.flags.sent ? 'sent by' : 'for'} ${response.agent}.`))
      return response
    }
    for (const message of response.messages) {
      const who = this.flags.sent ? `to ${message.to}` : `from ${message.from.agent}${message.from.machine ? `@${message.from.machine}` : ''}`
      this.log(
        `${paint.bold(message.id)} ${message.state} ${message.kind} ${who} ${paint.dim(message.createdAt)}${message.subject ? ` — ${message.subject}` : ''}`,
      )
      this.log(`  ${message.body.replace(/\n/g, '\n  ')}`)
    }
    return response
  }
}
