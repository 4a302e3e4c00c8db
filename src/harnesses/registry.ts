import {claudeCode} from './claude-code.js'
import {codex} from './codex.js'
import {gemini} from './gemini.js'
import {hermes} from './hermes.js'
import {omp} from './omp.js'
import {openclaw} from './openclaw.js'
import {opencode} from './opencode.js'
import {pi} from './pi.js'
import type {HarnessProfile, OutputStyle} from './profile.js'

/** Every harness Signet connects, in the order lists show them. */
export const HARNESS_IDS = ['claude-code', 'codex', 'opencode', 'gemini', 'pi', 'omp', 'openclaw', 'hermes'] as const
export type HarnessId = (typeof HARNESS_IDS)[number]

/**
 * One profile per id, each with its own id: an id without a profile, a profile without an id, or a
 * profile missing a field fails the type check.
 */
export const HARNESS_PROFILES = {
  'claude-code': claudeCode,
  codex,
  opencode,
  gemini,
  pi,
  omp,
  openclaw,
  hermes,
} as const satisfies {[Id in HarnessId]: HarnessProfile<Id>}

export function isHarnessId(value: string): value is HarnessId {
  return (HARNESS_IDS as readonly string[]).includes(value)
}

export function harnessProfile(id: HarnessId): HarnessProfile<HarnessId> {
  return HARNESS_PROFILES[id]
}

/** The harness a name means: its id or one of its aliases, any case; undefined for an unknown name. */
export function harnessIdFor(name: string): HarnessId | undefined {
  const wanted = name.trim().toLowerCase()
  if (isHarnessId(wanted)) return wanted
  return HARNESS_IDS.find((id) => (HARNESS_PROFILES[id].aliases as readonly string[]).includes(wanted))
}

/** `a, b and c`, for help texts that name harnesses. */
export function listInProse(items: readonly string[], conjunction = 'and'): string {
  return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} ${conjunction} ${items[items.length - 1]}`
}

/** Display names of the harnesses whose hook output has this style. */
export function harnessesWithOutput(style: OutputStyle): string[] {
  return HARNESS_IDS.filter((id) => HARNESS_PROFILES[id].output === style).map((id) => HARNESS_PROFILES[id].displayName)
}
