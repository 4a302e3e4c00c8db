import type {TranscriptFormat} from '../harnesses/profile.js'
import {stripHarnessWrappers, userWords} from './harness-wrappers.js'
import {stripInjectedBlocks} from './inject-format.js'

/**
 * Turn a harness transcript (Claude Code JSONL, Codex rollout JSONL, Gemini chat JSON, a generic
 * `{messages:[{role, content}]}` document, or plain text) into readable turns:
 *
 *   User: …
 *
 *   Assistant: …
 *
 * Used on the harness machine (so only text crosses the network, not multi-MB tool dumps) and
 * again by the daemon for plugins that post raw conversations. Plain text passes through.
 */

export interface TranscriptTurn {
  role: 'user' | 'assistant'
  text: string
}

type Json = Record<string, unknown>

export function formatTranscript(raw: string): string {
  const turns = parseTranscriptTurns(raw)
  // Plain text (already rendered by a hook, or sent by a plugin) still loses Signet's own blocks:
  // session search must never find text only Signet injected.
  // (OpenClaw's envelope is only removed from parsed user turns: here it may follow a "User: " label.)
  if (turns === undefined)
    return stripHarnessWrappers(stripInjectedBlocks(raw))
      .replace(/\n{3,}/g, '\n\n')
      .trim()
  return renderTurns(turns)
}

export function renderTurns(turns: TranscriptTurn[]): string {
  return turns.map((turn) => `${turn.role === 'user' ? 'User' : 'Assistant'}: ${turn.text}`).join('\n\n')
}

/** Turns when the input is a structured transcript; undefined for plain text. */
export function parseTranscriptTurns(raw: string): TranscriptTurn[] | undefined {
  const text = raw.trim()
  if (text === '' || (text[0] !== '{' && text[0] !== '[')) return undefined
  // A whole JSON document (Gemini chat file, generic messages array)…
  try {
    const doc = JSON.parse(text) as unknown
    const messages = Array.isArray(doc) ? doc : Array.isArray((doc as Json).messages) ? ((doc as Json).messages as unknown[]) : undefined
    if (messages) return messages.map(turnFromRecord).filter((turn): turn is TranscriptTurn => turn !== undefined)
    const single = turnFromRecord(doc)
    return single ? [single] : []
  } catch {
    // …or JSON lines (Claude Code, Codex).
  }
  const turns: TranscriptTurn[] = []
  let parsedAny = false
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue
    let record: unknown
    try {
      record = JSON.parse(line)
    } catch {
      continue // a torn last line while the harness is still writing
    }
    parsedAny = true
    const turn = turnFromRecord(record)
    if (turn) turns.push(turn)
  }
  return parsedAny ? mergeAdjacent(turns) : undefined
}

/** Claude Code streams one assistant message as several lines; join consecutive same-role turns. */
function mergeAdjacent(turns: TranscriptTurn[]): TranscriptTurn[] {
  const merged: TranscriptTurn[] = []
  for (const turn of turns) {
    const last = merged[merged.length - 1]
    if (last && last.role === turn.role && turn.role === 'assistant') last.text += '\n' + turn.text
    else merged.push({...turn})
  }
  return merged
}

/** One transcript format's records: whether a record is one of them, and the turn it holds (if any). */
interface RecordReader {
  claims(item: Json): boolean
  turn(item: Json): TranscriptTurn | undefined
}

/**
 * A reader per transcript format a harness profile can name (src/harnesses/); a record goes to the
 * first reader, in this order, that claims it.
 */
