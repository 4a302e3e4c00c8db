import type {PayloadProfile} from '../harnesses/profile.js'
import {HARNESS_PROFILES} from '../harnesses/registry.js'
import type {HookHarness} from './events.js'
import {userWords} from './harness-wrappers.js'

/** What the hook needs from a harness's stdin, whatever the harness calls each field. */
export interface HookPayload {
  sessionKey?: string
  cwd?: string
  prompt?: string
  transcriptPath?: string
  /** Inline transcript (plugins that hold the conversation in memory send it directly). */
  transcript?: string
  /** session-start origin: startup | resume | clear | compact | fork (Pi: reason). */
  source?: string
  /** compaction trigger: manual | auto. */
  trigger?: string
  /** session-end reason. */
  reason?: string
  summary?: string
  lastAssistantMessage?: string
  /** The harness says this prompt opens a new session (Hermes `is_first_turn`). */
  firstTurn?: boolean
  /** False when stdin was present but not a JSON object (logged, never fatal). */
  valid: boolean
}

type Json = Record<string, unknown>

function firstString(source: Json, names: readonly string[]): string | undefined {
  for (const name of names) {
    const value = source[name]
    if (typeof value === 'string' && value.trim() !== '') return value
  }
  return undefined
}

/** Each field under every name a harness uses for it (snake_case for Claude/Codex/Gemini, camelCase for the plugin harnesses). */
const SESSION_KEY_FIELDS = ['session_key', 'sessionKey', 'session_id', 'sessionId', 'sessionID']
const PROMPT_FIELDS = ['prompt', 'user_prompt', 'userPrompt', 'user_message', 'userMessage']
const TRANSCRIPT_PATH_FIELDS = ['transcript_path', 'transcriptPath']
const CWD_FIELDS = ['cwd', 'directory', 'worktree', 'projectDir', 'project_dir']
const SUMMARY_FIELDS = ['summary', 'compact_summary', 'compactSummary']
const ASSISTANT_FIELDS = ['last_assistant_message', 'lastAssistantMessage', 'prompt_response', 'assistant_message', 'assistantMessage', 'assistant_response']

/**
 * Parse and normalise one stdin payload. Garbage is not an error: the hook still runs with what
 * the environment tells it (cwd, session id variables) and says so in the hook log.
 */
export function parseHookPayload(raw: string, harness: HookHarness, env: NodeJS.ProcessEnv = process.env): HookPayload {
  let data: Json = {}
  let valid = true
  const text = raw.trim()
  if (text !== '') {
    try {
      const parsed = JSON.parse(text) as unknown
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) data = parsed as Json
      else valid = false
    } catch {
      valid = false
    }
  }
  const profile = harness === 'generic' ? GENERIC_PAYLOAD : HARNESS_PROFILES[harness].payload
  if (profile.nestedFieldsIn) data = flattenNestedFields(data, profile.nestedFieldsIn)
  const payload: HookPayload = {
    valid,
    sessionKey: firstString(data, SESSION_KEY_FIELDS) ?? firstEnv(env, profile.sessionKeyEnv),
    cwd: firstString(data, CWD_FIELDS) ?? firstEnv(env, profile.cwdEnv),
    prompt: promptWords(firstString(data, PROMPT_FIELDS)),
    transcriptPath: firstString(data, TRANSCRIPT_PATH_FIELDS),
    transcript: inlineTranscript(data),
    source: firstString(data, profile.sourceFields),
    trigger: firstString(data, ['trigger']),
    reason: firstString(data, ['reason']),
    summary: firstString(data, SUMMARY_FIELDS),
    lastAssistantMessage: firstString(data, ASSISTANT_FIELDS) ?? lastAssistantFromMessages(data.messages),
    firstTurn: data.is_first_turn === true ? true : undefined,
  }
  return payload
}

/**
 * Recall runs on what the user typed, not on what the harness wrapped around it (Gemini CLI
 * prepends its session context to `-p` prompts) or on Signet's own earlier output.
 */
function promptWords(prompt: string | undefined): string | undefined {
  if (prompt === undefined) return undefined
  return userWords(prompt) || undefined
}

