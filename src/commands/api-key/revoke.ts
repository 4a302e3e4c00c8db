import {Args} from '@oclif/core'

import {SignetCommand} from '../../cli/base-command.js'
import {createDaemonClient} from '../../client/resolve-endpoint.js'
import {keyReference, type ApiKeyView} from '../../ui/api-keys.js'

export default class ApiKeyRevoke extends SignetCommand<typeof ApiKeyRevoke> {
  static override description = 'Revoke an API key; it stops working on its next request'
  static override enableJsonFlag = true
  static override examples = ['<%= config.bin %> api-key revoke key_AbCdEfGhIjKlMnOp', '<%= config.bin %> api-key revoke 3f9a0c1d2e4b']
  static override args = {
    idOrPrefix: Args.string({description: 'key id (key_…) or its 12-hex prefix, as shown by `api-key list`', required: true}),
  }

  public async run(): Promise<{apiKey: ApiKeyView}> {
    const reference = keyReference(this.args.idOrPrefix)
    const client = createDaemonClient({workspace: this.resolveWorkspace().path, asOwner: true})
    const response = await client.call('DELETE /api/auth/api-keys/:idOrPrefix', {params: {idOrPrefix: reference}})
    this.log(`Revoked API key ${response.apiKey.id}`)
    return response
  }
}
