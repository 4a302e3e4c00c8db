import {type HookEvent, type HookHarness, isHookEvent, isHookHarness} from './events.js'

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
    return {ok: false, problem: `unknown hook event "${event ?? ''}" (expected one of session-start, user-prompt-submit, pre-compaction, compaction-complete, session-end)`}
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
  if (!harness) return {ok: false, problem: 'missing -H <harness> (claude-code, codex, gemini, opencode, pi, openclaw or generic)'}
  if (!isHookHarness(harness)) {
    return {ok: false, problem: `unknown harness "${harness}" (expected claude-code, codex, gemini, opencode, pi, openclaw or generic)`}
  }
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
