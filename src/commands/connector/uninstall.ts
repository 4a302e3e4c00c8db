import {Args} from '@oclif/core'

import {SignetCommand} from '../../cli/base-command.js'
import {defaultConnectorContext, HARNESS_IDS, type InstallResult} from '../../connectors/connector.js'
import {connectorFor} from '../../connectors/registry.js'
import {renderUninstall} from '../../ui/connectors.js'

export default class ConnectorUninstall extends SignetCommand<typeof ConnectorUninstall> {
  static override description = 'Remove exactly what `connector install` added to a harness (other settings are kept byte for byte)'
  static override enableJsonFlag = true
  static override examples = ['<%= config.bin %> connector uninstall claude-code', '<%= config.bin %> connector uninstall codex --json']
  static override args = {
    harness: Args.string({description: `harness (${HARNESS_IDS.join(', ')})`, required: true}),
  }

  public async run(): Promise<InstallResult> {
    const connector = connectorFor(this.args.harness)
    const result = await connector.uninstall(defaultConnectorContext())
    this.log(renderUninstall(connector.displayName, result))
    return result
  }
}
