import {readFileSync} from 'node:fs'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {startTestDaemon, storedRows, type TestDaemon} from '../helpers/daemon.js'

/*
 * A key can only mint, list, rotate and revoke keys inside its own role, permissions and scope
 * (agents alice and bob, projects projA/projB/projC), against a real daemon. The owner acts through
 * the admin token; every scoped request carries its key explicitly.
 */

let daemon: TestDaemon
let owner: Record<string, string>
const keys: Record<string, {key: string; id: string; prefix: string}> = {}
const as = (name: string) => ({authorization: `Bearer ${keys[name].key}`})

async function mint(name: string, body: Record<string, unknown>): Promise<void> {
  const created = await daemon.request('POST', '/api/auth/api-keys', {body: {name, ...body}, headers: owner})
  expect(created.status, JSON.stringify(created.body)).toBe(201)
  keys[name] = {key: created.body.apiKey.key, id: created.body.apiKey.id, prefix: created.body.apiKey.prefix}
}

beforeAll(async () => {
  daemon = await startTestDaemon({agentYaml: 'version: 1\nagent:\n  name: minting\nauth:\n  mode: team\n'})
  owner = {authorization: `Bearer ${readFileSync(path.join(daemon.workspace, '.daemon', 'admin.token'), 'utf8').trim()}`}
  await mint('alice-admin', {role: 'admin', agentId: 'alice'})
  await mint('projA-admin', {role: 'admin', scope: {project: 'projA'}})
  await mint('projAC-admin', {role: 'admin', allowedProjects: ['projA', 'projC']})
  await mint('narrow-admin', {role: 'admin', permissions: ['keys', 'recall']})
  await mint('bob-agent', {role: 'agent', agentId: 'bob'})
  await daemon.request('POST', '/api/memory/remember', {body: {content: 'bob private: the payroll export lives on the NAS', agentId: 'bob'}, headers: owner})
})

afterAll(async () => {
  await daemon?.stop()
})

const create = (name: string, body: Record<string, unknown>) =>
  daemon.request('POST', '/api/auth/api-keys', {body: {name: `made by ${name}`, ...body}, headers: as(name)})

describe('minting stays within the minter', () => {
  it('an admin key scoped to agent alice cannot mint an unscoped admin key, nor read bob through one', async () => {
    const unscoped = await create('alice-admin', {role: 'admin'})
    expect(unscoped.status).toBe(403)
    expect(unscoped.body.code).toBe('scope_violation')
    expect(unscoped.body.apiKey).toBeUndefined()
    const forBob = await create('alice-admin', {role: 'agent', agentId: 'bob'})
    expect(forBob.status).toBe(403)
    const viaScope = await create('alice-admin', {role: 'agent', scope: {agent: 'bob'}})
    expect(viaScope.status).toBe(403)
    // Within its scope it still works.
    const own = await create('alice-admin', {role: 'agent', agentId: 'alice'})
    expect(own.status).toBe(201)
    expect(own.body.apiKey.scope.agent).toBe('alice')
    const readBob = await daemon.request('GET', '/api/memories?agentId=bob', {headers: {authorization: `Bearer ${own.body.apiKey.key}`}})
    expect(readBob.status).toBe(403)
  })

  it('a key with narrowed permissions cannot mint one with permissions it lacks', async () => {
    const full = await create('narrow-admin', {role: 'agent'})
    expect(full.status).toBe(403)
    expect(full.body.error).toMatch(/permission '(remember|modify|forget|hooks|sessions)'/)
    const admin = await create('narrow-admin', {role: 'admin'})
    expect(admin.status).toBe(403)
    const narrower = await create('narrow-admin', {role: 'readonly', permissions: ['recall']})
    expect(narrower.status).toBe(201)
  })

  it('a project-scoped admin key mints only keys inside its projects', async () => {
    expect((await create('projA-admin', {role: 'agent'})).status).toBe(403)
    expect((await create('projA-admin', {role: 'agent', scope: {project: 'projB'}})).status).toBe(403)
    expect((await create('projA-admin', {role: 'agent', allowedProjects: ['projA', 'projB']})).status).toBe(403)
    expect((await create('projA-admin', {role: 'agent', scope: {project: 'projA'}})).status).toBe(201)
    expect((await create('projAC-admin', {role: 'agent', allowedProjects: ['projC']})).status).toBe(201)
    expect((await create('projAC-admin', {role: 'agent', allowedProjects: ['projB']})).status).toBe(403)
  })

  it('pairing codes are held to the same limits (a claimed code mints a key)', async () => {
    const forBob = await daemon.request('POST', '/api/auth/pair', {body: {agentId: 'bob'}, headers: as('alice-admin')})
    expect(forBob.status).toBe(403)
    const noAgent = await daemon.request('POST', '/api/auth/pair', {body: {}, headers: as('alice-admin')})
    expect(noAgent.status).toBe(403)
    const outside = await daemon.request('POST', '/api/auth/pair', {body: {project: 'projB'}, headers: as('projA-admin')})
    expect(outside.status).toBe(403)
    const own = await daemon.request('POST', '/api/auth/pair', {body: {agentId: 'alice'}, headers: as('alice-admin')})
    expect(own.status).toBe(201)
  })

  it('a pairing code keeps no secret from the project it was asked for', async () => {
    const project = 'https://deploy:hunter2-horse-battery@git.example.com/acme/api.git'
    const issued = await daemon.request('POST', '/api/auth/pair', {body: {agentId: 'alice', project}, headers: owner})
    expect(issued.status, JSON.stringify(issued.body)).toBe(201)
    const stored = (await storedRows(daemon, 'pairing_codes')).filter((row) => row.project !== null) as Array<{project: string}>
    expect(stored.length).toBeGreaterThan(0)
    for (const row of stored) expect(row.project).not.toContain('hunter2-horse-battery')
  })
})

