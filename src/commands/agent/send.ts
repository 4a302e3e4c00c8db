import {Args, Flags} from '@oclif/core'

import type {MessageView} from '../../api/agents.js'
import type {ResponseOf} from '../../api/contract.js'
import {SignetCommand} from '../../cli/base-command.js'

export default class AgentSend extends SignetCommand<typeof AgentSend> {
  static override description = "Send a message to another agent; it is shown once in that agent's next prompt"
  static override enableJsonFlag = true
  static override examples = [
    '<%= config.bin %> agent send codex "The API schema changed: regenerate the client"',
    '<%= config.bin %> agent send pi@laptop "Done with the migration" --subject migration',
    '<%= config.bin %> agent send claude-code "Yes, go ahead" --reply-to 5f0c…',
  ]
  static override args = {
    to: Args.string({description: 'recipient: agent id, agent@machine, or session:<key>', required: true}),
    text: Args.string({description: 'the message (at most 16 KiB)', required: true}),
  }
  static override flags = {
    subject: Flags.string({description: 'a short subject'}),
    'reply-to': Flags.string({description: 'id of the message this answers'}),
    kind: Flags.string({description: 'message kind', options: ['note', 'request', 'reply']}),
    'agent-id': Flags.string({description: 'sending agent (default: the key scope or "default")', env: 'SIGNET_AGENT_ID'}),
    project: Flags.string({description: 'project you send from (needed under agents.messaging: same-project)'}),
  }

  public async run(): Promise<ResponseOf<'POST /api/agents/messages'>> {
    const {createDaemonClient} = await import('../../client/resolve-endpoint.js')
    const client = createDaemonClient({workspace: this.resolveWorkspace().path})
    const response = await client.call('POST /api/agents/messages', {
      body: {
        to: this.args.to,
        body: this.args.text,
        subject: this.flags.subject,
        replyTo: this.flags['reply-to'],
        kind: this.flags.kind as MessageView['kind'] | undefined,
        agentId: this.flags['agent-id'],
        project: this.flags.project,
      },
    })
    this.log(
      `Sent ${response.message.kind} ${response.message.id} to ${response.message.to}${response.redactions ? ` (${response.redactions} secret(s) redacted)` : ''}`,
    )
    return response
  }
}
