import {parseTranscriptTurns, type TranscriptTurn} from '../hooks/transcript-format.js'

/**
 * Durable memories from a finished session without an LLM (docs/architecture.md, Hooks): what the user explicitly
 * asked to remember, decisions, and stated preferences. Only the user's own words count — an
 * assistant or a tool output saying "remember …" is not the user asking.
 */

export type ExtractedKind = 'remembered' | 'decision' | 'preference'

export interface ExtractedMemory {
  content: string
  type: 'fact' | 'decision' | 'preference'
  importance: number
  tags: string[]
  kind: ExtractedKind
}

const MAX_EXTRACTED = 12
const MIN_CHARS = 12
const MAX_CHARS = 400

/** "remember that X", "please remember: X", "note that X", "keep in mind X", "for future reference, X". */
const EXPLICIT =
  /^(?:(?:ok(?:ay)?|so|also|and|hey|btw|please)[,!]?\s+)*(?:please\s+)?(?:remember|note|keep in mind|don'?t forget|never forget|for future reference|for the record)(?:\s+(?:that|this))?\s*[:,-]?\s+(.+)$/i
/** Not requests to store: "remember when…", "do you remember", "I remember", "note the error above". */
const EXPLICIT_FALSE_START = /^(?:when|how|what|why|where|if|whether|to\s|the\s+(?:error|output|above|following)|this\s+(?:error|output))/i

const DECISION = [
  /^(?:we|i)\s+(?:have\s+|'ve\s+)?(?:decided|agreed|settled on|chose|chosen|picked|are going with|will go with|'ll go with)\b.+/i,
  /^(?:we|i)(?:'ll| will)\s+(?:use|stick with|keep|switch to|standardi[sz]e on|move to)\b.+/i,
  /^(?:decision|decided)\s*[:-]\s*.+/i,
  /^let'?s\s+(?:go with|use|stick with|switch to|standardi[sz]e on)\b.+/i,
]

const PREFERENCE = [
  /^i\s+(?:really\s+)?(?:prefer|like|love|hate|dislike|don'?t like|want|always|never|usually|tend to)\b.+/i,
  /^(?:we|our team)\s+(?:prefer|always|never|usually|don'?t|do not)\b.+/i,
  /^(?:always|never|please always|please never|from now on|going forward|in the future)\b[,\s].+/i,
  /^(?:my|our)\s+(?:preference|preferred|favou?rite|convention|style)\b.+/i,
]

function sentences(text: string): string[] {
  return text
    .replace(/```[\s\S]*?```/g, ' ')
    .split(/(?<=[.!?])\s+|\n+/)
    .map((sentence) => sentence.trim().replace(/^[-*>\d.)\s]+/, ''))
    .filter(Boolean)
}

function clean(text: string): string {
  const trimmed = text.trim().replace(/\s+/g, ' ')
  const body = trimmed.length > MAX_CHARS ? `${trimmed.slice(0, MAX_CHARS - 1)}…` : trimmed
  return body.charAt(0).toUpperCase() + body.slice(1)
}

function usable(sentence: string): boolean {
  return sentence.length >= MIN_CHARS && !sentence.endsWith('?') && !/[{};]\s*$/.test(sentence)
}

export function extractFromTurns(turns: TranscriptTurn[]): ExtractedMemory[] {
  const found = new Map<string, ExtractedMemory>()
  const add = (memory: ExtractedMemory) => {
    const key = memory.content.toLowerCase()
    if (!found.has(key) && found.size < MAX_EXTRACTED) found.set(key, memory)
  }
  for (const turn of turns) {
    if (turn.role !== 'user') continue
    for (const sentence of sentences(turn.text)) {
      if (!usable(sentence)) continue
      const explicit = EXPLICIT.exec(sentence)
      if (explicit && !EXPLICIT_FALSE_START.test(explicit[1]) && explicit[1].length >= MIN_CHARS - 4) {
        add({content: clean(explicit[1]), type: 'fact', importance: 0.8, tags: ['remembered'], kind: 'remembered'})
        continue
      }
      if (DECISION.some((pattern) => pattern.test(sentence))) {
        add({content: clean(sentence), type: 'decision', importance: 0.7, tags: ['decision'], kind: 'decision'})
        continue
      }
      if (PREFERENCE.some((pattern) => pattern.test(sentence))) {
        add({content: clean(sentence), type: 'preference', importance: 0.7, tags: ['preference'], kind: 'preference'})
      }
    }
  }
  return [...found.values()]
}

/** From a formatted transcript ("User: …" turns) or any raw format the formatter understands. */
export function extractDurableMemories(transcript: string): ExtractedMemory[] {
  return extractFromTurns(parseTranscriptTurns(transcript) ?? parseRenderedTurns(transcript))
}

/** Parse the `User: …` / `Assistant: …` text the hook CLI sends. Text without roles counts as the user's. */
export function parseRenderedTurns(text: string): TranscriptTurn[] {
  const turns: TranscriptTurn[] = []
  const pattern = /^(User|Assistant):[ \t]?/gm
  const marks = [...text.matchAll(pattern)]
  if (marks.length === 0) return text.trim() ? [{role: 'user', text}] : []
  for (const [index, mark] of marks.entries()) {
    const start = (mark.index ?? 0) + mark[0].length
    const end = index + 1 < marks.length ? (marks[index + 1].index ?? text.length) : text.length
    turns.push({role: mark[1] === 'User' ? 'user' : 'assistant', text: text.slice(start, end).trim()})
  }
  return turns
}
