import type {BackfillLine} from '../../api/status.js'
import {SignetCommand} from '../../cli/base-command.js'
import {createDaemonClient} from '../../client/resolve-endpoint.js'
import {DaemonRequestError} from '../../client/daemon-client.js'
import {SignetError} from '../../errors.js'
import {paint, startSpinner} from '../../ui/output.js'

/** How long to wait for the next progress line: one batch of a slow remote embedder. */
const LINE_TIMEOUT_MS = 10 * 60_000

export default class EmbedBackfill extends SignetCommand<typeof EmbedBackfill> {
  static override description = "Embed every memory that has no vector yet, now (the running daemon does it with agent.yaml's embedding provider)"
  static override enableJsonFlag = true
  static override examples = ['<%= config.bin %> embed backfill', '<%= config.bin %> embed backfill --json']

  public async run(): Promise<{provider: string; model: string; embedded: number; total: number; seconds: number}> {
    const client = createDaemonClient({workspace: this.resolveWorkspace().path, asOwner: true, timeoutMs: LINE_TIMEOUT_MS})
    const spinner = startSpinner('embedding missing vectors', {enabled: !this.wantsJson})
    const plain = !this.wantsJson && !process.stderr.isTTY
    let lastLine = -1
    let outcome: Extract<BackfillLine, {type: 'done' | 'error'}> | undefined
    try {
      await client.postLines<BackfillLine>('/api/embedding/backfill', {}, (line) => {
        if (line.type !== 'progress') {
          outcome = line
          return
        }
        const text = `embedded ${line.done}/${line.total} memories`
        spinner.update(text)
        // Without a terminal, one progress line every 10 % (and the last).
        const tenth = line.total === 0 ? 10 : Math.floor((line.done / line.total) * 10)
        if (plain && (tenth > lastLine || line.done === line.total)) {
          lastLine = tenth
          process.stderr.write(`${text}\n`)
        }
      })
    } catch (error) {
      spinner.fail('backfill not started')
      if (error instanceof DaemonRequestError && error.daemonCode === 'embedding_disabled') {
        throw new SignetError(
          'embedding.provider is none — set embedding.provider in agent.yaml (local, ollama or openai) and restart the daemon',
          'embedding_disabled',
        )
      }
      throw error
    }
    if (!outcome) {
      spinner.fail('backfill stopped')
      throw new SignetError('backfill stopped: the daemon ended the answer early — vectors stored so far are kept; run the command again to continue')
    }
    if (outcome.type === 'error') {
      spinner.fail('backfill stopped')
      throw new SignetError(`backfill stopped: ${outcome.error} — vectors stored so far (${outcome.embedded}) are kept; run the command again to continue`)
    }
    spinner.succeed(`embedded ${outcome.embedded} memories in ${outcome.seconds} s`)
    if (!this.wantsJson) {
      this.log(
        outcome.embedded === 0
          ? paint.dim('Every memory already has a vector.')
          : `Embedded ${outcome.embedded} memories with ${outcome.provider}/${outcome.model} in ${outcome.seconds} s.`,
      )
    }
    const {provider, model, embedded, total, seconds} = outcome
    return {provider, model, embedded, total, seconds}
  }
}
