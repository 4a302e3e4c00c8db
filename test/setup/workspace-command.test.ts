import {existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {initWorkspace} from '../../src/config/workspace.js'
import {freePort, runCli} from '../helpers/cli.js'
import {makeTempHome, type TempHome} from '../helpers/temp-home.js'

let temp: TempHome
let env: NodeJS.ProcessEnv

beforeEach(async () => {
  temp = makeTempHome()
  env = {...temp.env, SIGNET_PORT: String(await freePort())}
})
afterEach(async () => {
  await runCli(['daemon', 'stop', '--path', temp.workspace], {env})
  temp.cleanup()
})

describe('signet workspace show / set', () => {
  it('reports which source won: default, saved, env, flag', async () => {
    let show = JSON.parse((await runCli(['workspace', 'show', '--json'], {env})).stdout)
    expect(show).toMatchObject({path: temp.workspace, source: 'default', exists: false, isWorkspace: false, daemon: {running: false}})
    expect(show.candidates.map((candidate: {source: string}) => candidate.source)).toEqual(['flag', 'env', 'saved', 'default'])

    const work = path.join(temp.home, 'work')
    initWorkspace(work)
    const set = await runCli(['workspace', 'set', work, '--json'], {env})
    expect(set.code).toBe(0)
    expect(JSON.parse(set.stdout)).toMatchObject({
      path: work,
      initialized: false,
      previous: {path: temp.workspace, source: 'default'},
      daemonOnPrevious: null,
      envOverride: null,
    })
    expect(JSON.parse(readFileSync(path.join(temp.home, '.config', 'signet', 'config.json'), 'utf8')).workspace).toBe(work)

    show = JSON.parse((await runCli(['workspace', 'show', '--json'], {env})).stdout)
    expect(show).toMatchObject({path: work, source: 'saved', isWorkspace: true})
    const fromEnv = path.join(temp.home, 'from-env')
    show = JSON.parse((await runCli(['workspace', 'show', '--json'], {env: {...env, SIGNET_WORKSPACE: fromEnv}})).stdout)
    expect(show).toMatchObject({path: fromEnv, source: 'env', origin: 'SIGNET_WORKSPACE environment variable'})
    show = JSON.parse((await runCli(['workspace', 'show', '--json', '--path', temp.home], {env: {...env, SIGNET_PATH: fromEnv}})).stdout)
    expect(show.source).toBe('flag')
    expect(show.candidates.filter((candidate: {active: boolean}) => candidate.active)).toEqual([expect.objectContaining({source: 'flag', path: temp.home})])

    const human = await runCli(['workspace', 'show'], {env})
    expect(human.stdout).toMatch(/→ saved +\S*work/)
  })

  it('refuses a directory that is not a workspace unless --init creates one; a file is refused', async () => {
    const empty = path.join(temp.home, 'empty')
    mkdirSync(empty)
    const refused = await runCli(['workspace', 'set', empty], {env})
    expect(refused.code).toBe(1)
    expect(refused.stderr.trim().split('\n')).toHaveLength(1)
    expect(refused.stderr).toMatch(/is not a Signet workspace \(no agent.yaml\) — add --init/)
    expect(existsSync(path.join(temp.home, '.config', 'signet', 'config.json'))).toBe(false)

    const created = JSON.parse((await runCli(['workspace', 'set', empty, '--init', '--json'], {env})).stdout)
    expect(created.initialized).toBe(true)
    expect(existsSync(path.join(empty, 'agent.yaml'))).toBe(true)

    const file = path.join(temp.home, 'file.txt')
    writeFileSync(file, 'x')
    const notDir = await runCli(['workspace', 'set', file], {env})
    expect(notDir.code).toBe(1)
    expect(notDir.stderr).toMatch(/is a file, not a directory/)
  })

  it('mentions a daemon still running on the previous workspace and an env variable that overrides the saved path', async () => {
    expect((await runCli(['daemon', 'start'], {env})).code).toBe(0)
    const next = path.join(temp.home, 'next')
    initWorkspace(next)
    const result = await runCli(['workspace', 'set', next], {env: {...env, SIGNET_PATH: temp.workspace}})
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/SIGNET_PATH=.* is set and still wins/)
    expect(result.stdout).toMatch(/daemon for the previous workspace .*\.agents is still running \(pid \d+\)/)
    expect(result.stdout).toContain(`signet daemon stop --path ${temp.workspace}`)
  })
})
