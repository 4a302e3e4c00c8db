import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {buildHookCommand, shellQuote, signetHookEventOf, splitShellWords} from '../../src/connectors/hook-command.js'
import {connectorFor} from '../../src/connectors/registry.js'
import {TEST_ENTRY} from './connector-fixtures.js'

describe('hook commands', () => {
  it('quotes absolute paths and never carries a key or URL', () => {
    const command = buildHookCommand({...TEST_ENTRY, runJs: '/home/o\'neil/$HOME/"x"/bin/run.js'}, 'session-end', 'codex')
    expect(command).toBe('"/usr/local/bin/node" "/home/o\'neil/\\$HOME/\\"x\\"/bin/run.js" hook session-end -H codex')
    expect(splitShellWords(command)).toEqual(['/usr/local/bin/node', '/home/o\'neil/$HOME/"x"/bin/run.js', 'hook', 'session-end', '-H', 'codex'])
  })

  it('shell quoting round-trips any string', () => {
    fc.assert(
      fc.property(fc.array(fc.string(), {minLength: 1, maxLength: 5}), (words) => {
        expect(splitShellWords(words.map(shellQuote).join(' '))).toEqual(words)
      }),
    )
  })

  it('recognises Signet hooks by their shape, whatever the install path', () => {
    expect(signetHookEventOf(buildHookCommand(TEST_ENTRY, 'user-prompt-submit', 'claude-code'))).toBe('user-prompt-submit')
    expect(signetHookEventOf('signet hook session-start -H claude-code --project "$(pwd)"')).toBe('session-start')
    expect(signetHookEventOf('"/old/node" "/old/lib/node_modules/signetai/bin/run.js" hook session-end --harness=codex')).toBe('session-end')
    expect(signetHookEventOf('~/bin/log-prompt.sh')).toBeUndefined()
    expect(signetHookEventOf('node /x/other-cli/bin/run.js hook deploy -H prod')).toBeUndefined()
    expect(signetHookEventOf('echo signet hook session-start')).toBeUndefined()
    expect(signetHookEventOf(42)).toBeUndefined()
  })

  it('unknown harness names list the valid ones', () => {
    expect(connectorFor('Claude').id).toBe('claude-code')
    expect(() => connectorFor('cursor')).toThrow(/unknown harness "cursor" — use one of: claude-code, codex, opencode, gemini, pi, omp, openclaw, hermes/)
  })
})
