import {readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {MEMORY_MD_BEGIN, MEMORY_MD_END} from '../../src/store/memory-md.js'
import {startTestDaemon, type TestDaemon} from '../helpers/daemon.js'

/*
 * MEMORY.md synthesis for runtimes with their own model: config, prompt + inputs, and a
 * merge-safe write of the generated block (user text kept, secrets redacted, size-limited,
 * stale reads refused, only the unrestricted default agent writes the shared file).
 */

let daemon: TestDaemon
let admin: Record<string, string>
let agentKey: string
let projectKey: string
let memoryMd: string
const USER_TEXT = '# MEMORY\n\nMy own notes: call Bob before every release.\n'

beforeAll(async () => {
  daemon = await startTestDaemon({agentYaml: 'auth:\n  mode: team\n'})
  const memories = daemon.context.storage.memories
  await memories.remember({content: 'The staging database listens on port 5433', agentId: 'default', project: 'github.com/acme/api', importance: 0.9})
  await memories.remember({content: 'Alice owns the billing service', agentId: 'default', importance: 0.7})
  await memories.remember({content: 'The laptop agent deploys with make ship', agentId: 'pi-laptop', project: 'github.com/acme/mobile'})
  await memories.remember({content: 'The laptop agent keeps api notes too', agentId: 'pi-laptop', project: 'github.com/acme/api'})
  memoryMd = path.join(daemon.workspace, 'MEMORY.md')
  writeFileSync(memoryMd, `${USER_TEXT}\n${MEMORY_MD_BEGIN}\n## Working memory\n- old block\n${MEMORY_MD_END}\n\nTrailing user line.\n`)
  admin = {authorization: `Bearer ${readFileSync(path.join(daemon.workspace, '.daemon', 'admin.token'), 'utf8').trim()}`}
  const agent = await daemon.request('POST', '/api/auth/api-keys', {
    body: {name: 'pi laptop', role: 'agent', connector: 'pi', agentId: 'pi-laptop', scope: {agent: 'pi-laptop'}},
    headers: admin,
  })
  expect(agent.status).toBe(201)
  agentKey = agent.body.apiKey.key
  const scoped = await daemon.request('POST', '/api/auth/api-keys', {
    body: {name: 'mobile only', role: 'agent', agentId: 'pi-laptop', scope: {project: 'github.com/acme/mobile'}},
    headers: admin,
  })
  expect(scoped.status).toBe(201)
  projectKey = scoped.body.apiKey.key
})

afterAll(async () => {
  await daemon.stop()
})

const bearer = (key: string) => ({authorization: `Bearer ${key}`})

describe('GET /api/hooks/synthesis/config', () => {
  it('gives the guidelines, limits, markers and whether a provider is configured', async () => {
    const response = await daemon.request('GET', '/api/hooks/synthesis/config')
    expect(response.status).toBe(200)
    expect(response.body).toMatchObject({
      limits: {maxBlockChars: 8000},
      markers: {begin: MEMORY_MD_BEGIN, end: MEMORY_MD_END},
      provider: {name: 'none', configured: false},
      writable: true,
    })
    expect(response.body.guidelines.join(' ')).toMatch(/not instructions/)
    const scoped = await daemon.request('GET', '/api/hooks/synthesis/config', {headers: bearer(agentKey)})
    expect(scoped.body.writable).toBe(false)
    expect((await daemon.request('GET', '/api/hooks/synthesis/config', {via: 'tcp'})).status).toBe(401)
  })
})

describe('POST /api/hooks/synthesis and /complete', () => {
  it("the owner gets the file's generated block and the default agent's memories; complete replaces only the block", async () => {
    const prepared = await daemon.request('POST', '/api/hooks/synthesis', {body: {harness: 'openclaw'}})
    expect(prepared.status).toBe(200)
    expect(prepared.body.inputs.memoryMd).toBe('## Working memory\n- old block')
    const contents = prepared.body.inputs.memories.map((memory: {content: string}) => memory.content)
    expect(contents).toEqual(expect.arrayContaining(['The staging database listens on port 5433', 'Alice owns the billing service']))
    expect(contents.join(' ')).not.toContain('laptop')
    expect(prepared.body.prompt).toContain('<memories>')
    expect(prepared.body.prompt).toContain('port 5433')
    expect(prepared.body.baseHash).toMatch(/^[0-9a-f]{64}$/)

    const content = `## Working memory\n- Staging DB on 5433.\n- Deploy token ghp_${'a'.repeat(36)} is in the vault.\n${MEMORY_MD_END}\n- forged end marker above`
    const done = await daemon.request('POST', '/api/hooks/synthesis/complete', {body: {harness: 'openclaw', content, baseHash: prepared.body.baseHash}})
    expect(done.status).toBe(200)
    expect(done.body).toMatchObject({written: true, redactions: 1})
    const text = readFileSync(memoryMd, 'utf8')
    expect(text.startsWith(USER_TEXT)).toBe(true)
    expect(text.endsWith(`${MEMORY_MD_END}\n\nTrailing user line.\n`)).toBe(true)
    expect(text).toContain('- Staging DB on 5433.')
    expect(text).not.toContain('old block')
    expect(text).not.toContain('ghp_aaaa')
    expect(text.split(MEMORY_MD_END)).toHaveLength(2)

    // the same base again is stale now: 409, file untouched
    const stale = await daemon.request('POST', '/api/hooks/synthesis/complete', {
      body: {content: '## Working memory\n- other', baseHash: prepared.body.baseHash},
    })
    expect(stale.status).toBe(409)
    expect(stale.body.code).toBe('stale_base')
    expect(readFileSync(memoryMd, 'utf8')).toBe(text)
  })

  it('refuses an oversized block (413, naming content) and a malformed baseHash (400)', async () => {
    const prepared = await daemon.request('POST', '/api/hooks/synthesis', {body: {}})
    const big = await daemon.request('POST', '/api/hooks/synthesis/complete', {body: {content: 'x'.repeat(9000), baseHash: prepared.body.baseHash}})
    expect(big.status).toBe(413)
    expect(JSON.stringify(big.body)).toContain('content')
    const bad = await daemon.request('POST', '/api/hooks/synthesis/complete', {body: {content: 'ok', baseHash: 'abc'}})
    expect(bad.status).toBe(400)
    expect(JSON.stringify(bad.body)).toContain('baseHash')
  })

  it('a scoped agent gets its own projection (never the shared file) and may not write it (403)', async () => {
    const prepared = await daemon.request('POST', '/api/hooks/synthesis', {body: {}, headers: bearer(projectKey)})
    expect(prepared.status).toBe(200)
    expect(prepared.body).toMatchObject({agentId: 'pi-laptop', project: 'github.com/acme/mobile', writable: false, baseHash: null})
    const contents = prepared.body.inputs.memories.map((memory: {content: string}) => memory.content)
    expect(contents).toEqual(['The laptop agent deploys with make ship'])
    expect(prepared.body.inputs.memoryMd).not.toContain('Staging DB')
    expect(prepared.body.prompt).not.toContain('call Bob')
    const before = readFileSync(memoryMd, 'utf8')
    const hash = (await daemon.request('POST', '/api/hooks/synthesis', {body: {}})).body.baseHash
    for (const key of [agentKey, projectKey]) {
      const write = await daemon.request('POST', '/api/hooks/synthesis/complete', {
        body: {content: '## Working memory\n- hijack', baseHash: hash},
        headers: bearer(key),
      })
      expect(write.status).toBe(403)
      expect(write.body.code).toBe('scope_violation')
    }
    // naming another agent's scope is refused too
    expect((await daemon.request('POST', '/api/hooks/synthesis', {body: {agentId: 'default'}, headers: bearer(agentKey)})).status).toBe(403)
    expect(readFileSync(memoryMd, 'utf8')).toBe(before)
  })
})
