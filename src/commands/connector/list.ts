import {SignetCommand} from '../../cli/base-command.js'
import {defaultConnectorContext, type ConnectorStatus} from '../../connectors/connector.js'
import {checkDaemonReachability, type DaemonReachability} from '../../connectors/daemon-reachability.js'
import {allConnectors} from '../../connectors/registry.js'
import {renderConnectorList} from '../../ui/connectors.js'

export default class ConnectorList extends SignetCommand<typeof ConnectorList> {
  static override description = 'List every supported harness: found on this machine?, connector installed?, problems'
  static override enableJsonFlag = true
  static override examples = ['<%= config.bin %> connector list', '<%= config.bin %> connector list --json']

  public async run(): Promise<{connectors: ConnectorStatus[]; daemon: DaemonReachability}> {
    const ctx = defaultConnectorContext()
    let workspace: string | undefined
    try {
      workspace = this.resolveWorkspace().path
    } catch {
      workspace = undefined
    }
    const [statuses, daemon] = await Promise.all([
      Promise.all(allConnectors().map(async (connector) => ({displayName: connector.displayName, status: await connector.status(ctx)}))),
      checkDaemonReachability(workspace),
    ])
    this.log(renderConnectorList(statuses, daemon))
    return {connectors: statuses.map((entry) => entry.status), daemon}
  }
}
