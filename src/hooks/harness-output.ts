import {type HarnessProfile, type HookEvent, isNativeHook, type OutputStyle} from '../harnesses/profile.js'
import {HARNESS_PROFILES} from '../harnesses/registry.js'
import type {HookHarness} from './events.js'

/** The parts of a daemon hook answer that any harness output is made from. */
export interface HookAnswer {
  inject?: string
  summaryPrompt?: string
  [key: string]: unknown
}

type Renderer = (profile: HarnessProfile, event: HookEvent, answer: HookAnswer) => string | undefined

/** One renderer per output style (src/harnesses/profile.ts describes each). */
const RENDERERS: Record<OutputStyle, Renderer> = {
  // Claude Code, Codex, Gemini: their PreCompact/PostCompact/SessionEnd/Stop output is ignored or,
  // for Codex Stop and Gemini, strictly validated — silence is always valid.
  'hook-specific-output': (profile, event, answer) => {
    if (event !== 'session-start' && event !== 'user-prompt-submit') return undefined
    const mapping = profile.events[event]
    const context = typeof answer.inject === 'string' ? answer.inject : ''
    if (!isNativeHook(mapping) || context.trim() === '') return undefined
    // hookEventName is the harness's own name for the event (Gemini calls its per-prompt hook BeforeAgent).
    return JSON.stringify({hookSpecificOutput: {hookEventName: mapping.native, additionalContext: context}}) + '\n'
  },
  'plain-text': (_profile, event, answer) => {
    const field = event === 'session-start' || event === 'user-prompt-submit' ? answer.inject : event === 'pre-compaction' ? answer.summaryPrompt : undefined
    const text = typeof field === 'string' ? field.trim() : ''
    return text ? text + '\n' : undefined
  },
  // Hermes reads stdout as JSON and injects only pre_llm_call's `context`; silence elsewhere.
  'context-json': (_profile, event, answer) => {
    const context = typeof answer.inject === 'string' ? answer.inject.trim() : ''
    return event === 'user-prompt-submit' && context ? JSON.stringify({context}) + '\n' : undefined
  },
}

/**
 * Exactly what the harness reads on stdout, or undefined for "print nothing": the harness profile's
 * output style, or for `generic` the daemon's JSON answer (for scripts).
 */
export function renderHarnessOutput(harness: HookHarness, event: HookEvent, answer: HookAnswer): string | undefined {
  if (harness === 'generic') return JSON.stringify(answer) + '\n'
  const profile = HARNESS_PROFILES[harness]
  return RENDERERS[profile.output](profile, event, answer)
}
