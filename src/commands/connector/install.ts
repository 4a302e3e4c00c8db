import {Args, Flags} from '@oclif/core'

import {SignetCommand} from '../../cli/base-command.js'
import {type ConnectOutcome, connectHarness} from '../../connectors/connect-harness.js'
import {defaultConnectorContext} from '../../connectors/connector.js'
import {connectorFor} from '../../connectors/registry.js'
import {SignetError} from '../../errors.js'
import {HARNESS_IDS} from '../../harnesses/registry.js'
import {renderConnectOutcome} from '../../ui/connectors.js'

export default class ConnectorInstall extends SignetCommand<typeof ConnectorInstall> {
  static override description = 'Install the Signet connector into a harness: lifecycle hooks plus memory tools (MCP or plugin)'
  static override enableJsonFlag = true
  static override examples = [
    '<%= config.bin %> connector install claude-code',
    '<%= config.bin %> connect codex --url https://daemon.tailnet.ts.net:3850 --pair-code 7KQ-94M',
    'SIGNET_API_KEY=sig_sk_… <%= config.bin %> connect pi --url https://host:3850 --agent-id pi-laptop',
    '<%= config.bin %> connect opencode --url https://host:3850 --api-key - < key.txt',
  ]
  static override args = {
    harness: Args.string({description: `harness to connect (${HARNESS_IDS.join(', ')})`, required: true}),
  }
  static override flags = {
    url: Flags.string({description: 'daemon URL for a remote daemon, e.g. https://host:3850 (a bare origin)'}),
    'api-key': Flags.string({description: 'API key for a remote daemon (`-` reads it from stdin; SIGNET_API_KEY is used when --url is given without one)'}),
    'agent-id': Flags.string({description: 'agent this machine acts for'}),
    'pair-code': Flags.string({description: 'one-time code from `signet pair` on the daemon host; exchanged for a scoped key'}),
    yes: Flags.boolean({char: 'y', description: 'do not ask before changing harness files'}),
    force: Flags.boolean({
      description: 'use the key even though it was made for another connector (the harnesses then share it: revoking it disconnects both)',
    }),
  }

  public async run(): Promise<ConnectOutcome> {
    const connector = connectorFor(this.args.harness)
    const apiKey = await this.readApiKey()
    const interactive = !this.wantsJson && process.stdin.isTTY && process.stdout.isTTY
    if (!this.flags.yes && interactive) {
      const {default: inquirer} = await import('inquirer')
      const {proceed} = await inquirer.prompt<{proceed: boolean}>([
        {
          type: 'confirm',
          name: 'proceed',
          default: true,
          message: `Install the Signet connector into ${connector.displayName}? (changes its config files; originals are backed up once)`,
        },
      ])
      if (!proceed) throw new SignetError('nothing changed (cancelled)', 'cancelled')
    }
    const outcome = await connectHarness(
      {
        harness: connector.id,
        url: this.flags.url,
        apiKey,
        agentId: this.flags['agent-id'],
        pairCode: this.flags['pair-code'],
        workspace: this.workspacePathIfResolvable(),
        force: this.flags.force,
        // A key made for another connector is refused unless --force; at a terminal, asked instead.
        confirmConnectorMismatch: interactive ? (problem) => this.confirmMismatch(problem) : undefined,
      },
      defaultConnectorContext(),
    )
    this.log(renderConnectOutcome(connector.displayName, outcome))
    return outcome
  }

  private async confirmMismatch(problem: string): Promise<boolean> {
    const {default: inquirer} = await import('inquirer')
    const {proceed} = await inquirer.prompt<{proceed: boolean}>([
      {
        type: 'confirm',
        name: 'proceed',
        default: false,
        message: `${problem}. Sharing one key between harnesses means revoking it disconnects both. Use it anyway?`,
      },
    ])
    return proceed
  }

  /** --api-key, `--api-key -` (stdin, keeps the key out of the process list), or SIGNET_API_KEY with --url. */
  private async readApiKey(): Promise<string | undefined> {
    const flag = this.flags['api-key']
    if (flag === '-') {
      const chunks: Buffer[] = []
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
      const key = Buffer.concat(chunks).toString('utf8').trim()
      if (!key) throw new SignetError('--api-key -: nothing on stdin', 'invalid_flags')
      return key
    }
    if (flag !== undefined) return flag
    if (this.flags.url && !this.flags['pair-code']) return (process.env.SIGNET_API_KEY || process.env.SIGNET_TOKEN)?.trim() || undefined
    return undefined
  }

  private workspacePathIfResolvable(): string | undefined {
    try {
      return this.resolveWorkspace().path
    } catch {
      return undefined
    }
  }
}
