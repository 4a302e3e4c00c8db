import {Command, Flags} from '@oclif/core'

import {isNativeHook} from '../harnesses/profile.js'
import {HARNESS_IDS, HARNESS_PROFILES, listInProse} from '../harnesses/registry.js'
import {HOOK_HARNESSES, type HookEvent} from './events.js'
import {renderHarnessOutput} from './harness-output.js'

/**
 * oclif face of `signet hook <event>`: it exists so `signet hook --help` and
 * `signet hook <event> --help` document the events and flags. Real calls never get here —
 * bin/run.js sends them to dist/hook.cjs (src/hooks/cli.ts, bundled) without loading oclif —
 * but if one does (bin/dev.js), it runs the same hook.
 */
export abstract class HookCommand extends Command {
  static override flags = {
    harness: Flags.string({
      char: 'H',
      description: 'harness calling the hook (decides how stdin is read and what is printed)',
      options: [...HOOK_HARNESSES],
      required: true,
    }),
    project: Flags.string({description: 'project identity to use instead of the one derived from cwd (git remote or path hash)'}),
    'agent-id': Flags.string({description: 'agent to act for (default: the key scope, SIGNET_AGENT_ID, or "default")'}),
    path: Flags.string({char: 'p', description: 'workspace directory, for finding a local daemon (default: SIGNET_WORKSPACE, saved, ~/.agents)'}),
  }

  /** Every hook ignores flags it does not know, so connectors written by a newer Signet keep working. */
  static override strict = false

  protected abstract readonly event: HookEvent

  public async run(): Promise<void> {
    const {runHookCli} = await import('./cli.js')
    await runHookCli([this.event, ...this.argv])
  }
}

export const HOOK_COMMON_DESCRIPTION = `Reads the harness's JSON payload on stdin, derives the project from cwd, makes one request to the daemon and prints exactly what the harness reads. Whatever happens (daemon down, slow, 401, bad stdin) it exits 0 within its budget, writes one line to stderr and to ~/.config/signet/hook.log. SIGNET_NO_HOOKS=1 turns it into a no-op.`

/**
 * What each harness reads on stdout from `event`, as one sentence for help texts: rendered by the
 * hook's own output code from the harness profiles, so the help cannot drift from what is printed.
 */
export function hookOutputHelp(event: HookEvent): string {
  const shapes = new Map<string, string[]>()
  const firstPrompt: string[] = []
  for (const id of HARNESS_IDS) {
    const profile = HARNESS_PROFILES[id]
    if (!isNativeHook(profile.events[event])) {
      if (event === 'session-start' && profile.sessionStartWithFirstPrompt) firstPrompt.push(profile.displayName)
      continue
    }
    const printed = renderHarnessOutput(id, event, {inject: '…', summaryPrompt: '…'})?.trim()
    const shape = printed === undefined ? 'nothing' : printed === '…' ? 'plain text' : printed.replace('"…"', '…')
    shapes.set(shape, [...(shapes.get(shape) ?? []), profile.displayName])
  }
  const gets = (names: string[]) => `${listInProse(names)} ${names.length === 1 ? 'gets' : 'get'}`
  const parts = [...shapes].map(([shape, names]) => `${gets(names)} ${shape}`)
  if (firstPrompt.length > 0) parts.push(`${gets(firstPrompt)} it with the first prompt`)
  return parts.join('; ') + '.'
}
