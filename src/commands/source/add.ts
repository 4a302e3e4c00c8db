import path from 'node:path'

import {Args, Flags} from '@oclif/core'

import type {ResponseOf} from '../../api/contract.js'
import {SignetCommand} from '../../cli/base-command.js'
import {createDaemonClient} from '../../client/resolve-endpoint.js'
import {describeSource} from './list.js'

export default class SourceAdd extends SignetCommand<typeof SourceAdd> {
  static override description = `Index a folder of code, Markdown and text for source search

Harnesses search it with the signet_source_search tool, which answers path:line chunks. .gitignore is respected, symbolic links are not followed, binary files, dotenv files and files over 1 MB are skipped (source list says how many), and secrets are redacted. The daemon rescans for changes every sources.scanIntervalSeconds (agent.yaml, default 60). Sources are shared by every agent and project in the workspace.`
  static override enableJsonFlag = true
  static override examples = ['<%= config.bin %> source add ~/code/api', '<%= config.bin %> source add ./docs --name handbook --include "*.md"']
  static override args = {
    dir: Args.string({description: 'the folder to index', required: true}),
  }
  static override flags = {
    name: Flags.string({description: 'name of the source (default: the folder name)'}),
    include: Flags.string({description: 'only index files matching this glob (gitignore syntax); repeat for several', multiple: true}),
  }

  public async run(): Promise<ResponseOf<'POST /api/sources'>> {
    const client = createDaemonClient({workspace: this.resolveWorkspace().path, asOwner: true, timeoutMs: 600_000})
    const response = await client.call('POST /api/sources', {body: {path: path.resolve(this.args.dir), name: this.flags.name, include: this.flags.include}})
    const took = response.report ? ` in ${response.report.ms} ms` : ''
    this.log(`Added source ${response.source.name} (${response.source.root})${took}`)
    this.log(describeSource(response.source))
    return response
  }
}
