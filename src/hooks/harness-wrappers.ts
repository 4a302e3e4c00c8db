import {HARNESS_IDS, HARNESS_PROFILES} from '../harnesses/registry.js'
import {stripInjectedBlocks} from './inject-format.js'

/**
 * What harnesses wrap around (or put beside) the user's words in a prompt or a transcript's user
 * turn. Recall must run on the user's words: with Gemini CLI's session context prepended to a
 * `gemini -p` prompt, recall saw kilobytes of identity text and found nothing for the question.
 * The tags are each harness profile's `wrapperTags` (src/harnesses/), applied whatever the
 * harness: the daemon formats transcripts without knowing which harness wrote them. OpenClaw puts
 * channel metadata in front of a message: `Conversation info (untrusted metadata):`, `Sender
 * (untrusted metadata):`, `Replied message (untrusted, for context):`…, each followed by a fenced
 * JSON block (see stripOpenClawEnvelope).
 */
const WRAPPER_TAGS = new Set<string>(HARNESS_IDS.flatMap((id) => HARNESS_PROFILES[id].wrapperTags.strip))

/** Tags whose content is the user's own words: the tags go, the content stays. */
const UNWRAP_TAGS = new Set<string>(HARNESS_IDS.flatMap((id) => HARNESS_PROFILES[id].wrapperTags.unwrap))

const MAX_TAG_NAME = 32

/**
 * `text` without harness wrapper blocks. A wrapper that is opened and never closed is left as it
 * is (it may be the user's own text). Linear time: one indexOf scan, and for each tag the position
 * of its next closing tag is remembered, so unclosed openings cannot make the scan quadratic.
 */
export function stripHarnessWrappers(text: string): string {
  if (!text.includes('<')) return text
  let out = ''
  let copied = 0
  let pos = 0
  const nextClose = new Map<string, number>()
  while (pos < text.length) {
    const open = text.indexOf('<', pos)
    if (open < 0) break
    pos = open + 1
    let end = pos
    while (end < text.length && end - pos < MAX_TAG_NAME && isWrapperNameChar(text.charCodeAt(end))) end++
    if (text[end] !== '>' || end === pos) continue
    const name = text.slice(pos, end)
    const unwrap = UNWRAP_TAGS.has(name)
    if (!unwrap && !WRAPPER_TAGS.has(name)) continue
    const closeTag = `</${name}>`
    let close = nextClose.get(name)
    if (close === undefined || (close >= 0 && close < end)) {
      close = text.indexOf(closeTag, end)
      nextClose.set(name, close)
    }
    if (close < 0) continue
    out += text.slice(copied, open)
    if (unwrap) out += text.slice(end + 1, close)
    copied = close + closeTag.length
    pos = copied
  }
  return copied === 0 ? text : out + text.slice(copied)
}

function isWrapperNameChar(code: number): boolean {
  return (code >= 0x61 && code <= 0x7a) || code === 0x2d || code === 0x5f
}

const UNTRUSTED_MARKERS = ['(untrusted metadata):', '(untrusted, for context):']

/**
 * `text` without OpenClaw's metadata envelope: a line ending in one of UNTRUSTED_MARKERS and
 * the fenced block that starts on the next line, both removed. Left as it is when the fence is
 * not there or never closed. Linear time (indexOf scanning; each removal moves past its fence).
 */
export function stripOpenClawEnvelope(text: string): string {
  if (!text.includes('(untrusted')) return text
  let out = ''
  let copied = 0
  let pos = 0
  while (pos < text.length) {
    const at = text.indexOf('(untrusted', pos)
    if (at < 0) break
    pos = at + 1
    const marker = UNTRUSTED_MARKERS.find((candidate) => text.startsWith(candidate, at))
    if (!marker) continue
    let next = at + marker.length
    if (text[next] === '\r') next++
    if (text[next] !== '\n' || !text.startsWith('```', next + 1)) continue
    const close = text.indexOf('\n```', next + 4)
    // no closing fence after this one means none after any later marker either
    if (close < 0) break
    let lineStart = at
    while (lineStart > copied && text[lineStart - 1] !== '\n') lineStart--
    out += text.slice(copied, lineStart)
    copied = close + 4
    pos = copied
  }
  return copied === 0 ? text : out + text.slice(copied)
}

/**
 * The user's words in a prompt: Signet's own injected blocks removed first (they are the blocks
 * Signet controls, escaped inside, so nothing in them can open a wrapper), then the harness's
 * wrappers, whitespace trimmed.
 */
export function userWords(text: string): string {
  return stripOpenClawEnvelope(stripHarnessWrappers(stripInjectedBlocks(text))).trim()
}
