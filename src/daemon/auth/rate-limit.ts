import type {RateLimitRepository} from '../../store/storage.js'

export interface RateLimitSettings {
  windowMs: number
  max: number
}

/**
 * A fixed-window limit per key (a peer address, an agent, or `global`), counted in the storage's
 * rate-limit windows so every daemon on one backend shares it. `name` keeps the limits apart.
 */
export class SharedRateLimit {
  constructor(
    private readonly windows: RateLimitRepository,
    private readonly name: string,
    readonly settings: RateLimitSettings,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Milliseconds until `key` may try again; 0 when it may try now. */
  async blockedFor(key: string): Promise<number> {
    const now = this.clock()
    const window = await this.windows.peek(this.keyOf(key), this.settings.windowMs, now)
    if (window.count < this.settings.max) return 0
    return Math.max(1, window.resetAt - now)
  }

  /** Count one attempt (or failure, depending on what the caller limits). */
  async hit(key: string): Promise<void> {
    await this.windows.hit(this.keyOf(key), this.settings.windowMs, this.clock())
  }

  /**
   * True the first time a refusal is reported for this key in its current window (and only while it
   * is blocked): the first refusal is audited, the rest are noise. Counted per window, so it holds
   * across daemons too.
   */
  async firstRefusal(key: string): Promise<boolean> {
    const now = this.clock()
    const window = await this.windows.peek(this.keyOf(key), this.settings.windowMs, now)
    if (window.count < this.settings.max) return false
    const refusals = await this.windows.hit(`${this.keyOf(key)}#refused@${window.resetAt}`, this.settings.windowMs, now)
    return refusals.count === 1
  }

  private keyOf(key: string): string {
    return `${this.name}:${key}`
  }
}

/** Seconds for a Retry-After header, never 0. */
export function retryAfterSeconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000))
}