const RECORD_READERS: Record<TranscriptFormat, RecordReader> = {
  // Claude Code: {type:'user'|'assistant', message:{role, content}, isMeta?}
  'claude-jsonl': {
    claims: (item) => (item.type === 'user' || item.type === 'assistant') && Boolean(item.message) && typeof item.message === 'object',
    turn: (item) => (item.isMeta === true || item.isSidechain === true ? undefined : makeTurn(item.type, (item.message as Json).content)),
  },
  // Pi session file: {type:'message', message:{role:'user'|'assistant'|'toolResult', content}}
  'pi-session': {
    claims: (item) => item.type === 'message' && Boolean(item.message) && typeof item.message === 'object',
    turn: (item) => makeTurn((item.message as Json).role, (item.message as Json).content),
  },
  // Codex rollout: {type:'response_item', payload:{type:'message', role, content:[{type:'input_text'|'output_text', text}]}}
  'codex-rollout': {
    claims: (item) => item.type === 'response_item' && Boolean(item.payload) && typeof item.payload === 'object',
    turn: (item) => {
      const payload = item.payload as Json
      if (payload.type !== 'message') return undefined
      const turn = makeTurn(payload.role, payload.content)
      // Codex injects its environment and instructions as user-role items; they are not the user.
      if (turn && turn.role === 'user' && CODEX_CONTEXT_PREFIXES.some((prefix) => turn.text.startsWith(prefix))) return undefined
      return turn
    },
  },
  // Gemini chat recording: {type:'user'|'gemini', content}
  'gemini-chat': {
    claims: (item) => item.type === 'gemini' || (item.type === 'user' && 'content' in item),
    turn: (item) => makeTurn(item.type === 'gemini' ? 'assistant' : 'user', item.content ?? item.parts),
  },
  // Generic / OpenCode / Pi / Hermes messages: {role, content} or {role, parts}
  messages: {
    claims: (item) => typeof item.role === 'string',
    turn: (item) => makeTurn(item.role === 'model' ? 'assistant' : item.role, item.content ?? item.parts ?? item.text),
  },
  // Text already rendered as turns is never parsed as records (formatTranscript passes it through).
  'plain-text': {claims: () => false, turn: () => undefined},
}

function turnFromRecord(record: unknown): TranscriptTurn | undefined {
  if (!record || typeof record !== 'object') return undefined
  const item = record as Json
  for (const reader of Object.values(RECORD_READERS)) {
    if (reader.claims(item)) return reader.turn(item)
  }
  return undefined
}

/** Codex user-role items that are its own context, even when cut short (no closing tag). */
const CODEX_CONTEXT_PREFIXES = ['<environment_context', '<user_instructions', '<permissions', '# AGENTS.md instructions for ']

/**
 * A turn keeps what the person (or the model) said: in user turns the harness's wrappers
 * (reminders, slash-command echoes, hook context) go, and in every turn Signet's own injected
 * blocks go (Gemini CLI records them in the user turn, HTML-escaped).
 */
function makeTurn(role: unknown, content: unknown): TranscriptTurn | undefined {
  if (role !== 'user' && role !== 'assistant') return undefined
  const text = role === 'user' ? userWords(contentText(content)) : stripInjectedBlocks(contentText(content)).trim()
  if (!text) return undefined
  return {role, text}
}

function contentText(content: unknown): string {
  if (typeof content === 'string') return content
  if (!Array.isArray(content)) {
    if (content && typeof content === 'object' && typeof (content as Json).text === 'string') return (content as Json).text as string
    return ''
  }
  const pieces: string[] = []
  for (const part of content) {
    if (typeof part === 'string') {
      pieces.push(part)
      continue
    }
    if (!part || typeof part !== 'object') continue
    const block = part as Json
    // OpenCode marks text it added itself (plugin context such as Signet's, file attachments) as
    // synthetic: sent to the model, never typed by the user.
    if (block.synthetic === true) continue
    if (typeof block.text === 'string' && block.type !== 'thinking') pieces.push(block.text)
    else if (block.type === 'tool_use' && typeof block.name === 'string') pieces.push(`[tool: ${block.name}]`)
    // Tool results are skipped: they sit in user-role records but are not the user speaking,
    // and a file that says "remember …" must not become the user's memory.
  }
  return pieces.join('\n')
}

/**
 * Keep a transcript under `maxChars` (the daemon's body limit is 1 MiB): the opening turns carry
 * the task, the end carries the outcome, so keep a short head and a long tail.
 */
export function capTranscript(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text
  const head = Math.floor(maxChars * 0.2)
  const tail = maxChars - head - 64
  return `${text.slice(0, head)}\n\n[… ${text.length - head - tail} characters omitted …]\n\n${text.slice(text.length - tail)}`
}
