import type {ResponseOf} from '../../api/contract.js'
import type {SkipReason, SourceView} from '../../api/sources.js'
import {SignetCommand} from '../../cli/base-command.js'
import {createDaemonClient} from '../../client/resolve-endpoint.js'
import {SKIP_REASON_TEXT} from '../../store/sources.js'

/** Two indented lines about a source: its counts, then what was skipped and why. */
export function describeSource(source: Pick<SourceView, 'files' | 'chunks' | 'includes' | 'indexedAt' | 'skipped' | 'skippedExamples' | 'error'>): string {
  const lines = [
    `  ${source.files} files, ${source.chunks} chunks${source.includes.length > 0 ? `, only ${source.includes.join(' ')}` : ''}; indexed ${source.indexedAt ?? 'never'}`,
  ]
  const skipped = Object.entries(source.skipped) as Array<[SkipReason, number]>
  if (skipped.length > 0) {
    const examples = source.skippedExamples.slice(0, 3).map((example) => example.path)
    lines.push(
      `  skipped: ${skipped.map(([reason, count]) => `${count} ${SKIP_REASON_TEXT[reason]}`).join(', ')}${examples.length > 0 ? ` (e.g. ${examples.join(', ')})` : ''}`,
    )
  }
  if (source.error) lines.push(`  last scan failed: ${source.error}`)
  return lines.join('\n')
}

export default class SourceList extends SignetCommand<typeof SourceList> {
  static override description = 'List indexed folders (sources), with file and chunk counts and what was skipped'
  static override enableJsonFlag = true
  static override examples = ['<%= config.bin %> source list', '<%= config.bin %> source list --json']

  public async run(): Promise<ResponseOf<'GET /api/sources'>> {
    const client = createDaemonClient({workspace: this.resolveWorkspace().path, asOwner: true})
    const response = await client.call('GET /api/sources')
    if (response.sources.length === 0) {
      this.log('No sources. Index a folder with `signet source add <dir>`.')
      return response
    }
    this.log('Sources (shared by every agent and project in this workspace):')
    for (const source of response.sources) {
      this.log(`${source.name}  ${source.root ?? ''}`)
      this.log(describeSource(source))
    }
    return response
  }
}
