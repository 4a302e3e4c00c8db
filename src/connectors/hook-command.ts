import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {HOOK_EVENTS, type HookEvent} from '../hooks/events.js'

export {HOOK_EVENTS, type HookEvent}

/**
 * How long a harness lets each hook run before giving up on it, in seconds. The hook keeps its
 * own, shorter budgets (docs/architecture.md, Hooks); this is the outer ceiling written into harness configs.
 */
export const HOOK_TIMEOUT_SECONDS: Record<HookEvent, number> = {
  'session-start': 20,
  'user-prompt-submit': 10,
  'pre-compaction': 10,
  'compaction-complete': 10,
  'session-end': 30,
}

/** Absolute paths of this package's entry points, so harness configs work with any PATH. */
export interface SignetEntryPoints {
  node: string
  runJs: string
  mcpJs: string
  /** Compiled module in-process extensions (Pi, OpenClaw) import for hooks and tools. */
  bridgeJs: string
}

export function signetEntryPoints(): SignetEntryPoints {
  // src/connectors/ and dist/connectors/ are both two levels below the package root
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
  return {
    node: process.execPath,
    runJs: path.join(root, 'bin', 'run.js'),
    mcpJs: path.join(root, 'bin', 'mcp.js'),
    bridgeJs: path.join(root, 'dist', 'connectors', 'harness-bridge.js'),
  }
}

/** POSIX shell double-quoting: only `"`, `\`, `$` and backtick are special inside. */
export function shellQuote(value: string): string {
  return `"${value.replace(/(["\\$`])/g, '\\$1')}"`
}

/** `"/usr/bin/node" "/abs/bin/run.js" hook <event> -H <harness>` — never a key, never a URL. */
export function buildHookCommand(entry: SignetEntryPoints, event: HookEvent, harness: string): string {
  return `${shellQuote(entry.node)} ${shellQuote(entry.runJs)} hook ${event} -H ${harness}`
}

/** Split a shell command line into words (quotes and backslashes; no expansion). */
export function splitShellWords(command: string): string[] {
  const words: string[] = []
  let current = ''
  let inWord = false
  let quote: '"' | "'" | undefined
  for (let i = 0; i < command.length; i++) {
    const char = command[i]
    if (quote === "'") {
      if (char === "'") quote = undefined
      else current += char
      continue
    }
    if (quote === '"') {
      if (char === '"') quote = undefined
      else if (char === '\\' && i + 1 < command.length && '"\\$`'.includes(command[i + 1])) current += command[++i]
      else current += char
      continue
    }
    if (char === "'" || char === '"') {
      quote = char
      inWord = true
    } else if (char === '\\' && i + 1 < command.length) {
      current += command[++i]
      inWord = true
    } else if (/\s/.test(char)) {
      if (inWord) words.push(current)
      current = ''
      inWord = false
    } else {
      current += char
      inWord = true
    }
  }
  if (inWord) words.push(current)
  return words
}

/** Programs that are Signet's CLI: the `signet` bin, or a package's `bin/run.js` (how we install). */
function isSignetProgram(word: string): boolean {
  const base = word.split(/[\\/]/).pop() ?? word
  if (base === 'signet' || base === 'signet.cmd' || base === 'signet.exe') return true
  return /(^|[\\/])bin[\\/]run\.js$/.test(word)
}

/**
 * Which Signet hook event a harness hook command runs, or undefined when it is not ours.
 * Ownership is structural — the command runs Signet's `hook <event> -H <harness>` — never a
 * marker field. Paths may differ between versions (the package moved), the shape does not.
 */
export function signetHookEventOf(command: unknown): HookEvent | undefined {
  if (typeof command !== 'string') return undefined
  const words = splitShellWords(command)
  for (let i = 0; i + 2 < words.length; i++) {
    if (!isSignetProgram(words[i]) || words[i + 1] !== 'hook') continue
    const event = words[i + 2] as HookEvent
    const rest = words.slice(i + 3)
    if (HOOK_EVENTS.includes(event) && (rest.includes('-H') || rest.includes('--harness') || rest.some((w) => w.startsWith('--harness=')))) return event
  }
  return undefined
}

/** The `bin/run.js` a Signet hook command runs, if it names one (to spot installs that moved). */
export function hookEntryPointOf(command: unknown): string | undefined {
  if (typeof command !== 'string') return undefined
  return splitShellWords(command).find((word) => /(^|[\\/])bin[\\/]run\.js$/.test(word))
}
