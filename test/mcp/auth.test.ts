import {readFileSync} from 'node:fs'

import {Client} from '@modelcontextprotocol/sdk/client/index.js'
import {StreamableHTTPClientTransport} from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import type {CallToolResult} from '@modelcontextprotocol/sdk/types.js'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {startTestDaemon, type TestDaemon} from '../helpers/daemon.js'

function textOf(result: unknown): string {
  return ((result as CallToolResult).content[0] as {text: string}).text
}

async function connect(daemon: TestDaemon, key?: string): Promise<Client> {
  const client = new Client({name: 'signet-test', version: '1.0.0'})
  const headers: Record<string, string> = key ? {Authorization: `Bearer ${key}`} : {}
  await client.connect(new StreamableHTTPClientTransport(new URL(`${daemon.url}/mcp`), {requestInit: {headers}}))
  return client
}

async function createKey(daemon: TestDaemon, body: Record<string, unknown>, headers: Record<string, string> = {}): Promise<string> {
  const created = await daemon.request('POST', '/api/auth/api-keys', {body, headers})
  expect(created.status).toBe(201)
  return created.body.apiKey.key as string
}

describe('/mcp acts with the caller’s key (hybrid mode)', () => {
  let daemon: TestDaemon
  let alphaKey: string
  let readonlyKey: string
  let betaMemoryId: string

  beforeAll(async () => {
    daemon = await startTestDaemon({agentYaml: 'auth:\n  mode: hybrid\n'})
    // Loopback without a key is the trusted local admin in hybrid mode.
    await daemon.request('POST', '/api/memory/remember', {body: {content: 'Alpha deploys with the orange pipeline', agentId: 'alpha'}})
    const beta = await daemon.request('POST', '/api/memory/remember', {body: {content: 'Beta deploys with the purple pipeline', agentId: 'beta'}})
    betaMemoryId = beta.body.id
    alphaKey = await createKey(daemon, {name: 'alpha laptop', role: 'agent', agentId: 'alpha', connector: 'codex'})
    readonlyKey = await createKey(daemon, {name: 'viewer', role: 'readonly', agentId: 'alpha'})
  })

  afterAll(async () => {
    await daemon.stop()
  })

  it("an agent-scoped key sees its agent's memories and never another agent's", async () => {
    const client = await connect(daemon, alphaKey)
    const found = await client.callTool({name: 'memory_search', arguments: {query: 'deploys pipeline'}})
    expect(textOf(found)).toContain('orange')
    expect(textOf(found)).not.toContain('purple')

    const asBeta = await client.callTool({name: 'memory_search', arguments: {query: 'deploys pipeline', agent_id: 'beta'}})
    expect(asBeta.isError).toBe(true)
    expect(textOf(asBeta)).toMatch(/^Search failed: this key is scoped to agent 'alpha'.*\(403 scope_violation\)$/)

    const betaById = await client.callTool({name: 'memory_get', arguments: {id: betaMemoryId}})
    expect(betaById.isError).toBe(true)
    expect(textOf(betaById)).toMatch(/\(404 not_found\)$/)
    const forgetBeta = await client.callTool({name: 'memory_forget', arguments: {id: betaMemoryId}})
    expect(forgetBeta.isError).toBe(true)
    expect((await daemon.request('GET', `/api/memory/${betaMemoryId}?agentId=beta`)).status).toBe(200)

    const sessionsAsBeta = await client.callTool({name: 'signet_session_search', arguments: {query: 'pipeline', agent_id: 'beta'}})
    expect(sessionsAsBeta.isError).toBe(true)
    expect(textOf(sessionsAsBeta)).toMatch(/^Session search failed: .*\(403 scope_violation\)$/)

    const listed = await client.callTool({name: 'memory_list', arguments: {}})
    expect(textOf(listed)).toContain('orange')
    expect(textOf(listed)).not.toContain('purple')
    await client.close()
  })

  it('what the key stores lands in its agent', async () => {
    const client = await connect(daemon, alphaKey)
    const stored = await client.callTool({name: 'memory_store', arguments: {content: 'Alpha prefers tabs'}})
    const id = /Stored memory (\S+)\./.exec(textOf(stored))?.[1]
    expect(id).toBeDefined()
    const row = await daemon.request('GET', `/api/memory/${id}?agentId=alpha`)
    expect(row.body.memory.agentId).toBe('alpha')
    await client.close()
  })

  it("a readonly key can search but not store: the daemon's 403 comes back as a tool error", async () => {
    const client = await connect(daemon, readonlyKey)
    expect((await client.callTool({name: 'memory_search', arguments: {query: 'pipeline'}})).isError).toBeFalsy()
    const stored = await client.callTool({name: 'memory_store', arguments: {content: 'should not be stored'}})
    expect(stored.isError).toBe(true)
    expect(textOf(stored)).toMatch(/^Store failed: .*'remember'.*\(403 permission_denied\)$/)
    await client.close()
  })

  it('a proxied caller without a key is remote, so it gets 401 instead of local trust', async () => {
    const response = await fetch(`${daemon.url}/mcp`, {
      method: 'POST',
      headers: {'X-Forwarded-For': '203.0.113.9', 'content-type': 'application/json', accept: 'application/json, text/event-stream'},
      body: JSON.stringify({jsonrpc: '2.0', id: 1, method: 'tools/list'}),
    })
    expect(response.status).toBe(401)
  })

  it('an agent key may not regenerate harness files (needs the harnesses permission)', async () => {
    const refused = await daemon.request('POST', '/api/harnesses/regenerate', {headers: {Authorization: `Bearer ${alphaKey}`}})
    expect(refused.status).toBe(403)
    expect(refused.body.code).toBe('permission_denied')
    const operatorKey = await createKey(daemon, {name: 'ops', role: 'operator'})
    const allowed = await daemon.request('POST', '/api/harnesses/regenerate', {headers: {Authorization: `Bearer ${operatorKey}`}})
    expect(allowed.status).toBe(200)
  })

  it('a bad key is refused before any tool runs', async () => {
    const response = await fetch(`${daemon.url}/mcp`, {
      method: 'POST',
      headers: {
        Authorization: 'Bearer sig_sk_000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({jsonrpc: '2.0', id: 1, method: 'tools/list'}),
    })
    expect(response.status).toBe(401)
  })
})

describe('/mcp in team mode', () => {
  let daemon: TestDaemon

  beforeAll(async () => {
    daemon = await startTestDaemon({agentYaml: 'auth:\n  mode: team\n'})
  })

  afterAll(async () => {
    await daemon.stop()
  })

  it('refuses a request without a key with 401, even from localhost', async () => {
    const response = await fetch(`${daemon.url}/mcp`, {
      method: 'POST',
      headers: {'content-type': 'application/json', accept: 'application/json, text/event-stream'},
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: {protocolVersion: '2025-06-18', capabilities: {}, clientInfo: {name: 'x', version: '1'}},
      }),
    })
    expect(response.status).toBe(401)
    expect(await response.json()).toMatchObject({code: 'auth_required'})
    await expect(connect(daemon)).rejects.toThrow()
  })

  it('serves the tools to a valid key', async () => {
    const adminToken = readFileSync(`${daemon.workspace}/.daemon/admin.token`, 'utf8').trim()
    const key = await createKey(daemon, {name: 'ci', role: 'agent', agentId: 'ci'}, {Authorization: `Bearer ${adminToken}`})
    const client = await connect(daemon, key)
    const stored = await client.callTool({name: 'memory_store', arguments: {content: 'CI runs on every push'}})
    expect(stored.isError).toBeFalsy()
    expect(textOf(await client.callTool({name: 'memory_search', arguments: {query: 'CI push'}}))).toContain('CI runs on every push')
    await client.close()
  })
})
