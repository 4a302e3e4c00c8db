import {readdirSync, readFileSync} from 'node:fs'
import path from 'node:path'

import {check} from 'recheck'
import ts from 'typescript'
import {describe, expect, it} from 'vitest'

import {promptRecallQuery} from '../../src/daemon/routes/hooks.js'
import {userWords} from '../../src/hooks/harness-wrappers.js'
import {renderRecalledNotes, stripInjectedBlocks} from '../../src/hooks/inject-format.js'
import {formatTranscript} from '../../src/hooks/transcript-format.js'
import {formatRecall} from '../../src/mcp/tools.js'
import {normalizeForDedup} from '../../src/store/content-hash.js'
import {extractDurableMemories} from '../../src/store/memory-extraction.js'
import {mergeWorkingMemoryBlock} from '../../src/store/memory-md.js'
import {queryTerms} from '../../src/store/query-terms.js'
import {expectLinear, repeatTo} from './support/linear-time.js'

const SRC = path.resolve(import.meta.dirname, '../../src')

/**
 * Regular expressions recheck finds super-linear that only ever see the owner's own data (config values,
 * local files, messages the code builds). Keyed by file and source, not line, so edits elsewhere in the
 * file do not break it. Anything new that recheck flags must be fixed, or listed here with the reason
 * no request body, header, hook payload, transcript or stored memory can reach it.
 */
const NOT_ATTACKER_REACHABLE: Record<string, string> = {
  'client/daemon-client.ts /\\/+$/': "the daemon URL from the owner's config",
  'forge/release.ts /\\/+$/': "the Forge release URL from the owner's config",
  'store/embed/http-embedders.ts /\\/+$/': "the embedder URL from the owner's config",
  'commands/import.ts /^memories\\.(\\d+)\\.?(.*)$/': 'validation issue paths the CLI builds from array indexes',
  'connectors/connector.ts /(\\d+)\\.(\\d+)\\.(\\d+)/': 'the version line of a harness CLI installed on this machine',
  'connectors/remote-daemon.ts /\\(([^)]*)\\)/': 'the local fetch error message',
  'hooks/project-identity.ts /^gitdir:\\s*(.+?)\\s*$/m': 'the .git file of the local checkout',
  'hooks/project-identity.ts /^url\\s*=\\s*(.*)$/i': 'the local .git/config',
  'hooks/project-identity.ts /\\s+[#;].*$/': 'the local .git/config',
  'hooks/project-identity.ts /^\\/+|\\/+$/g': 'the remote URL from the local .git/config',
  'hooks/project-identity.ts /\\/+$/': 'the remote URL from the local .git/config',
  "store/memory-extraction.ts /^(?:(?:ok(?:ay)?|so|also|and|hey|btw|please)[,!]?\\s+)*(?:please\\s+)?(?:remember|note|keep in mind|don'?t forget|never forget|for future reference|for the record)(?:\\s+(?:that|this))?\\s*[:,-]?\\s+(.+)$/i":
    'runs on trimmed sentences: `(.+)$` fails, and the \\s* \\s+ split backtracks, only when the text ends in a line break, which trim() removes (extractDurableMemories is timed below)',
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, {withFileTypes: true}).flatMap((entry) => {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) return sourceFiles(full)
    return entry.name.endsWith('.ts') ? [full] : []
  })
}

function regexLiterals(file: string): Array<{literal: string; line: number}> {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true)
  const found: Array<{literal: string; line: number}> = []
  const visit = (node: ts.Node) => {
    if (node.kind === ts.SyntaxKind.RegularExpressionLiteral) {
      found.push({literal: node.getText(source), line: source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1})
    }
    ts.forEachChild(node, visit)
  }
  visit(source)
  return found
}

