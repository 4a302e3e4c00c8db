import type {HookEvent, HookHarness} from './events.js'

/** The parts of a daemon hook answer that any harness output is made from. */
export interface HookAnswer {
  inject?: string
  summaryPrompt?: string
  [key: string]: unknown
}

/** Harnesses that parse stdout as a Claude-style hook JSON object. */
const JSON_HARNESSES = new Set<HookHarness>(['claude-code', 'codex', 'gemini'])

/** `hookSpecificOutput.hookEventName` per harness: Gemini calls its per-prompt hook BeforeAgent. */
function hookEventName(harness: HookHarness, event: HookEvent): string | undefined {
  if (event === 'session-start') return 'SessionStart'
  if (event === 'user-prompt-submit') return harness === 'gemini' ? 'BeforeAgent' : 'UserPromptSubmit'
  return undefined
}

/**
 * Exactly what the harness reads on stdout, or undefined for "print nothing":
 * - Claude Code, Codex, Gemini: `{"hookSpecificOutput":{"hookEventName", "additionalContext"}}` on the
 *   two events that inject; nothing elsewhere (their PreCompact/PostCompact/SessionEnd/Stop output is
 *   ignored or, for Codex Stop and Gemini, strictly validated — silence is always valid).
 * - OpenCode, Pi, OpenClaw plugins: plain text they splice into the prompt; pre-compaction gives the
 *   summary guidelines for their compaction hooks.
 * - Hermes: `{"context": "…"}` for pre_llm_call (user-prompt-submit), nothing elsewhere.
 * - generic: the daemon's JSON answer, for scripts.
 */
export function renderHarnessOutput(harness: HookHarness, event: HookEvent, answer: HookAnswer): string | undefined {
  if (harness === 'generic') return JSON.stringify(answer) + '\n'
  if (harness === 'hermes') {
    // Hermes reads stdout as JSON and injects only pre_llm_call's `context`; silence elsewhere
    const context = typeof answer.inject === 'string' ? answer.inject.trim() : ''
    return event === 'user-prompt-submit' && context ? JSON.stringify({context}) + '\n' : undefined
  }
  if (JSON_HARNESSES.has(harness)) {
    const name = hookEventName(harness, event)
    const context = typeof answer.inject === 'string' ? answer.inject : ''
    if (!name || context.trim() === '') return undefined
    return JSON.stringify({hookSpecificOutput: {hookEventName: name, additionalContext: context}}) + '\n'
  }
  if (event === 'session-start' || event === 'user-prompt-submit') {
    const text = typeof answer.inject === 'string' ? answer.inject.trim() : ''
    return text ? text + '\n' : undefined
  }
  if (event === 'pre-compaction') {
    const text = typeof answer.summaryPrompt === 'string' ? answer.summaryPrompt.trim() : ''
    return text ? text + '\n' : undefined
  }
  return undefined
}
