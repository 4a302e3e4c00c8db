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
  if (turns === undefined) return raw.trim()
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
    const messages = Array.isArray(doc) ? doc : Array.isArray((doc as Json).messages) ? (doc as Json).messages as unknown[] : undefined
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

function turnFromRecord(record: unknown): TranscriptTurn | undefined {
  if (!record || typeof record !== 'object') return undefined
  const item = record as Json
  // Claude Code: {type:'user'|'assistant', message:{role, content}, isMeta?}
  if ((item.type === 'user' || item.type === 'assistant') && item.message && typeof item.message === 'object') {
    if (item.isMeta === true || item.isSidechain === true) return undefined
    const message = item.message as Json
    return makeTurn(item.type, message.content)
  }
  // Pi session file: {type:'message', message:{role:'user'|'assistant'|'toolResult', content}}
  if (item.type === 'message' && item.message && typeof item.message === 'object') {
    const message = item.message as Json
    return makeTurn(message.role, message.content)
  }
  // Codex rollout: {type:'response_item', payload:{type:'message', role, content:[{type:'input_text'|'output_text', text}]}}
  if (item.type === 'response_item' && item.payload && typeof item.payload === 'object') {
    const payload = item.payload as Json
    if (payload.type !== 'message') return undefined
    const turn = makeTurn(payload.role, payload.content)
    // Codex injects its environment and instructions as user-role items; they are not the user.
    if (turn && turn.role === 'user' && /^<(environment_context|user_instructions|permissions)/.test(turn.text)) return undefined
    return turn
  }
  // Gemini chat recording: {type:'user'|'gemini', content}
  if (item.type === 'gemini' || (item.type === 'user' && 'content' in item)) {
    return makeTurn(item.type === 'gemini' ? 'assistant' : 'user', item.content ?? item.parts)
  }
  // Generic / OpenCode / Pi: {role, content} or {role, parts}
  if (typeof item.role === 'string') return makeTurn(item.role === 'model' ? 'assistant' : item.role, item.content ?? item.parts ?? item.text)
  return undefined
}

/** Harness-injected wrappers inside user records (reminders, slash-command echoes). */
const HARNESS_NOISE_TAGS = ['system-reminder', 'local-command-stdout', 'local-command-stderr', 'command-message', 'command-args']

/**
 * Removes each `<tag>…</tag>` (the nearest closing tag of the same name) and puts `replacement` in
 * its place. Not `/<(tag)>[\s\S]*?<\/\1>/g`: that rescans to the end of the text from every unclosed
 * opening tag, which is quadratic on a hostile transcript. Here each closing tag is looked up once.
 */
export function stripWrappers(text: string, tags: readonly string[], replacement = ''): string {
  const tagPattern = new RegExp(`<(/?)(${tags.join('|')})>`, 'g')
  const closings = new Map<string, number[]>()
  const openings: Array<{at: number; end: number; tag: string}> = []
  for (const match of text.matchAll(tagPattern)) {
    const at = match.index ?? 0
    if (!match[1]) openings.push({at, end: at + match[0].length, tag: match[2]})
    else if (closings.has(match[2])) closings.get(match[2])?.push(at)
    else closings.set(match[2], [at])
  }
  const nextClosing = new Map<string, number>()
  let out = ''
  let cursor = 0
  for (const {at, end, tag} of openings) {
    if (at < cursor) continue
    const list = closings.get(tag) ?? []
    let i = nextClosing.get(tag) ?? 0
    while (i < list.length && list[i] < end) i++
    nextClosing.set(tag, i)
    if (i === list.length) continue
    out += text.slice(cursor, at) + replacement
    cursor = list[i] + tag.length + 3
  }
  return out + text.slice(cursor)
}

function makeTurn(role: unknown, content: unknown): TranscriptTurn | undefined {
  if (role !== 'user' && role !== 'assistant') return undefined
  const text = stripWrappers(contentText(content), HARNESS_NOISE_TAGS).trim()
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
