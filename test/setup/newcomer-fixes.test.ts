import {readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {Config} from '@oclif/core'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {candidateUrls} from '../../src/cli/reachable-urls.js'
import {reflowDescription} from '../../src/cli/help.js'
import {freePort, runCli} from '../helpers/cli.js'
import {makeTempHome, type TempHome} from '../helpers/temp-home.js'

/* Small things a newcomer hit: each one through the real CLI where it can be. */

let temp: TempHome
let env: NodeJS.ProcessEnv

beforeEach(async () => {
  temp = makeTempHome()
  env = {...temp.env, SIGNET_PORT: String(await freePort()), PATH: path.dirname(process.execPath) + ':/usr/bin:/bin', SIGNET_NO_KEYCHAIN: '1'}
})
afterEach(async () => {
  await runCli(['daemon', 'stop'], {env})
  temp.cleanup()
})

describe('setup on a fresh machine', () => {
  it('says agent.yaml was created, and writes the identity files the layout promises without overwriting them later', async () => {
    const first = await runCli(['setup', '--yes', '--no-start'], {env, timeoutMs: 60_000})
    expect(first.code, first.stderr).toBe(0)
    expect(first.stdout).toMatch(/✓ agent\.yaml created/)
    expect(first.stdout).not.toMatch(/agent\.yaml unchanged/)
    for (const [file, heading] of [
      ['SOUL.md', '# Soul'],
      ['IDENTITY.md', '# Identity'],
      ['USER.md', '# About the user'],
      ['IDENTITY.md', 'long-term memory through Signet'],
      ['MEMORY.md', '# Working memory'],
      ['skills/remember/SKILL.md', 'name: remember'],
      ['skills/recall/SKILL.md', 'name: recall'],
    ]) {
      expect(readFileSync(path.join(temp.workspace, file), 'utf8'), file).toContain(heading)
    }
    writeFileSync(path.join(temp.workspace, 'SOUL.md'), 'my own soul\n')
    const again = await runCli(['setup', '--yes', '--no-start'], {env, timeoutMs: 60_000})
    expect(again.stdout).toMatch(/✓ agent\.yaml unchanged/)
    expect(readFileSync(path.join(temp.workspace, 'SOUL.md'), 'utf8')).toBe('my own soul\n')
  }, 120_000)
})

describe('typos', () => {
  it('a mistyped subcommand or command with arguments gets "did you mean", keeping the arguments', async () => {
    const lst = await runCli(['api-key', 'lst'], {env})
    expect(lst.code).toBe(1)
    expect(lst.stderr).toBe('Error: unknown command "signet api-key lst" — did you mean `signet api-key list`?\n')
    const connect = await runCli(['conect', 'pi'], {env})
    expect(connect.stderr).toMatch(/did you mean `signet connect pi`\?/)
    const revoke = await runCli(['api-key', 'revok', 'key_abc'], {env})
    expect(revoke.stderr).toMatch(/did you mean `signet api-key revoke key_abc`\?/)
    expect((await runCli(['api-kye'], {env})).stderr).toMatch(/did you mean `signet api-key`\?/)
  })
})

describe('help text', () => {
  it('reflows description paragraphs and keeps lists, indented lines and blank lines', () => {
    expect(reflowDescription('Title line\n\nOne paragraph written\nacross lines.\n  an indented line\n- a list item\n- another\n\nNext.')).toBe(
      'Title line\n\nOne paragraph written across lines.\n  an indented line\n- a list item\n- another\n\nNext.',
    )
  })

  it("no command's --help breaks a sentence onto a short line at 80 columns", async () => {
    const root = fileURLToPath(new URL('../..', import.meta.url))
    const run = await runCli(['export', '--help'], {env: {...env, OCLIF_COLUMNS: '80'}})
    expect(run.stdout).toMatch(/project,\n {2}createdAt and agentId: exactly/)
    const config = await Config.load(root)
    const {default: SignetHelp} = await import('../../src/cli/help.js')
    const help = new SignetHelp(config, {maxWidth: 80})
    for (const command of config.commands) {
      const text = (help as unknown as {formatCommand(c: unknown): string}).formatCommand(command)
      const description = text.split(/\n(?=[A-Z]+\n)/).find((section) => section.startsWith('DESCRIPTION')) ?? ''
      const lines = description.split('\n').slice(1)
      for (const [index, line] of lines.entries()) {
        const next = lines[index + 1] ?? ''
        // A line broken although the next word would have fitted in 80 columns is a mid-sentence break.
        const continues = /^ {2}\S/.test(next) && !/^ {2}([-*] |\$ )/.test(next)
        const ends = /[.:!?)`]$/.test(line.trim()) || line.trim() === ''
        const nextWord = next.trim().split(' ')[0] ?? ''
        const wrapped = line.length + 1 + nextWord.length > 80
        expect(wrapped || !continues || ends, `${command.id}: "${line.trim()}" / "${next.trim()}"`).toBe(true)
      }
    }
  })
})

describe('pair', () => {
  it('lists every reachable address with why, hostnames first, Tailscale before LAN, no link-local', () => {
    const interfaces = {
      lo: [{address: '127.0.0.1', family: 'IPv4', internal: true}],
      eth0: [
        {address: '192.168.1.20', family: 'IPv4', internal: false},
        {address: 'fe80::1', family: 'IPv6', internal: false},
        {address: '2001:db8::5', family: 'IPv6', internal: false},
      ],
      tailscale0: [{address: '100.101.102.103', family: 'IPv4', internal: false}],
    } as unknown as Parameters<typeof candidateUrls>[3]
    expect(candidateUrls('0.0.0.0', 3850, ['devbox.tailnet.ts.net'], interfaces)).toEqual([
      {url: 'http://devbox.tailnet.ts.net:3850', source: 'network.hostnames in agent.yaml'},
      {url: 'http://100.101.102.103:3850', source: 'Tailscale address on tailscale0'},
      {url: 'http://192.168.1.20:3850', source: 'address on eth0'},
    ])
    expect(candidateUrls('::', 3850, [], interfaces).map((candidate) => candidate.url)).toContain('http://[2001:db8::5]:3850')
    expect(candidateUrls('192.168.1.20', 3850, [], interfaces)).toEqual([{url: 'http://192.168.1.20:3850', source: 'the address the daemon is bound to'}])
  })
})
