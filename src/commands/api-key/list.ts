import {SignetCommand} from '../../cli/base-command.js'
import {createDaemonClient} from '../../client/resolve-endpoint.js'
import {renderKeyList, type ApiKeyView} from '../../ui/api-keys.js'

export default class ApiKeyList extends SignetCommand<typeof ApiKeyList> {
  static override description = 'List API keys with their status, scope and last use (never the secrets)'
  static override enableJsonFlag = true
  static override examples = ['<%= config.bin %> api-key list', '<%= config.bin %> api-key list --json | jq ".apiKeys[] | select(.status == \\"active\\")"']

  public async run(): Promise<{apiKeys: ApiKeyView[]}> {
    const client = createDaemonClient({workspace: this.resolveWorkspace().path, asOwner: true})
    const response = await client.call('GET /api/auth/api-keys')
    this.log(renderKeyList(response.apiKeys))
    return response
  }
}
