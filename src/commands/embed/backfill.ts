import {Flags} from '@oclif/core'

import {SignetCommand} from '../../cli/base-command.js'
import {loadAgentConfig} from '../../config/agent-config.js'
import {workspacePaths} from '../../config/paths.js'
import {SignetError} from '../../errors.js'
import {openDatabase} from '../../store/db.js'
import {EmbeddingIndexer} from '../../store/embed/indexer.js'
import {createEmbedder, type EmbeddingSettings} from '../../store/embed/providers.js'
import {paint, startSpinner} from '../../ui/output.js'

export default class EmbedBackfill extends SignetCommand<typeof EmbedBackfill> {
  static override description = 'Embed every memory that has no vector yet for the configured embedding provider'
  static override enableJsonFlag = true
  static override examples = [
    '<%= config.bin %> embed backfill',
    '<%= config.bin %> embed backfill --provider ollama --model nomic-embed-text',
    '<%= config.bin %> embed backfill --json',
  ]
  static override flags = {
    provider: Flags.string({description: 'override embedding.provider from agent.yaml', options: ['local', 'ollama', 'openai']}),
    model: Flags.string({description: 'override embedding.model from agent.yaml'}),
    'base-url': Flags.string({description: 'override embedding.baseUrl from agent.yaml'}),
  }

  public async run(): Promise<{provider: string; model: string; embedded: number; total: number; seconds: number}> {
    const workspace = this.resolveWorkspace().path
    const settings: EmbeddingSettings = {...loadAgentConfig(workspace).embedding}
    if (this.flags.provider) settings.provider = this.flags.provider
    if (this.flags.model) settings.model = this.flags.model
    if (this.flags['base-url']) settings.baseUrl = this.flags['base-url']
    const embedder = createEmbedder(settings)
    if (!embedder) {
      throw new SignetError('embedding.provider is none — set embedding.provider in agent.yaml (local, ollama or openai) or pass --provider')
    }
    // Safe beside a running daemon: SQLite serialises the writes, and each vector replaces any older one.
    const db = openDatabase(workspacePaths(workspace).dbPath)
    const started = performance.now()
    const spinner = startSpinner(`embedding with ${embedder.provider}/${embedder.model}`, {enabled: !this.wantsJson})
    const plain = !this.wantsJson && !process.stderr.isTTY
    let lastLine = -1
    try {
      const indexer = new EmbeddingIndexer(db, embedder)
      const result = await indexer.backfill((progress) => {
        const text = `embedded ${progress.done}/${progress.total} memories with ${embedder.provider}/${embedder.model}`
        spinner.update(text)
        // Without a terminal, one progress line every 10 % (and the last).
        const tenth = progress.total === 0 ? 10 : Math.floor((progress.done / progress.total) * 10)
        if (plain && (tenth > lastLine || progress.done === progress.total)) {
          lastLine = tenth
          process.stderr.write(`${text}\n`)
        }
      })
      const seconds = Math.round((performance.now() - started) / 100) / 10
      spinner.succeed(`embedded ${result.done} memories in ${seconds} s`)
      if (!this.wantsJson) {
        this.log(result.done === 0 ? paint.dim('Every memory already has a vector.') : `Embedded ${result.done} memories with ${embedder.provider}/${embedder.model} in ${seconds} s.`)
      }
      return {provider: embedder.provider, model: embedder.model, embedded: result.done, total: result.total, seconds}
    } catch (error) {
      spinner.fail('backfill stopped')
      throw new SignetError(`backfill stopped: ${(error as Error).message} — vectors stored so far are kept; run the command again to continue`)
    } finally {
      db.close()
    }
  }
}
