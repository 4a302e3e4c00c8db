import {Args} from '@oclif/core'

import {SignetCommand} from '../../cli/base-command.js'
import {createDaemonClient} from '../../client/resolve-endpoint.js'

export default class SourceRemove extends SignetCommand<typeof SourceRemove> {
  static override description = 'Stop indexing a source and drop its chunks (the folder itself is not touched)'
  static override enableJsonFlag = true
  static override examples = ['<%= config.bin %> source remove api']
  static override args = {
    name: Args.string({description: 'source name, as shown by `source list`', required: true}),
  }

  public async run(): Promise<{removed: string}> {
    const client = createDaemonClient({workspace: this.resolveWorkspace().path, asOwner: true})
    const response = await client.call('DELETE /api/sources/:name', {params: {name: this.args.name}})
    this.log(`Removed source ${response.removed}`)
    return response
  }
}
