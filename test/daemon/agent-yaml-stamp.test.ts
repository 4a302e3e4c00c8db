import {mkdirSync, mkdtempSync, renameSync, rmSync, utimesSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {agentYamlValidatedByDaemon, type DaemonState, fileStamp} from '../../src/daemon/process.js'
import {SIGNET_VERSION} from '../../src/version.js'

/*
 * `daemon status` and `status` skip parsing agent.yaml when the running daemon validated that very
 * file at start (daemon.json carries its stamp). Any other file, or another Signet version, must
 * be parsed again: that is how an agent.yaml broken after the start still gets its warning.
 */
describe('agent.yaml as the running daemon validated it', () => {
  let workspace: string
  const agentYaml = () => path.join(workspace, 'agent.yaml')
  const stateFor = (overrides: Partial<DaemonState> = {}): DaemonState => ({
    pid: 1,
    url: 'http://127.0.0.1:3850',
    port: 3850,
    bindHost: '127.0.0.1',
    startedAt: new Date().toISOString(),
    version: SIGNET_VERSION,
    agentYaml: fileStamp(agentYaml()),
    agentName: 'builder',
    ...overrides,
  })

  beforeEach(() => {
    workspace = mkdtempSync(path.join(tmpdir(), 'signet-stamp-'))
    mkdirSync(workspace, {recursive: true})
    writeFileSync(agentYaml(), 'agent:\n  name: builder\n')
  })
  afterEach(() => rmSync(workspace, {recursive: true, force: true}))

  it('is the daemon’s while the file is the one it stamped', () => {
    expect(agentYamlValidatedByDaemon(workspace, stateFor())).toEqual({agentName: 'builder'})
  })

  it('is not once the file is written again, even with the same size and mtime', () => {
    const state = stateFor()
    writeFileSync(agentYaml(), 'agent:\n  name: broken\n')
    utimesSync(agentYaml(), new Date(state.agentYaml!.mtimeMs), new Date(state.agentYaml!.mtimeMs))
    expect(agentYamlValidatedByDaemon(workspace, state)).toBeUndefined()
  })

  it('is not once the file is replaced by another one (editors save by rename)', () => {
    const state = stateFor()
    writeFileSync(path.join(workspace, 'agent.yaml.new'), 'agent:\n  name: builder\n')
    renameSync(path.join(workspace, 'agent.yaml.new'), agentYaml())
    expect(agentYamlValidatedByDaemon(workspace, state)).toBeUndefined()
  })

  it('covers a workspace without agent.yaml only while there is still none', () => {
    rmSync(agentYaml())
    const state = stateFor({agentYaml: null, agentName: 'signet'})
    expect(agentYamlValidatedByDaemon(workspace, state)).toEqual({agentName: 'signet'})
    writeFileSync(agentYaml(), 'agent:\n  name: builder\n')
    expect(agentYamlValidatedByDaemon(workspace, state)).toBeUndefined()
  })

  it('is not for a daemon of another version, or one that wrote no stamp', () => {
    expect(agentYamlValidatedByDaemon(workspace, stateFor({version: '0.0.1'}))).toBeUndefined()
    const {agentYaml: _stamp, agentName: _name, ...older} = stateFor()
    expect(agentYamlValidatedByDaemon(workspace, older)).toBeUndefined()
    expect(agentYamlValidatedByDaemon(workspace, undefined)).toBeUndefined()
  })
})
