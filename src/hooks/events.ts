/** The lifecycle events every connector maps its harness's own hook names onto (SPEC §7.1). */
export const HOOK_EVENTS = ['session-start', 'user-prompt-submit', 'pre-compaction', 'compaction-complete', 'session-end'] as const
export type HookEvent = (typeof HOOK_EVENTS)[number]

/**
 * Harnesses whose stdin and stdout contract the hook command knows. `generic` reads any JSON
 * with the common field names and prints the daemon's JSON answer (for custom scripts and plugins).
 */
export const HOOK_HARNESSES = ['claude-code', 'codex', 'gemini', 'opencode', 'pi', 'openclaw', 'generic'] as const
export type HookHarness = (typeof HOOK_HARNESSES)[number]

export function isHookEvent(value: string): value is HookEvent {
  return (HOOK_EVENTS as readonly string[]).includes(value)
}

export function isHookHarness(value: string): value is HookHarness {
  return (HOOK_HARNESSES as readonly string[]).includes(value)
}

/**
 * Whole-hook budgets in ms (stdin + request + output). They stay under the harnesses' own
 * timeouts so a slow or absent daemon costs the user at most this long, never a broken turn.
 */
const EVENT_BUDGET_MS: Record<HookEvent, number> = {
  'session-start': 5000,
  'user-prompt-submit': 2500,
  'pre-compaction': 3000,
  'compaction-complete': 3000,
  'session-end': 2500,
}

/** Claude Code gives all SessionEnd hooks 1.5 s in total unless told otherwise; leave room to exit. */
const CLAUDE_SESSION_END_DEFAULT_MS = 1500

/** Env overrides (ms), most specific first; values outside 200..120000 are ignored. */
const BUDGET_ENV: Record<HookEvent, string[]> = {
  'session-start': ['SIGNET_SESSION_START_TIMEOUT', 'SIGNET_HOOK_TIMEOUT'],
  'user-prompt-submit': ['SIGNET_PROMPT_SUBMIT_TIMEOUT', 'SIGNET_HOOK_TIMEOUT'],
  'pre-compaction': ['SIGNET_HOOK_TIMEOUT'],
  'compaction-complete': ['SIGNET_HOOK_TIMEOUT'],
  'session-end': ['SIGNET_SESSION_END_TIMEOUT', 'SIGNET_HOOK_TIMEOUT'],
}

export function hookBudgetMs(event: HookEvent, harness: string, env: NodeJS.ProcessEnv = process.env): number {
  for (const name of BUDGET_ENV[event]) {
    const value = Number(env[name])
    if (Number.isFinite(value) && value >= 200 && value <= 120_000) return value
  }
  if (event === 'session-end' && harness === 'claude-code') {
    const claude = Number(env.CLAUDE_CODE_SESSIONEND_HOOKS_TIMEOUT_MS)
    const total = Number.isFinite(claude) && claude >= 500 ? Math.min(claude, 60_000) : CLAUDE_SESSION_END_DEFAULT_MS
    // Keep ~300 ms for process start and exit inside Claude Code's own clock.
    return Math.max(400, total - 300)
  }
  return EVENT_BUDGET_MS[event]
}
