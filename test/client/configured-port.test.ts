import {mkdirSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {beforeEach, describe, expect, it} from 'vitest'

import {portFromAgentYaml} from '../../src/client/configured-port.js'
import {resolveDaemonEndpoint} from '../../src/client/resolve-endpoint.js'
import {parseAgentConfig} from '../../src/config/agent-config.js'
import {starterAgentYaml} from '../../src/config/workspace.js'
import {useTempHomeInProcess} from '../helpers/temp-home.js'

// The CLI names a local daemon that is down by the port agent.yaml gives it, read by a line reader
// instead of the YAML parser and the settings schema (B5 in bench/README.md). Whenever the reader
// answers for a valid file, it must give what the full parse gives.

/** network.port as the daemon would take it; undefined for a file the daemon refuses. */
function fullParsePort(text: string): number | undefined {
  try {
    return parseAgentConfig(text).network.port
  } catch {
    return undefined
  }
}

const STARTER = starterAgentYaml('signet')

/** Layouts people write by hand: the reader must answer, with the full parse's port. */
const HAND_EDITED: Array<[string, string, number]> = [
  ['the starter file', STARTER, 3850],
  ['a changed port', STARTER.replace('port: 3850', 'port: 4123'), 4123],
  ['a port with a comment', STARTER.replace('port: 3850', 'port: 4123   # moved off 3850'), 4123],
  ['no port (default)', STARTER.replace('  port: 3850\n', ''), 3850],
  ['no network section', 'version: 1\nauth:\n  mode: local\n', 3850],
  ['an empty file', '', 3850],
  ['four-space indentation', 'network:\n    mode: localhost\n    port: 4200\n', 4200],
  ['port before mode, CRLF line ends', 'network:\r\n  port: 4201\r\n  mode: localhost\r\n', 4201],
  ['a leading document marker and a BOM', '\uFEFF---\nnetwork:\n  port: 4202\n', 4202],
  ['hostnames as a nested list', 'network:\n  hostnames:\n    - box.tailnet.ts.net\n  port: 4203\n', 4203],
  ['a port key elsewhere', 'agent:\n  name: port\nnetwork:\n  port: 4204\n', 4204],
  ['a top-level list at its key indentation', 'harnesses:\n- codex\n- claude-code\nnetwork:\n  port: 4205\n', 4205],
  [
    'quotes and brackets outside network',
    'agent:\n  name: "it\'s # mine"\n  description: don\'t [panic\nharnesses: [codex, "claude-code"]\nnetwork:\n  port: 4206\n',
    4206,
  ],
  ['comments and blank lines everywhere', '# settings\n\nnetwork:   # where it listens\n\n  # the port\n  port: 4207\n\n', 4207],
]

/** Layouts the reader must not guess at (undefined): the full parse reads something else than the plain form. */
const UNSURE: Array<[string, string]> = [
  ['a flow mapping', 'network: {port: 4300}\n'],
  ['a multi-line flow mapping', 'network: {mode: localhost,\n  port: 4301}\n'],
  ['an anchor and alias', 'base: &net\n  port: 4302\nnetwork: *net\n'],
  ['a merge key', 'network:\n  <<: {port: 4303}\n'],
  ['a quoted key', 'network:\n  "port": 4304\n'],
  ['a quoted value', "network:\n  port: '4305'\n"],
  ['a hex value', 'network:\n  port: 0x10D2\n'],
  ['a float value', 'network:\n  port: 4306.0\n'],
  ['a tagged value', 'network:\n  port: !!int "4307"\n'],
  ['a value on the next line', 'network:\n  port:\n    4308\n'],
  ['a repeated port', 'network:\n  port: 4309\n  port: 4310\n'],
  ['a repeated network', 'network:\n  port: 4311\nnetwork:\n  port: 4312\n'],
  ['two documents', 'network:\n  port: 4313\n---\nnetwork:\n  port: 4314\n'],
  ['a tab in the indentation', 'network:\n\tport: 4315\n'],
  ['a quoted top-level key', '"network":\n  port: 4316\n'],
  ['a list item under network', 'network:\n  hostnames:\n  - box.ts.net\n  port: 4317\n'],
  ['a quote left open at the top level', 'version: "1\nnetwork:\n  port: 4318"\n'],
]

describe('portFromAgentYaml', () => {
  it.each(HAND_EDITED)('%s', (_name, text, port) => {
    expect(portFromAgentYaml(text)).toBe(port)
    expect(fullParsePort(text)).toBe(port)
  })

  it.each(UNSURE)('%s: no answer', (_name, text) => {
    expect(portFromAgentYaml(text)).toBeUndefined()
  })

  it('an out-of-range port is refused by the daemon: the default, as before', () => {
    expect(portFromAgentYaml('network:\n  port: 70000\n')).toBe(3850)
    expect(portFromAgentYaml('network:\n  port: 0\n')).toBe(3850)
  })

  it('never disagrees with the full parse of a valid file, whatever is typed into it', () => {
    // Deterministic edits of the starter file: characters YAML gives meaning to, inserted anywhere.
    let seed = 42
    const random = (n: number) => {
      seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0
      return seed % n
    }
    const alphabet = [
      ' ',
      '  ',
      '\n',
      '\n  ',
      '#',
      ':',
      '-',
      '"',
      "'",
      '[',
      ']',
      '{',
      '}',
      '&a ',
      '*a',
      '!!str ',
      '|',
      '>',
      '---\n',
      '\t',
      '4',
      '0',
      'port: 4400\n',
      'network:\n',
    ]
    let answered = 0
    for (let round = 0; round < 3000; round++) {
      let text = STARTER.replace('3850', String(4000 + random(1000)))
      for (let edits = 1 + random(3); edits > 0; edits--) {
        const at = random(text.length + 1)
        text = text.slice(0, at) + alphabet[random(alphabet.length)] + text.slice(at)
      }
      const quick = portFromAgentYaml(text)
      const full = fullParsePort(text)
      if (quick === undefined || full === undefined) continue
      answered++
      expect({text, port: quick}).toEqual({text, port: full})
    }
    expect(answered).toBeGreaterThan(500)
  })
})

describe('the name of a local daemon that is down', () => {
  const ENV_KEYS = ['SIGNET_PORT', 'SIGNET_DAEMON_URL', 'SIGNET_API_KEY', 'SIGNET_TOKEN', 'SIGNET_WORKSPACE', 'HOME', 'XDG_CONFIG_HOME', 'SIGNET_NO_KEYCHAIN']
  const temp = useTempHomeInProcess(ENV_KEYS)
  beforeEach(() => mkdirSync(temp().workspace, {recursive: true}))

  const yaml = (text: string) => writeFileSync(path.join(temp().workspace, 'agent.yaml'), text)

  it('follows agent.yaml edited by hand, SIGNET_PORT over it', () => {
    yaml(STARTER)
    expect(resolveDaemonEndpoint({workspace: temp().workspace}).url).toBe('http://127.0.0.1:3850')
    yaml(STARTER.replace('port: 3850', 'port: 4123 # changed by hand'))
    expect(resolveDaemonEndpoint({workspace: temp().workspace}).url).toBe('http://127.0.0.1:4123')
    process.env.SIGNET_PORT = '4555'
    expect(resolveDaemonEndpoint({workspace: temp().workspace}).url).toBe('http://127.0.0.1:4555')
  })

  it('a layout the line reader is not sure of: named by its socket, never by a guessed port', () => {
    yaml('network: {port: 4124}\n')
    expect(resolveDaemonEndpoint({workspace: temp().workspace}).url).toBe(`unix:${path.join(temp().workspace, '.daemon/signet.sock')}`)
  })
})
