import {Args} from '@oclif/core'

import {SignetCommand} from '../../cli/base-command.js'
import {defaultConnectorContext, type ConnectorStatus} from '../../connectors/connector.js'
import {checkDaemonReachability, type DaemonReachability} from '../../connectors/daemon-reachability.js'
import {connectorFor} from '../../connectors/registry.js'
import {HARNESS_IDS} from '../../harnesses/registry.js'
import {renderStatus} from '../../ui/connectors.js'

export default class ConnectorStatusCommand extends SignetCommand<typeof ConnectorStatusCommand> {
  static override description =
    'Show whether a harness connector is installed and healthy, and whether its daemon accepts its key (exit 1 when it is not connected)'

  static override enableJsonFlag = true
  static override examples = ['<%= config.bin %> connector status claude-code', '<%= config.bin %> connector status pi --json']
  static override args = {
    harness: Args.string({description: `harness (${HARNESS_IDS.join(', ')})`, required: true}),
  }

  public async run(): Promise<ConnectorStatus & {daemon: DaemonReachability; connected: boolean}> {
    const connector = connectorFor(this.args.harness)
    const [status, daemon] = await Promise.all([connector.status(defaultConnectorContext()), checkDaemonReachability(this.workspaceIfAny(), connector.id)])
    this.log(renderStatus(connector.displayName, status, daemon))
    // Scripts (and `&&`) must be able to tell: installed, no problems, and the daemon takes the key.
    const connected = status.state === 'installed' && status.problems.length === 0 && daemon.reachable
    if (!connected) process.exitCode = 1
    return {...status, daemon, connected}
  }

  private workspaceIfAny(): string | undefined {
    try {
      return this.resolveWorkspace().path
    } catch {
      return undefined
    }
  }
}
