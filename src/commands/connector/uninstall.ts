import {Args} from '@oclif/core'

import {SignetCommand} from '../../cli/base-command.js'
import {defaultConnectorContext, type InstallResult} from '../../connectors/connector.js'
import {connectorFor} from '../../connectors/registry.js'
import {removeStoredCredentials} from '../../credentials/credential-store.js'
import {HARNESS_IDS} from '../../harnesses/registry.js'
import {renderUninstall} from '../../ui/connectors.js'

export default class ConnectorUninstall extends SignetCommand<typeof ConnectorUninstall> {
  static override description =
    "Remove exactly what `connector install` added to a harness (other settings are kept byte for byte) and forget that harness's stored key (other harnesses keep theirs)"

  static override enableJsonFlag = true
  static override examples = ['<%= config.bin %> connector uninstall claude-code', '<%= config.bin %> connector uninstall codex --json']
  static override args = {
    harness: Args.string({description: `harness (${HARNESS_IDS.join(', ')})`, required: true}),
  }

  public async run(): Promise<InstallResult & {credentialsRemoved: boolean}> {
    const connector = connectorFor(this.args.harness)
    const result = await connector.uninstall(defaultConnectorContext())
    // Only this harness's entry: a machine-wide default entry and other harnesses' keys stay.
    const credentialsRemoved = await removeStoredCredentials(connector.id)
    this.log(renderUninstall(connector.displayName, result))
    if (credentialsRemoved) this.log(`  forgot the ${connector.id} connection (URL and key) stored on this machine`)
    return {...result, credentialsRemoved}
  }
}
