import {Args} from '@oclif/core'

import type {IndexReport} from '../../api/sources.js'
import {SignetCommand} from '../../cli/base-command.js'
import {createDaemonClient} from '../../client/resolve-endpoint.js'

export default class SourceReindex extends SignetCommand<typeof SourceReindex> {
  static override description = 'Rescan a source now (or every source): changed files are re-read, deleted ones dropped'
  static override enableJsonFlag = true
  static override examples = ['<%= config.bin %> source reindex', '<%= config.bin %> source reindex api']
  static override args = {
    name: Args.string({description: 'source name (default: every source)'}),
  }

  public async run(): Promise<{reports: IndexReport[]}> {
    const client = createDaemonClient({workspace: this.resolveWorkspace().path, asOwner: true, timeoutMs: 600_000})
    const names = this.args.name ? [this.args.name] : (await client.call('GET /api/sources')).sources.map((source) => source.name)
    if (names.length === 0) this.log('No sources. Index a folder with `signet source add <dir>`.')
    const reports: IndexReport[] = []
    for (const name of names) {
      const {report} = await client.call('POST /api/sources/:name/reindex', {params: {name}})
      reports.push(report)
      this.log(`${name}: ${report.changed} changed, ${report.removed} removed, ${report.unchanged} unchanged (${report.ms} ms)`)
    }
    return {reports}
  }
}