describe('regular expressions in src/ cannot be made to backtrack super-linearly', () => {
  it('recheck finds no vulnerable literal outside the reviewed list', {timeout: 300_000}, async () => {
    const literals = sourceFiles(SRC).flatMap((file) =>
      regexLiterals(file).map((found) => ({...found, file: path.relative(SRC, file).split(path.sep).join('/')})),
    )
    expect(literals.length).toBeGreaterThan(50)
    const vulnerable: string[] = []
    const seen = new Set<string>()
    // One at a time: recheck's agent is one process, and the machine has two cores.
    for (const {literal, line, file} of literals) {
      const key = `${file} ${literal}`
      seen.add(key)
      const slash = literal.lastIndexOf('/')
      // A fixed seed: recheck's fuzzing part must give the same verdict on every run.
      const result = await check(literal.slice(1, slash), literal.slice(slash + 1), {timeout: 5000, randomSeed: 20_261_129})
      if (result.status === 'vulnerable' && !(key in NOT_ATTACKER_REACHABLE)) {
        vulnerable.push(`${file}:${line} ${literal} — ${result.complexity.type}, attack ${result.attack.pattern}`)
      }
    }
    expect(vulnerable, 'fix these (anchor the run start with a lookbehind, make adjacent quantifiers disjoint, or scan by hand)').toEqual([])
    // The reviewed list must not outlive the expressions it excuses.
    expect(Object.keys(NOT_ATTACKER_REACHABLE).filter((key) => !seen.has(key))).toEqual([])
  })
})

/** Inputs that made the old expressions rescan a run from every position. */
const WHITESPACE_RUNS = (size: number) => `x${repeatTo(' \t', size)}x`

describe('attacker-reachable text functions take linear time', () => {
  const cases: Array<[string, (input: string) => unknown, (size: number) => string]> = [
    ['promptRecallQuery on unclosed harness wrappers', promptRecallQuery, (size) => repeatTo('<command-args>g', size)],
    ['promptRecallQuery on whitespace', promptRecallQuery, WHITESPACE_RUNS],
    ['userWords on nested unclosed wrappers', userWords, (size) => repeatTo('<system-reminder><command-args>x</command-args>', size)],
    ['stripInjectedBlocks on unclosed and escaped fences', stripInjectedBlocks, (size) => repeatTo('<signet-recalled-memories>&lt;signet-x&gt;', size)],
    [
      'formatTranscript on a JSONL user turn of unclosed wrappers',
      formatTranscript,
      (size) => JSON.stringify({type: 'user', message: {role: 'user', content: repeatTo('<system-reminder>a', size)}}),
    ],
    // A carriage return is not a sentence break and `.` does not cross it: were sentences not trimmed, this would be cubic.
    ['extractDurableMemories on "note" and a whitespace run', extractDurableMemories, (size) => `User: NOTE ${repeatTo('\t\t', size)}\rx`],
    ['extractDurableMemories on repeated lead-ins', extractDurableMemories, (size) => `User: ${repeatTo('so \t ', size)}remember \rx`],
    ['queryTerms on separators', queryTerms, (size) => repeatTo('a-b.c_', size)],
    [
      'renderRecalledNotes on a fence opener and whitespace',
      (text) => renderRecalledNotes([{id: 'm1', content: text}], {maxChars: 9500, maxNoteChars: 1 << 21}),
      (size) => `<${repeatTo('\t', size)}<x`,
    ],
    [
      'formatRecall on whitespace without a newline',
      (text) =>
        formatRecall({
          results: [{id: 'm1', content: text, score: 1, type: 'fact', tags: [], createdAt: '2025-01-01T00:00:00.000Z'} as never],
          meta: {method: 'bm25', total: 1} as never,
        }),
      WHITESPACE_RUNS,
    ],
    ['normalizeForDedup on trailing punctuation', normalizeForDedup, (size) => `${repeatTo('!', size)}x`],
    ['mergeWorkingMemoryBlock on a whitespace run', (text) => mergeWorkingMemoryBlock(text, 'block'), WHITESPACE_RUNS],
  ]
  for (const [label, fn, makeInput] of cases) {
    it(label, {timeout: 120_000}, () => {
      expectLinear(label, fn, makeInput, {budgetMs: 200})
    })
  }
})