describe('managing keys stays within the manager', () => {
  it("a scoped admin key lists only keys inside its scope, and cannot revoke or rotate bob's", async () => {
    const listed = await daemon.request('GET', '/api/auth/api-keys', {headers: as('alice-admin')})
    expect(listed.status).toBe(200)
    const ids = listed.body.apiKeys.map((record: {id: string}) => record.id) as string[]
    expect(ids).toContain(keys['alice-admin'].id)
    expect(ids).not.toContain(keys['bob-agent'].id)
    expect(ids).not.toContain(keys['projA-admin'].id)
    for (const ref of [keys['bob-agent'].id, keys['bob-agent'].prefix]) {
      expect((await daemon.request('DELETE', `/api/auth/api-keys/${ref}`, {headers: as('alice-admin')})).status).toBe(404)
      expect((await daemon.request('POST', `/api/auth/api-keys/${ref}/rotate`, {body: {}, headers: as('alice-admin')})).status).toBe(404)
    }
    // Bob's key still works: nothing was revoked or rotated.
    expect((await daemon.request('GET', '/api/memories', {headers: as('bob-agent')})).status).toBe(200)
    const audit = await daemon.request('GET', '/api/auth/audit', {headers: as('alice-admin')})
    expect(audit.status).toBe(200)
    expect(JSON.stringify(audit.body.events)).not.toContain(keys['bob-agent'].id)
  })

  it('the owner is not limited by any of this', async () => {
    const made = await daemon.request('POST', '/api/auth/api-keys', {body: {name: 'owner made', role: 'admin'}, headers: owner})
    expect(made.status).toBe(201)
    const listed = await daemon.request('GET', '/api/auth/api-keys', {headers: owner})
    expect(listed.body.apiKeys.map((record: {id: string}) => record.id)).toContain(keys['bob-agent'].id)
  })

  it('a key name holding a secret is stored redacted', async () => {
    const token = `ghp_${'Z9y8X7w6V5'.repeat(4)}`
    const made = await daemon.request('POST', '/api/auth/api-keys', {body: {name: `ci ${token}`, role: 'agent'}, headers: owner})
    expect(made.status).toBe(201)
    expect(made.body.apiKey.name).not.toContain(token.slice(4))
    const row = (await storedRows(daemon, 'api_keys')).find((stored) => stored.id === made.body.apiKey.id) as {name: string}
    expect(row.name).not.toContain(token.slice(4))
  })
})
