import {SignetCommand} from '../../cli/base-command.js'
import {loadAgentConfig} from '../../config/agent-config.js'
import {workspacePaths} from '../../config/paths.js'
import {openDatabase} from '../../store/db.js'
import {VectorIndex} from '../../store/embed/vector-index.js'
import {createEmbedder} from '../../store/embed/providers.js'
import {paint} from '../../ui/output.js'

interface EmbedStatus {
  provider: string
  model: string | null
  dimensions: number | null
  indexed: number
  pending: number
}

export default class EmbedStatusCommand extends SignetCommand<typeof EmbedStatusCommand> {
  static override description = 'Show the embedding provider and how many memories have vectors'
  static override enableJsonFlag = true
  static override examples = ['<%= config.bin %> embed status', '<%= config.bin %> embed status --json']

  public async run(): Promise<EmbedStatus> {
    const workspace = this.resolveWorkspace().path
    const embedder = createEmbedder(loadAgentConfig(workspace).embedding)
    if (!embedder) {
      this.log(`Embedding provider: none ${paint.dim('(keyword recall only; set embedding.provider in agent.yaml)')}`)
      return {provider: 'none', model: null, dimensions: null, indexed: 0, pending: 0}
    }
    const db = openDatabase(workspacePaths(workspace).dbPath)
    try {
      const index = new VectorIndex(db, embedder)
      const counts = index.counts()
      const status = {provider: embedder.provider, model: embedder.model, dimensions: index.dimensions ?? null, ...counts}
      this.log(`Embedding provider: ${status.provider}/${status.model}${status.dimensions ? ` (${status.dimensions} dimensions)` : ''}`)
      this.log(`Memories with vectors: ${status.indexed}, without: ${status.pending}`)
      if (status.pending > 0) this.log(paint.dim('The running daemon embeds them in the background; `signet embed backfill` does it now.'))
      return status
    } finally {
      db.close()
    }
  }
}
