import type {DeviceView} from '../../api/devices.js'
import {SignetCommand} from '../../cli/base-command.js'
import {createDaemonClient} from '../../client/resolve-endpoint.js'

export default class DeviceList extends SignetCommand<typeof DeviceList> {
  static override description = 'List dashboard devices (browsers and phones logged in through a login link)'
  static override enableJsonFlag = true
  static override examples = ['<%= config.bin %> device list', '<%= config.bin %> device list --json']

  public async run(): Promise<{devices: DeviceView[]}> {
    const client = createDaemonClient({workspace: this.resolveWorkspace().path, asOwner: true})
    const response = await client.call('GET /api/devices')
    if (response.devices.length === 0) {
      this.log('No dashboard devices. Add one with `signet dashboard` or `signet pair --device`.')
      return response
    }
    for (const device of response.devices) {
      const scope = [device.agentId && `agent ${device.agentId}`, device.project && `project ${device.project}`].filter(Boolean).join(', ') || 'owner'
      this.log(`${device.id}  ${device.status.padEnd(7)}  ${device.name}  (${scope}; last used ${device.lastUsedAt ?? 'never'})`)
    }
    return response
  }
}
