export interface IndexerLogger {
  warn(message: string, fields?: Record<string, unknown>): void
  info(message: string, fields?: Record<string, unknown>): void
}

const MAX_BACKOFF_MS = 60_000

/**
 * Runs one embedding batch after another in the background, for both backends' indexers: again at
 * once while a batch finds work (yielding to requests in between), after `idleMs` when there was
 * none, and with exponential backoff up to a minute after failures, warning on the first and every
 * tenth so an unreachable embedder does not flood the log. Timers are unref'd: the loop never keeps
 * a process alive.
 */
export class BackgroundEmbeddingLoop {
  private timer: NodeJS.Timeout | undefined
  private running: Promise<unknown> | undefined
  private stopped = true
  private failures = 0

  constructor(
    private readonly options: {
      idleMs: number
      /** Embeds one batch; resolves to how many memories got a vector, throws on embedder failure. */
      runBatch: () => Promise<number>
      provider: string
      logger?: IndexerLogger
    },
  ) {}

  start(): void {
    if (!this.stopped) return
    this.stopped = false
    this.schedule(0)
  }

  /** Stops scheduling and waits for a batch in flight. */
  async stop(): Promise<void> {
    this.stopped = true
    clearTimeout(this.timer)
    await this.running
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return
    clearTimeout(this.timer)
    this.timer = setTimeout(() => {
      this.running = this.tick().finally(() => (this.running = undefined))
    }, delayMs)
    this.timer.unref()
  }

  private async tick(): Promise<void> {
    let next = this.options.idleMs
    try {
      if ((await this.options.runBatch()) > 0) next = 0
      this.failures = 0
    } catch (error) {
      this.failures++
      next = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.min(this.failures, 6))
      if (this.failures === 1 || this.failures % 10 === 0) {
        this.options.logger?.warn('embedding failed; recall stays lexical for unembedded memories', {
          provider: this.options.provider,
          error: (error as Error).message,
          retryInMs: next,
        })
      }
    }
    this.schedule(next)
  }
}
