/*
 * What `signet hook` can be asked to do: the events, the harnesses, how long each may take, and
 * parsing its argv. One module on purpose: every prompt loads it, and each module costs start-up time.
 * The harnesses and what differs between them are their profiles (src/harnesses/).
 */
import {HOOK_EVENTS, type HookEvent} from '../harnesses/profile.js'
import {HARNESS_IDS, HARNESS_PROFILES, isHarnessId, listInProse} from '../harnesses/registry.js'

export {HOOK_EVENTS, type HookEvent}

/**
 * Harnesses whose stdin and stdout contract the hook command knows. `generic` reads any JSON
 * with the common field names and prints the daemon's JSON answer (for custom scripts and plugins).
 */
export const HOOK_HARNESSES = [...HARNESS_IDS, 'generic'] as const
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
  const clock = isHarnessId(harness) ? HARNESS_PROFILES[harness].sharedHookClock : null
  if (clock && clock.event === event) {
    // The harness's clock for all hooks of this event (Claude Code's SessionEnd): fit inside it.
    const configured = Number(env[clock.env])
    const total = Number.isFinite(configured) && configured >= 500 ? Math.min(configured, 60_000) : clock.defaultMs
    // Keep ~300 ms for process start and exit inside the harness's own clock.
    return Math.max(400, total - 300)
  }
  return EVENT_BUDGET_MS[event]
}

export interface HookArgs {
  event: HookEvent
  harness: HookHarness
  project?: string
  agentId?: string
  /** compaction-complete: the summary, when the harness passes it as an argument. */
  summary?: string
  /** Workspace override, like every other command's --path. */
  workspace?: string
}

export type ParsedHookArgs = {ok: true; args: HookArgs} | {ok: false; problem: string}

const VALUE_FLAGS: Record<string, keyof Omit<HookArgs, 'event'>> = {
  '-H': 'harness',
  '--harness': 'harness',
  '--project': 'project',
  '--agent-id': 'agentId',
  '-s': 'summary',
  '--summary': 'summary',
  '-p': 'workspace',
  '--path': 'workspace',
}

/**
 * Parse `<event> -H <harness> [--project P] [--agent-id A] [-s summary] [--path W]` by hand:
 * oclif's parser costs tens of ms per prompt. Unknown flags are ignored rather than fatal, so a
 * connector written by a newer Signet still works with an older one.
 */
export function parseHookArgs(argv: readonly string[]): ParsedHookArgs {
  const [event, ...rest] = argv
  if (!event || !isHookEvent(event)) {
    return {ok: false, problem: `unknown hook event "${event ?? ''}" (expected one of ${HOOK_EVENTS.join(', ')})`}
  }
  const values: Partial<Record<keyof Omit<HookArgs, 'event'>, string>> = {}
  for (let index = 0; index < rest.length; index++) {
    const token = rest[index]
    const equals = token.startsWith('--') ? token.indexOf('=') : -1
    const name = equals > 0 ? token.slice(0, equals) : token
    const key = VALUE_FLAGS[name]
    if (!key) continue
    const value = equals > 0 ? token.slice(equals + 1) : rest[++index]
    if (value !== undefined) values[key] = value
  }
  const harness = (values.harness ?? process.env.SIGNET_HARNESS ?? '').trim()
  if (!harness) return {ok: false, problem: `missing -H <harness> (${listInProse(HOOK_HARNESSES, 'or')})`}
  if (!isHookHarness(harness)) return {ok: false, problem: `unknown harness "${harness}" (expected ${listInProse(HOOK_HARNESSES, 'or')})`}
  return {
    ok: true,
    args: {
      event,
      harness,
      project: values.project?.trim() || undefined,
      agentId: (values.agentId ?? process.env.SIGNET_AGENT_ID)?.trim() || undefined,
      summary: values.summary,
      workspace: values.workspace,
    },
  }
}
