import {Args} from '@oclif/core'

import type {DeviceView} from '../../api/devices.js'
import {SignetCommand} from '../../cli/base-command.js'
import {createDaemonClient} from '../../client/resolve-endpoint.js'
import {SignetError} from '../../errors.js'

export default class DeviceRevoke extends SignetCommand<typeof DeviceRevoke> {
  static override description = 'Revoke a dashboard device; its next request is refused and it must log in again'
  static override enableJsonFlag = true
  static override examples = ['<%= config.bin %> device revoke dev_AbCdEfGhIjKlMnOp']
  static override args = {
    id: Args.string({description: 'device id (dev_…), as shown by `device list`', required: true}),
  }

  public async run(): Promise<{device: DeviceView}> {
    if (!/^dev_[A-Za-z0-9_-]{16}$/.test(this.args.id)) throw new SignetError(`"${this.args.id}" is not a device id (dev_… as shown by \`signet device list\`)`)
    const client = createDaemonClient({workspace: this.resolveWorkspace().path, asOwner: true})
    const response = await client.call('DELETE /api/devices/:id', {params: {id: this.args.id}})
    this.log(`Revoked device ${response.device.id} (${response.device.name})`)
    return response
  }
}
