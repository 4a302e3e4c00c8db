import path from 'node:path'

/*
 * What Signet knows about a harness, as plain data: one profile per harness (src/harnesses/<id>.ts),
 * read by the hook, the connectors, harness sync, setup and help. Every field is required, so a new
 * harness that forgets a piece fails the type check instead of yielding a hook that silently does
 * nothing. Profiles import nothing but node:path: the hook bundle loads them on every prompt.
 */

/** The lifecycle events every harness's own hook names are mapped onto (docs/architecture.md, Hooks). */
export const HOOK_EVENTS = ['session-start', 'user-prompt-submit', 'pre-compaction', 'compaction-complete', 'session-end'] as const
export type HookEvent = (typeof HOOK_EVENTS)[number]

export type Version = readonly [number, number, number]

/** A harness hook point that runs one Signet event. */
export interface NativeHook {
  /** The harness's own name for it: a config key for shell hooks, an event or hook name for plugins. */
  native: string
  /** More points that run the same Signet event (OpenClaw sends transcripts after each turn and at the end). */
  alsoOn?: readonly string[]
  /** First harness version that knows this hook (Claude Code voids its whole settings file on an unknown key). */
  since?: Version
  /** Written only when the installed version is known to be at least `since`. */
  needsVersionProbe?: boolean
  /** Timeout written into the harness config when the harness clamps it below Signet's ceiling (seconds). */
  timeoutSeconds?: number
}

/** The harness has no point for this event; `none` says why (and what covers the event instead, if anything). */
export interface NoNativeHook {
  none: string
}

export type EventMapping = NativeHook | NoNativeHook

export function isNativeHook(mapping: EventMapping): mapping is NativeHook {
  return 'native' in mapping
}

/**
 * What the hook prints for the harness (src/hooks/harness-output.ts renders each style):
 * - `hook-specific-output`: `{"hookSpecificOutput":{"hookEventName", "additionalContext"}}` on the two
 *   events that inject, the event name being the harness's native one; nothing elsewhere.
 * - `plain-text`: text a plugin splices into the prompt; pre-compaction gives summary guidelines.
 * - `context-json`: `{"context": …}` on the prompt event only (Hermes's pre_llm_call).
 */
export type OutputStyle = 'hook-specific-output' | 'plain-text' | 'context-json'

/**
 * Transcript shapes the hook and the daemon read (src/hooks/transcript-format.ts has one reader each):
 * Claude Code JSONL, Codex rollout JSONL, Gemini CLI chat JSON, Pi session JSONL, a `messages` array of
 * `{role, content}` (sent inline by plugins and Hermes), or text already rendered as `User: …` turns.
 */
export type TranscriptFormat = 'claude-jsonl' | 'codex-rollout' | 'gemini-chat' | 'pi-session' | 'messages' | 'plain-text'

/** How Signet is installed: entries in the harness's hook config, or an in-process plugin file. */
export type IntegrationKind = 'shell-hooks' | 'plugin'

/** Where paths are resolved from: a connector context and the daemon's sync environment both fit. */
export interface HarnessEnvironment {
  home: string
  env: Record<string, string | undefined>
}

/** How the harness's hook stdin names what the generic field list (src/hooks/hook-payload.ts) does not cover. */
export interface PayloadProfile {
  /** Environment variables holding the session id when stdin lacks one, first match wins. */
  sessionKeyEnv: readonly string[]
  /** Environment variables holding the project directory when stdin lacks one. */
  cwdEnv: readonly string[]
  /** Fields naming why a session started (Pi calls it `reason`). */
  sourceFields: readonly string[]
  /** An object whose fields are the event's own (Hermes puts them in `extra`), or null. */
  nestedFieldsIn: string | null
}

/**
 * Tags (`<name>…</name>`) the harness puts around or beside the user's words in prompts and
 * transcripts: `strip` blocks are removed whole, `unwrap` tags go and their content (the user's own
 * words) stays. Recall and memory extraction run on what is left (src/hooks/harness-wrappers.ts).
 * Names are lower case letters, `-` and `_`.
 */
export interface WrapperTags {
  strip: readonly string[]
  unwrap: readonly string[]
}

/**
 * A harness clock shared by all hooks of one event, which Signet's budget must fit inside: Claude
 * Code gives all SessionEnd hooks 1.5 s together unless its variable says otherwise.
 */
export interface SharedHookClock {
  event: HookEvent
  env: string
  defaultMs: number
}

export interface HarnessProfile<Id extends string = string> {
  id: Id
  /** As shown to people: `signet connector list`, prompts, help. */
  displayName: string
  /** Other names people type for it (package or product names); `connectorFor` accepts them. */
  aliases: readonly string[]
  /** Where the harness documents the hook or plugin surface Signet uses. */
  docsUrl: string
  /** The executable whose `--version` says the harness is installed. */
  binary: string
  integration: IntegrationKind
  /** Every Signet event, mapped to the harness's point or explicitly not. */
  events: Record<HookEvent, EventMapping>
  output: OutputStyle
  /** The transcript shapes the harness sends, the usual one first. */
  transcripts: readonly [TranscriptFormat, ...TranscriptFormat[]]
  payload: PayloadProfile
  wrapperTags: WrapperTags
  sharedHookClock: SharedHookClock | null
  /** Hermes injects context only with prompts: its first prompt also carries what session start gives. */
  sessionStartWithFirstPrompt: boolean
  /** The directory holding the harness's own configuration, after its environment overrides. */
  configDir(environment: HarnessEnvironment): string
  /** Environment variables that move where the harness keeps its files, each with what it moves. */
  envOverrides: Readonly<Record<string, string>>
  /** The global instruction file in `configDir` that harness sync writes AGENTS.md into, or null. */
  instructionFile: string | null
  /** The folder in `configDir` the harness reads personal skills from (linked by the connector), or null. */
  skillsDir: string | null
}

/** An environment override that is an absolute path; a relative or empty value is ignored, as the harnesses do. */
export function absoluteOverride(value: string | undefined): string | undefined {
  return value && path.isAbsolute(value) ? value : undefined
}

/** `~/x` → `<home>/x` (Pi-family and Hermes variables accept it). */
export function expandHome(home: string, value: string): string {
  return value.startsWith('~/') ? path.join(home, value.slice(2)) : value
}

/** The Signet events the harness has a point for, in event order, with that point. */
export function nativeHooks(profile: Pick<HarnessProfile, 'events'>): Array<NativeHook & {event: HookEvent}> {
  return HOOK_EVENTS.flatMap((event) => {
    const mapping = profile.events[event]
    return isNativeHook(mapping) ? [{...mapping, event}] : []
  })
}
