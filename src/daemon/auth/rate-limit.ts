export interface RateLimitSettings {
  windowMs: number
  max: number
}

interface Window {
  startedAt: number
  count: number
  /** The first refusal in a window is audited; the rest are noise. */
  refusalReported: boolean
}

const MAX_TRACKED_KEYS = 10_000

/**
 * Fixed-window counter per key (a peer address, or `global`), in memory: limits reset when the
 * daemon restarts, which is fine for slowing down guessing, the only thing they are for.
 */
export class FixedWindowLimiter {
  private readonly windows = new Map<string, Window>()

  constructor(
    readonly settings: RateLimitSettings,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Milliseconds until `key` may try again; 0 when it may try now. */
  blockedFor(key: string): number {
    const window = this.current(key)
    if (!window || window.count < this.settings.max) return 0
    return Math.max(1, window.startedAt + this.settings.windowMs - this.clock())
  }

  /** Count one attempt (or failure, depending on what the caller limits). */
  hit(key: string): void {
    const now = this.clock()
    const window = this.current(key)
    if (window) {
      window.count++
      return
    }
    if (this.windows.size >= MAX_TRACKED_KEYS) this.sweep(now)
    this.windows.set(key, {startedAt: now, count: 1, refusalReported: false})
  }

  /** True the first time a refusal is reported for this key in this window (and only while it is blocked). */
  firstRefusal(key: string): boolean {
    const window = this.current(key)
    if (!window || window.count < this.settings.max || window.refusalReported) return false
    window.refusalReported = true
    return true
  }

  private current(key: string): Window | undefined {
    const window = this.windows.get(key)
    if (!window) return undefined
    if (this.clock() - window.startedAt >= this.settings.windowMs) {
      this.windows.delete(key)
      return undefined
    }
    return window
  }

  private sweep(now: number): void {
    for (const [key, window] of this.windows) {
      if (now - window.startedAt >= this.settings.windowMs) this.windows.delete(key)
    }
    // Still full (a flood of distinct addresses): drop the oldest rather than grow without bound.
    if (this.windows.size >= MAX_TRACKED_KEYS) {
      const oldest = this.windows.keys().next().value
      if (oldest !== undefined) this.windows.delete(oldest)
    }
  }
}

/** Seconds for a Retry-After header, never 0. */
export function retryAfterSeconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000))
}
