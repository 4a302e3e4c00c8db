import {DEFAULT_DAEMON_PORT} from './daemon-url.js'

/**
 * `network.port` of an agent.yaml's text, read line by line, for naming a local daemon that is
 * down. The CLI used to load the settings schema for it (zod and yaml: ≈ 5 ms of every command
 * talking to the daemon, B5 in bench/README.md), so this reads only the block layout Signet writes
 * and people keep when editing by hand:
 *
 *     network:
 *       mode: localhost  # a comment
 *       port: 4100
 *
 * For a valid file the answer is what the full parse gives: the port, or DEFAULT_DAEMON_PORT when
 * the file sets none (an out-of-range one is refused by the daemon and also gives the default). A
 * file that is invalid elsewhere still gives the port written here (the full parse gave the
 * default). Whatever this reader cannot be sure of — a flow mapping, quotes, anchors, tags, merge
 * keys, document markers, tabs, a repeated key, a value other than plain decimal digits, a quote or
 * bracket left open on a line — gives undefined, and the caller names the daemon another way. One
 * pass over the text, each character looked at once.
 */
export function portFromAgentYaml(text: string): number | undefined {
  let inNetwork = false
  let sawNetwork = false
  let sawContent = false
  let childIndent: number | undefined
  let port: number | undefined
  for (const rawLine of text.replace(/^\uFEFF/, '').split(/\r?\n/)) {
    const line = withoutComment(rawLine)
    if (line === undefined) return undefined
    if (line.trim() === '') continue
    if (line.startsWith('---') && !sawContent && /^---\s*$/.test(line)) continue
    sawContent = true
    const indent = line.length - line.trimStart().length
    if (line.slice(0, indent).includes('\t')) return undefined
    if (indent === 0) {
      // A block sequence may sit at its key's own indentation (`harnesses:` then `- codex`).
      if (/^-(\s|$)/.test(line)) {
        if (inNetwork) return undefined
        continue
      }
      const entry = BLOCK_KEY.exec(line)
      if (!entry) return undefined
      inNetwork = entry[1] === 'network'
      if (!inNetwork) continue
      if (sawNetwork || entry[2].trim() !== '') return undefined
      sawNetwork = true
      continue
    }
    if (!inNetwork) continue
    if (UNSURE_IN_NETWORK.test(line)) return undefined
    childIndent ??= indent
    if (indent < childIndent) return undefined
    if (indent > childIndent) continue
    const entry = BLOCK_KEY.exec(line.slice(indent))
    if (!entry) return undefined
    if (entry[1] !== 'port') continue
    const value = entry[2].trim()
    if (port !== undefined || !/^[0-9]+$/.test(value)) return undefined
    port = Number(value)
  }
  if (port === undefined || port < 1 || port > 65_535) return DEFAULT_DAEMON_PORT
  return port
}

/** `key:` or `key: value` of a block mapping, the key plain. */
const BLOCK_KEY = /^([A-Za-z_][\w.-]*)[ \t]*:((?:[ \t].*)?)$/

/** Characters that start YAML forms this reader leaves to the full parse, inside `network:`. */
const UNSURE_IN_NETWORK = /["'[\]{}|>&*!%@`?,]/

/**
 * The line without its comment (a `#` at the start or after a blank, outside quotes); undefined
 * when a quote or a flow bracket stays open at the end of the line (its value goes on below). A
 * quote or bracket counts only where a value starts (the line's start, after `key: `, `- `, or
 * inside a flow collection): in the middle of plain text (`don't [panic`) it is text.
 */
function withoutComment(line: string): string | undefined {
  let quote: string | undefined
  let depth = 0
  let valueStarts = true
  for (let i = 0; i < line.length; i++) {
    const char = line[i]
    const next = line[i + 1]
    const blankAfter = next === undefined || next === ' ' || next === '\t'
    if (quote) {
      if (char === '\\' && quote === '"') i++
      else if (char === quote) quote = undefined
    } else if (char === ' ' || char === '\t') {
      continue
    } else if (char === '#' && (i === 0 || line[i - 1] === ' ' || line[i - 1] === '\t')) {
      return depth === 0 ? line.slice(0, i) : undefined
    } else if ((char === '"' || char === "'") && valueStarts) {
      quote = char
      valueStarts = false
    } else if ((char === '[' || char === '{') && (valueStarts || depth > 0)) {
      depth++
      valueStarts = true
    } else if ((char === ']' || char === '}') && depth > 0) {
      depth--
      valueStarts = false
    } else if (char === ':' || char === '-' || char === '?') {
      valueStarts = (valueStarts || char === ':') && (blankAfter || depth > 0)
    } else {
      valueStarts = char === ',' && depth > 0
    }
  }
  return quote === undefined && depth === 0 ? line : undefined
}
