import {readFileSync} from 'node:fs'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {runCli} from '../helpers/cli.js'
import {makeTempHome, type TempHome} from '../helpers/temp-home.js'

let temp: TempHome

beforeEach(() => {
  temp = makeTempHome()
})
afterEach(() => temp.cleanup())

interface ManifestCommand {
  description?: string
  examples?: string[]
  enableJsonFlag?: boolean
}

/** Commands whose output is a stream, a protocol or a help page, not a report: no --json. */
// agent:watch streams events as JSON lines with its own --json, not one report object.
const NOT_REPORTS = new Set(['daemon:run', 'daemon:logs', 'mcp', 'help', 'agent:watch'])

describe('the CLI surface', () => {
  const manifest = JSON.parse(readFileSync(new URL('../../oclif.manifest.json', import.meta.url), 'utf8')) as {commands: Record<string, ManifestCommand>}
  const commands = Object.entries(manifest.commands)

  it('every command has a description and --help examples; every reporting command has --json', () => {
    expect(commands.length).toBeGreaterThan(20)
    for (const [id, command] of commands) {
      expect(command.description, id).toBeTruthy()
      expect(command.examples?.length ?? 0, `${id} examples`).toBeGreaterThan(0)
      if (!NOT_REPORTS.has(id) && !id.startsWith('hook:')) expect(command.enableJsonFlag, `${id} --json`).toBe(true)
    }
  })

  it('an unknown command is one red line with the closest command, exit 1', async () => {
    const typo = await runCli(['stauts'], {env: temp.env})
    expect(typo.code).toBe(1)
    expect(typo.stdout).toBe('')
    expect(typo.stderr).toBe('Error: unknown command "signet stauts" — did you mean `signet status`?\n')
    const nested = await runCli(['forge', 'instal'], {env: temp.env})
    expect(nested.stderr).toMatch(/did you mean `signet forge install`\?/)
    const nothing = await runCli(['frobnicate-everything'], {env: temp.env})
    expect(nothing.code).toBe(1)
    expect(nothing.stderr).toMatch(/see `signet --help`/)
  })

  it('NO_COLOR wins over FORCE_COLOR; errors stay one line', async () => {
    const env = {...temp.env, FORCE_COLOR: '1', NO_COLOR: '1'}
    const status = await runCli(['status'], {env})
    expect(status.stdout).not.toMatch(/\u001b\[/)
    const error = await runCli(['workspace', 'set', temp.home], {env})
    expect(error.code).toBe(1)
    expect(error.stderr).not.toMatch(/\u001b\[/)
    expect(error.stderr.trim().split('\n')).toHaveLength(1)
    const colored = await runCli(['workspace', 'set', temp.home], {env: {...temp.env, FORCE_COLOR: '1', NO_COLOR: undefined}})
    expect(colored.stderr).toMatch(/\u001b\[31mError: /)
  })

  it('--json output is one JSON document with no prose or colour, errors included', async () => {
    for (const args of [
      ['status', '--json'],
      ['doctor', '--json'],
      ['workspace', 'show', '--json'],
      ['forge', 'status', '--json'],
    ]) {
      const result = await runCli(args, {env: {...temp.env, FORCE_COLOR: '1', NO_COLOR: undefined}})
      expect(() => JSON.parse(result.stdout), args.join(' ')).not.toThrow()
      expect(result.stdout, args.join(' ')).not.toMatch(/\u001b\[/)
    }
    const failed = await runCli(['workspace', 'set', temp.home, '--json'], {env: temp.env})
    expect(failed.code).toBe(1)
    expect(JSON.parse(failed.stdout)).toEqual({error: {message: expect.stringContaining('not a Signet workspace'), code: 'workspace_missing'}})
  })
})
