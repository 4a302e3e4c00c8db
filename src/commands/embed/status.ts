import {SignetCommand} from '../../cli/base-command.js'
import {createDaemonClient} from '../../client/resolve-endpoint.js'
import {paint} from '../../ui/output.js'

interface EmbedStatus {
  provider: string
  model: string | null
  dimensions: number | null
  indexed: number
  pending: number
  lastError?: string | null
}

export default class EmbedStatusCommand extends SignetCommand<typeof EmbedStatusCommand> {
  static override description = 'Show the embedding provider and how many memories have vectors (asks the running daemon)'
  static override enableJsonFlag = true
  static override examples = ['<%= config.bin %> embed status', '<%= config.bin %> embed status --json']

  public async run(): Promise<EmbedStatus> {
    const client = createDaemonClient({workspace: this.resolveWorkspace().path, asOwner: true})
    const answer = await client.get<EmbedStatus & {enabled: boolean}>('/api/embedding/status')
    const status: EmbedStatus = {
      provider: answer.provider,
      model: answer.model,
      dimensions: answer.dimensions,
      indexed: answer.indexed,
      pending: answer.pending,
      lastError: answer.lastError ?? null,
    }
    if (!answer.enabled) {
      this.log(`Embedding provider: none ${paint.dim('(keyword recall only; set embedding.provider in agent.yaml)')}`)
      return status
    }
    this.log(`Embedding provider: ${status.provider}/${status.model}${status.dimensions ? ` (${status.dimensions} dimensions)` : ''}`)
    this.log(`Memories with vectors: ${status.indexed}, without: ${status.pending}`)
    if (status.lastError) this.log(paint.dim(`Last embedding error: ${status.lastError}`))
    if (status.pending > 0) this.log(paint.dim('The daemon embeds them in the background; `signet embed backfill` does it now.'))
    return status
  }
}
