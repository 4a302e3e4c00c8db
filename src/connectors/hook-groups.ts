import {appendJsonArrayItem, type JsonPath, readJsonConfig, removeJsonValue} from './json-config-file.js'
import {existsSync} from 'node:fs'

import {hookEntryPointOf, type HookEvent, signetHookEventOf, splitShellWords} from './hook-command.js'

/**
 * The hook skeleton Claude Code, Codex and Gemini CLI share:
 * `hooks.<HarnessEvent> = [{ matcher?, hooks: [{ type: "command", command, timeout }] }]`.
 * Our handlers are recognised by their command (it runs `signet hook …`), never by a marker.
 */

export interface DesiredHook {
  /** The harness's event name, e.g. `UserPromptSubmit` or `BeforeAgent`. */
  harnessEvent: string
  /** The handler object exactly as written, e.g. `{type: 'command', command, timeout}`. */
  handler: Record<string, unknown>
}

export interface OwnedHook {
  harnessEvent: string
  groupIndex: number
  handlerIndex: number
  signetEvent: HookEvent
  handler: Record<string, unknown>
  /** The group holds nothing but this handler (and maybe a matcher). */
  aloneInGroup: boolean
  matcher: unknown
}

type HookGroups = Record<string, Array<{matcher?: unknown; hooks?: Array<Record<string, unknown>>}>>

/** Every Signet handler under `hooksPath` (e.g. `['hooks']`). */
export async function findSignetHooks(text: string, hooksPath: JsonPath, label: string): Promise<OwnedHook[]> {
  let hooks: unknown = await readJsonConfig(text, label)
  for (const segment of hooksPath) hooks = (hooks as Record<string, unknown> | undefined)?.[segment as string]
  if (!hooks || typeof hooks !== 'object' || Array.isArray(hooks)) return []
  const owned: OwnedHook[] = []
  for (const [harnessEvent, groups] of Object.entries(hooks as HookGroups)) {
    if (!Array.isArray(groups)) continue
    groups.forEach((group, groupIndex) => {
      if (!group || !Array.isArray(group.hooks)) return
      group.hooks.forEach((handler, handlerIndex) => {
        const signetEvent = signetHookEventOf(handler?.command)
        if (!signetEvent) return
        owned.push({harnessEvent, groupIndex, handlerIndex, signetEvent, handler, aloneInGroup: group.hooks!.length === 1, matcher: group.matcher})
      })
    })
  }
  return owned
}

async function removeOwned(text: string, hooksPath: JsonPath, owned: OwnedHook[], label: string): Promise<string> {
  // last first, so earlier indices stay valid
  const ordered = [...owned].sort((a, b) =>
    a.harnessEvent === b.harnessEvent ? b.groupIndex - a.groupIndex || b.handlerIndex - a.handlerIndex : a.harnessEvent.localeCompare(b.harnessEvent),
  )
  let next = text
  for (const hook of ordered) {
    const groupPath = [...hooksPath, hook.harnessEvent, hook.groupIndex]
    const stillAlone = (await findSignetHooks(next, hooksPath, label)).some(
      (h) => h.harnessEvent === hook.harnessEvent && h.groupIndex === hook.groupIndex && h.aloneInGroup,
    )
    next = stillAlone ? await removeJsonValue(next, groupPath, label) : await removeJsonValue(next, [...groupPath, 'hooks', hook.handlerIndex], label)
  }
  return next
}

function sameHandler(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)])
  return [...keys].every((key) => JSON.stringify(a[key]) === JSON.stringify(b[key]))
}

/**
 * Make our handlers exactly `desired`: one group per desired event, holding only our handler.
 * Already right → same text (idempotent). Stale or duplicate Signet handlers (old paths, old
 * timeouts, events no longer wanted) are removed; other people's hooks are never touched.
 */
export async function reconcileHookGroups(text: string, hooksPath: JsonPath, desired: DesiredHook[], label: string): Promise<string> {
  const owned = await findSignetHooks(text, hooksPath, label)
  const keep = new Set<OwnedHook>()
  const missing: DesiredHook[] = []
  for (const want of desired) {
    const mine = owned.filter((hook) => hook.harnessEvent === want.harnessEvent)
    const exact = mine.length === 1 && mine[0].aloneInGroup && mine[0].matcher === undefined && sameHandler(mine[0].handler, want.handler)
    if (exact) keep.add(mine[0])
    else missing.push(want)
  }
  let next = await removeOwned(
    text,
    hooksPath,
    owned.filter((hook) => !keep.has(hook)),
    label,
  )
  for (const want of missing) next = await appendJsonArrayItem(next, [...hooksPath, want.harnessEvent], {hooks: [want.handler]}, label)
  return next
}

/** Remove every Signet handler (and groups/events/`hooks` left empty by that). */
export async function removeSignetHooks(text: string, hooksPath: JsonPath, label: string): Promise<string> {
  const owned = await findSignetHooks(text, hooksPath, label)
  return owned.length === 0 ? text : removeOwned(text, hooksPath, owned, label)
}

/** Problems a user can fix: our hooks point at a Signet install that is gone. */
export function staleHookProblems(owned: OwnedHook[], harness: string): string[] {
  const problems: string[] = []
  for (const hook of owned) {
    const runJs = hookEntryPointOf(hook.handler.command)
    const program = typeof hook.handler.command === 'string' ? splitShellWords(hook.handler.command)[0] : undefined
    if (runJs && !existsSync(runJs))
      problems.push(`${hook.harnessEvent} hook runs ${runJs}, which no longer exists — run \`signet connector install ${harness}\``)
    // an absolute node that vanished (nvm/asdf switched versions) breaks the hook just the same
    else if (program && program.startsWith('/') && !existsSync(program))
      problems.push(`${hook.harnessEvent} hook runs ${program}, which no longer exists — run \`signet connector install ${harness}\``)
  }
  return problems
}
