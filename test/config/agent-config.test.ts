import {mkdtempSync, mkdirSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {describe, expect, it} from 'vitest'

import {parseAgentConfig} from '../../src/config/agent-config.js'
import {resolveListenSettings} from '../../src/config/network.js'
import {ensureWorkspace, resolveWorkspace} from '../../src/config/workspace.js'

describe('agent.yaml validation', () => {
  it('fills defaults for an empty file', () => {
    const config = parseAgentConfig('')
    expect(config.network).toEqual({mode: 'localhost', port: 3850, hostnames: []})
    expect(config.auth.mode).toBe('local')
  })

  it('names the key path, the bad value and the line', () => {
    const text = 'agent:\n  name: test\nnetwork:\n  mode: localhost\n  port: 70000\n'
    expect(() => parseAgentConfig(text)).toThrowError(/network\.port = 70000 \(line 5\)/)
  })

  it('reports an unknown enum value with its line', () => {
    expect(() => parseAgentConfig('auth:\n  mode: open\n')).toThrowError(/auth\.mode = "open" \(line 2\)/)
  })

  it('reports YAML syntax errors with a line', () => {
    expect(() => parseAgentConfig('network:\n  mode: [localhost\n')).toThrowError(/YAML syntax error at line/)
  })

  it('a non-loopback bind turns local auth into hybrid, loudly', () => {
    const config = parseAgentConfig('network:\n  mode: tailscale\n')
    const listen = resolveListenSettings(config, {})
    expect(listen.bindHost).toBe('0.0.0.0')
    expect(listen.networkMode).toBe('tailscale')
    expect(listen.effectiveAuthMode).toBe('hybrid')
    expect(listen.authModeWarning).toMatch(/hybrid/)
  })

  it('SIGNET_BIND and SIGNET_PORT override the file', () => {
    const listen = resolveListenSettings(parseAgentConfig(''), {SIGNET_BIND: '0.0.0.0', SIGNET_PORT: '4100'})
    expect(listen).toMatchObject({bindHost: '0.0.0.0', port: 4100, effectiveAuthMode: 'hybrid'})
    expect(() => resolveListenSettings(parseAgentConfig(''), {SIGNET_PORT: 'abc'})).toThrowError(/SIGNET_PORT/)
  })
})

describe('workspace resolution', () => {
  it('prefers the flag, then SIGNET_WORKSPACE, then SIGNET_PATH', () => {
    const saved = {...process.env}
    try {
      process.env.SIGNET_WORKSPACE = '/tmp/ws-env'
      process.env.SIGNET_PATH = '/tmp/ws-path'
      expect(resolveWorkspace({flag: '/tmp/ws-flag'})).toMatchObject({path: '/tmp/ws-flag', source: 'flag'})
      expect(resolveWorkspace()).toMatchObject({path: '/tmp/ws-env', source: 'env'})
      delete process.env.SIGNET_WORKSPACE
      expect(resolveWorkspace()).toMatchObject({path: '/tmp/ws-path', source: 'env'})
    } finally {
      process.env = saved
    }
  })

  it('never recreates a configured workspace that vanished', () => {
    const dir = path.join(mkdtempSync(path.join(tmpdir(), 'signet-ws-')), 'gone')
    expect(() => ensureWorkspace({path: dir, source: 'env', origin: 'SIGNET_WORKSPACE environment variable'})).toThrowError(/has no agent.yaml/)
  })

  it('creates the default workspace layout on first use', () => {
    const dir = path.join(mkdtempSync(path.join(tmpdir(), 'signet-ws-')), '.agents')
    ensureWorkspace({path: dir, source: 'default', origin: 'default'})
    mkdirSync(path.join(dir, 'memory'), {recursive: true})
    writeFileSync(path.join(dir, 'memory', 'x'), '')
    expect(() => ensureWorkspace({path: dir, source: 'default', origin: 'default'})).not.toThrow()
  })
})
