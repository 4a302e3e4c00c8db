import {Args, Flags} from '@oclif/core'

import type {ResponseOf} from '../api/contract.js'
import {SignetCommand} from '../cli/base-command.js'
import {createDaemonClient} from '../client/resolve-endpoint.js'
import {SignetError} from '../errors.js'
import {paint} from '../ui/output.js'

export default class Remember extends SignetCommand<typeof Remember> {
  static override description = 'Store a memory in the daemon'
  static override enableJsonFlag = true
  static override examples = [
    '<%= config.bin %> remember "The staging database is on port 5433"',
    '<%= config.bin %> remember "Use pnpm, not npm" --tags tooling,preferences --importance 0.8',
    '<%= config.bin %> remember "API v2 ships in March" --project github.com/acme/api --json',
  ]
  static override args = {
    text: Args.string({description: 'what to remember', required: true}),
  }
  static override flags = {
    tags: Flags.string({char: 't', description: 'comma-separated tags'}),
    importance: Flags.string({char: 'i', description: 'importance from 0 to 1 (default 0.5)'}),
    project: Flags.string({description: 'project this memory belongs to'}),
    type: Flags.string({description: 'memory type, e.g. fact, preference, decision'}),
    pinned: Flags.boolean({description: 'always keep this memory in context'}),
    'agent-id': Flags.string({description: 'agent to store for (default: the key scope or "default")', env: 'SIGNET_AGENT_ID'}),
  }

  public async run(): Promise<ResponseOf<'POST /api/memory/remember'>> {
    const importance = this.flags.importance === undefined ? undefined : Number(this.flags.importance)
    if (importance !== undefined && (!Number.isFinite(importance) || importance < 0 || importance > 1)) {
      throw new SignetError(`--importance must be a number from 0 to 1, got "${this.flags.importance}"`)
    }
    if (this.args.text.trim() === '') throw new SignetError('nothing to remember: the text is empty')
    const tags = this.flags.tags
      ?.split(',')
      .map((tag) => tag.trim())
      .filter(Boolean)
    const client = createDaemonClient({workspace: this.resolveWorkspace().path})
    const response = await client.call('POST /api/memory/remember', {
      body: {
        content: this.args.text,
        tags,
        importance,
        project: this.flags.project,
        type: this.flags.type,
        pinned: this.flags.pinned || undefined,
        agentId: this.flags['agent-id'],
      },
    })
    this.log(response.deduped ? `${paint.yellow('=')} Already remembered: ${response.id}` : `${paint.green('✓')} Remembered: ${response.id}`)
    return response
  }
}
