import {readFileSync} from 'node:fs'
import path from 'node:path'

import {afterEach, describe, expect, it} from 'vitest'

import {parseAgentConfig} from '../../src/config/agent-config.js'
import {startTestDaemon, storedRows, type TestDaemon} from '../helpers/daemon.js'

/*
 * agents.messaging, each mode on its own real daemon (team mode, one key per agent):
 *   open          every agent may message every agent
 *   same-project  only to an agent seen (by a hook) in the project the sender names
 *   allowlist     only pairs in agents.allow (`from->to`, `*`, or a bare sender id)
 */

let daemon: TestDaemon | undefined

afterEach(async () => {
  await daemon?.stop()
  daemon = undefined
})

async function start(agents: string) {
  daemon = await startTestDaemon({agentYaml: `auth:\n  mode: team\nagents:\n${agents}`})
  const admin = {authorization: `Bearer ${readFileSync(path.join(daemon.workspace, '.daemon', 'admin.token'), 'utf8').trim()}`}
  const keys: Record<string, string> = {}
  for (const agent of ['alpha', 'beta', 'gamma']) {
    const created = await daemon.request('POST', '/api/auth/api-keys', {body: {name: agent, role: 'agent', agentId: agent}, headers: admin})
    keys[agent] = created.body.apiKey.key
  }
  const d = daemon
  const as = (agent: string) => ({authorization: `Bearer ${keys[agent]}`})
  return {
    send: (from: string, to: string, extra: Record<string, unknown> = {}) =>
      d.request('POST', '/api/agents/messages', {body: {to, body: `hello from ${from}`, ...extra}, headers: as(from)}),
    seen: (agent: string, project: string) =>
      d.request('POST', '/api/hooks/user-prompt-submit', {body: {harness: 'codex', sessionKey: `${agent}-s`, project, prompt: 'hi'}, headers: as(agent)}),
  }
}

describe('agents.messaging policy matrix', () => {
  it('open (the default): any agent to any agent, even one never seen', async () => {
    const {send} = await start('  messaging: open\n')
    expect((await send('alpha', 'beta')).status).toBe(201)
    expect((await send('beta', 'alpha')).status).toBe(201)
    expect((await send('gamma', 'nobody-yet')).status).toBe(201)
  })

  it('same-project: only to an agent seen in the project the sender names', async () => {
    const {send, seen} = await start('  messaging: same-project\n')
    expect((await seen('beta', 'github.com/acme/api')).status).toBe(200)
    expect((await seen('gamma', 'github.com/acme/web')).status).toBe(200)
    expect((await send('alpha', 'beta', {project: 'github.com/acme/api'})).status).toBe(201)
    const otherProject = await send('alpha', 'gamma', {project: 'github.com/acme/api'})
    expect(otherProject).toMatchObject({status: 403, body: {code: 'policy_denied'}})
    expect(otherProject.body.error).toMatch(/gamma.*has not been seen in project 'github.com\/acme\/api'/)
    expect((await send('alpha', 'beta')).body.code).toBe('policy_denied')
    expect((await send('alpha', 'session:beta-s', {project: 'github.com/acme/api'})).status).toBe(201)
    expect((await send('alpha', 'session:gamma-s', {project: 'github.com/acme/api'})).status).toBe(403)
  })

  it('allowlist: a pair allows one direction only; a bare id may message anyone; everything else is refused and audited', async () => {
    const {send} = await start('  messaging: allowlist\n  allow: ["alpha->beta", "gamma"]\n')
    expect((await send('alpha', 'beta')).status).toBe(201)
    expect(await send('beta', 'alpha')).toMatchObject({status: 403, body: {code: 'policy_denied'}})
    expect((await send('alpha', 'gamma')).status).toBe(403)
    expect((await send('gamma', 'alpha')).status).toBe(201)
    expect((await send('gamma', 'beta')).status).toBe(201)
    const refused = (await storedRows(daemon!, 'audit')).filter((row) => row.event === 'agent_message_refused') as Array<{detail_json: string}>
    expect(refused.map((row) => JSON.parse(row.detail_json))).toEqual(
      expect.arrayContaining([
        expect.objectContaining({from: 'beta', to: 'alpha', reason: 'policy_denied'}),
        expect.objectContaining({from: 'alpha', to: 'gamma', reason: 'policy_denied'}),
      ]),
    )
  })

  it('allowlist with a wildcard pair', async () => {
    const {send} = await start('  messaging: allowlist\n  allow: ["*->gamma"]\n')
    expect((await send('alpha', 'gamma')).status).toBe(201)
    expect((await send('beta', 'gamma')).status).toBe(201)
    expect((await send('gamma', 'alpha')).status).toBe(403)
  })
})

describe('agents: in agent.yaml', () => {
  it('is strict: unknown keys, unknown modes and malformed allow rules are refused with the key path', () => {
    expect(parseAgentConfig('').agents).toMatchObject({messaging: 'open', allow: [], rateLimit: {windowMs: 60_000, max: 30}, maxInjectChars: 2000})
    expect(() => parseAgentConfig('agents:\n  messaging: everyone\n')).toThrow(/agents\.messaging/)
    expect(() => parseAgentConfig('agents:\n  mesaging: open\n')).toThrow(/agents/)
    expect(() => parseAgentConfig('agents:\n  allow: ["a -> b -> c"]\n')).toThrow(/agents\.allow\.0/)
    expect(parseAgentConfig('agents:\n  messaging: allowlist\n  allow: ["a->b", "a → b", "ops"]\n').agents.allow).toHaveLength(3)
  })
})