/** `generic` (custom scripts and plugins): the common field names only. */
const GENERIC_PAYLOAD: PayloadProfile = {sessionKeyEnv: [], cwdEnv: [], sourceFields: ['source'], nestedFieldsIn: null}

/** The first of these variables that is set and not empty. */
function firstEnv(env: NodeJS.ProcessEnv, names: readonly string[]): string | undefined {
  for (const name of names) {
    if (env[name]) return env[name]
  }
  return undefined
}

/**
 * Hermes shell hooks put the event's own fields (`user_message`, `conversation_history`, …) in
 * `extra`; the top-level fields (`session_id`, `cwd`) win over same-named extras.
 */
function flattenNestedFields(data: Json, field: string): Json {
  const nested = data[field]
  if (!nested || typeof nested !== 'object' || Array.isArray(nested)) return data
  const merged: Json = {...(nested as Json), ...data}
  if (merged.messages === undefined && Array.isArray(merged.conversation_history)) merged.messages = merged.conversation_history
  return merged
}

/** A transcript passed inline: a string, or a messages array (kept as JSON for the formatter). */
function inlineTranscript(data: Json): string | undefined {
  if (typeof data.transcript === 'string' && data.transcript.trim() !== '') return data.transcript
  if (Array.isArray(data.transcript) && data.transcript.length > 0) return JSON.stringify({messages: data.transcript})
  if (Array.isArray(data.messages) && data.messages.length > 0) return JSON.stringify({messages: data.messages})
  return undefined
}

function lastAssistantFromMessages(messages: unknown): string | undefined {
  if (!Array.isArray(messages)) return undefined
  for (let index = messages.length - 1; index >= 0; index--) {
    const message = messages[index] as Json | undefined
    if (!message || typeof message !== 'object') continue
    if (message.role !== 'assistant') continue
    if (typeof message.content === 'string') return message.content
    if (Array.isArray(message.content)) {
      const text = message.content
        .map((part) => (part && typeof part === 'object' && typeof (part as Json).text === 'string' ? ((part as Json).text as string) : ''))
        .join('')
      if (text) return text
    }
  }
  return undefined
}

/** Larger payloads are cut: nothing a harness sends on stdin needs more (transcripts come by path). */
const MAX_STDIN_BYTES = 8 * 1024 * 1024

/**
 * Read the harness's stdin without trusting it to close: stop at EOF, as soon as the bytes form
 * a complete JSON value, or at the timeout (some harness builds keep the pipe open forever).
 *
 * Through the stream, not fs.read on fd 0: a blocking read left pending in libuv's thread pool
 * makes process.exit hang (observed), and a hook that cannot exit breaks the harness. The stream
 * is cheap once node:net is loaded, which the transport does before this runs.
 */
export function readHookStdin(timeoutMs: number, stream: NodeJS.ReadStream = process.stdin): Promise<string> {
  if (stream.isTTY) return Promise.resolve('')
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    let size = 0
    let settled = false
    const finish = () => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      stream.off('data', onData)
      stream.off('end', finish)
      stream.off('error', finish)
      // Let go of the pipe so it cannot keep the process alive.
      stream.pause()
      stream.destroy()
      resolve(Buffer.concat(chunks, size).toString('utf8'))
    }
    const onData = (chunk: Buffer) => {
      chunks.push(chunk)
      size += chunk.length
      if (size >= MAX_STDIN_BYTES || endsCompleteJson(chunks, size)) finish()
    }
    const timer = setTimeout(finish, timeoutMs)
    stream.on('data', onData)
    stream.once('end', finish)
    stream.once('error', finish)
  })
}

/** True when the bytes so far are one complete JSON object (no need to wait for EOF). */
function endsCompleteJson(chunks: Buffer[], size: number): boolean {
  const last = chunks[chunks.length - 1]
  // Cheap gate before a full parse: a JSON object ends with `}` (ignoring trailing whitespace).
  let end = last.length - 1
  while (end >= 0 && (last[end] === 0x0a || last[end] === 0x0d || last[end] === 0x20 || last[end] === 0x09)) end--
  if (end < 0 || last[end] !== 0x7d) return false
  try {
    JSON.parse(Buffer.concat(chunks, size).toString('utf8'))
    return true
  } catch {
    return false
  }
}
