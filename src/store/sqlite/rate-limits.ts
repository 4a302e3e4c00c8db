import type {RateLimitRepository} from '../storage.js'

interface Window {
  startedAt: number
  windowMs: number
  count: number
}

/** Keys tracked at once; a flood of distinct addresses drops expired windows, then the oldest. */
const MAX_TRACKED_KEYS = 10_000

/**
 * Rate-limit windows in process memory. Right for SQLite: one daemon per database file (the daemon
 * lock), so there is no other process to agree with; limits reset when the daemon restarts, which is
 * fine for slowing down guessing, the only thing they are for. A window starts at its first hit.
 */
export class InProcessRateLimits implements RateLimitRepository {
  private readonly windows = new Map<string, Window>()

  async hit(key: string, windowMs: number, now = Date.now()): Promise<{count: number; resetAt: number}> {
    let window = this.current(key, now)
    if (!window) {
      if (this.windows.size >= MAX_TRACKED_KEYS) this.sweep(now)
      window = {startedAt: now, windowMs, count: 0}
      this.windows.set(key, window)
    }
    window.count++
    return {count: window.count, resetAt: window.startedAt + window.windowMs}
  }

  async peek(key: string, windowMs: number, now = Date.now()): Promise<{count: number; resetAt: number}> {
    const window = this.current(key, now)
    return window ? {count: window.count, resetAt: window.startedAt + window.windowMs} : {count: 0, resetAt: now + windowMs}
  }

  private current(key: string, now: number): Window | undefined {
    const window = this.windows.get(key)
    if (!window) return undefined
    if (now - window.startedAt >= window.windowMs) {
      this.windows.delete(key)
      return undefined
    }
    return window
  }

  private sweep(now: number): void {
    for (const [key, window] of this.windows) if (now - window.startedAt >= window.windowMs) this.windows.delete(key)
    if (this.windows.size >= MAX_TRACKED_KEYS) {
      const oldest = this.windows.keys().next().value
      if (oldest !== undefined) this.windows.delete(oldest)
    }
  }
}
