import {Args, Flags} from '@oclif/core'

import {SignetCommand} from '../../cli/base-command.js'
import {createDaemonClient} from '../../client/resolve-endpoint.js'
import {keyReference, parseExpiresAt, renderCreatedKey, type ApiKeyView, type CreatedApiKeyView} from '../../ui/api-keys.js'

export default class ApiKeyRotate extends SignetCommand<typeof ApiKeyRotate> {
  static override description = 'Replace an API key with a new one of the same name, role and scope; the old key is revoked'
  static override enableJsonFlag = true
  static override examples = [
    '<%= config.bin %> api-key rotate key_AbCdEfGhIjKlMnOp',
    '<%= config.bin %> api-key rotate 3f9a0c1d2e4b --expires-at 2027-01-01T00:00:00Z --json',
  ]
  static override args = {
    idOrPrefix: Args.string({description: 'key id (key_…) or its 12-hex prefix', required: true}),
  }
  static override flags = {
    'expires-at': Flags.string({description: "expiry of the new key (default: the old key's)"}),
  }

  public async run(): Promise<{apiKey: CreatedApiKeyView; replaced: ApiKeyView}> {
    const reference = keyReference(this.args.idOrPrefix)
    const expiresAt = parseExpiresAt(this.flags['expires-at'])
    const client = createDaemonClient({workspace: this.resolveWorkspace().path, asOwner: true})
    const response = await client.call('POST /api/auth/api-keys/:idOrPrefix/rotate', {params: {idOrPrefix: reference}, body: expiresAt ? {expiresAt} : {}})
    this.log(renderCreatedKey('API key rotated:', response.apiKey, [['replaces', `${response.replaced.id} (revoked)`]]))
    return response
  }
}
