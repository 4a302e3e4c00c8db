import {mkdtempSync, mkdirSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {describe, expect, it} from 'vitest'

import {loadAgentConfig, parseAgentConfig} from '../../src/config/agent-config.js'
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

describe('agent.yaml is strict: an unknown key is refused with the closest valid key', () => {
  it.each([
    ['auth:\n  mdoe: team\n', /auth\.mdoe \(line 2\): unknown key — did you mean auth\.mode\?/],
    ['netwrok:\n  mode: tailscale\n', /netwrok \(line 1\): unknown key — did you mean network\?/],
    [
      'version: 1\nauth:\n  mode: team\n  rateLimits:\n    authFailures: {windowMs: 60000, mx: 3}\n',
      /auth\.rateLimits\.authFailures\.mx \(line 5\): unknown key — did you mean auth\.rateLimits\.authFailures\.max\?/,
    ],
    ['hooks:\n  promptMinScroe: 0.9\n', /hooks\.promptMinScroe \(line 2\): unknown key — did you mean hooks\.promptMinScore\?/],
    ['embedding:\n  provider: ollama\n  BaseUrl: http://localhost:11434\n', /embedding\.BaseUrl \(line 3\): unknown key — did you mean embedding\.baseUrl\?/],
    ['network:\n  hostname: [box.tailnet.ts.net]\n', /network\.hostname \(line 2\): unknown key — did you mean network\.hostnames\?/],
  ])('%j', (text, message) => {
    expect(() => parseAgentConfig(text)).toThrowError(message)
  })

  it('a key with no close match lists the valid keys at that level', () => {
    expect(() => parseAgentConfig('auth:\n  allowEveryone: true\n')).toThrowError(
      /auth\.allowEveryone \(line 2\): unknown key \(valid keys under auth: mode, trustedProxies, rateLimits\)/,
    )
  })

  it('reports every unknown key, not only the first', () => {
    expect(() => parseAgentConfig('agent:\n  nmae: x\nauth:\n  mdoe: team\n')).toThrowError(/agent\.nmae \(line 2\).*auth\.mdoe \(line 4\)/)
  })

  it('network.hostnames: extra names the daemon answers to, lower-cased, default none', () => {
    expect(parseAgentConfig('').network.hostnames).toEqual([])
    expect(parseAgentConfig('network:\n  hostnames: [Box.Tailnet.ts.net, signet.lan]\n').network.hostnames).toEqual(['box.tailnet.ts.net', 'signet.lan'])
    expect(() => parseAgentConfig('network:\n  hostnames: ["http://box:3850"]\n')).toThrowError(/network\.hostnames\.0 = "http:\/\/box:3850" \(line 2\)/)
  })

  it('every agent.yaml Signet writes itself still validates', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'signet-ws-'))
    ensureWorkspace({path: dir, source: 'default', origin: 'default'})
    expect(() => loadAgentConfig(dir)).not.toThrow()
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
