import {Client} from '@modelcontextprotocol/sdk/client/index.js'
import {StreamableHTTPClientTransport} from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import type {CallToolResult} from '@modelcontextprotocol/sdk/types.js'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {SIGNET_TOOL_NAMES} from '../../src/mcp/tools.js'
import {startTestDaemon, type TestDaemon} from '../helpers/daemon.js'

let daemon: TestDaemon

beforeAll(async () => {
  daemon = await startTestDaemon()
})

afterAll(async () => {
  await daemon.stop()
})

/** Over TCP the owner shows the admin token (a TCP caller without a credential is nobody). */
async function connect(headers: Record<string, string> = {}): Promise<Client> {
  const client = new Client({name: 'signet-test', version: '1.0.0'})
  const withCredential = {authorization: `Bearer ${daemon.adminToken()}`, ...headers}
  await client.connect(new StreamableHTTPClientTransport(new URL(`${daemon.url}/mcp`), {requestInit: {headers: withCredential}}))
  return client
}

function textOf(result: unknown): string {
  return ((result as CallToolResult).content[0] as {text: string}).text
}

describe('/mcp over Streamable HTTP (stateless)', () => {
  it('lists every tool of SPEC §8 with an input schema', async () => {
    const client = await connect()
    const {tools} = await client.listTools()
    expect(tools.map((tool) => tool.name).sort()).toEqual([...SIGNET_TOOL_NAMES].sort())
    const store = tools.find((tool) => tool.name === 'memory_store')!
    expect(store.inputSchema.required).toEqual(['content'])
    expect(client.getServerVersion()?.name).toBe('signet')
    await client.close()
  })

  it('stores a memory, then finds, gets, lists, modifies and forgets it', async () => {
    const client = await connect({'X-Signet-Harness': 'codex'})
    const stored = await client.callTool({
      name: 'memory_store',
      arguments: {content: 'The staging database listens on port 6543', tags: 'db, staging', importance: 0.7},
    })
    expect(stored.isError).toBeFalsy()
    const id = /Stored memory ([0-9a-f-]{36})/.exec(textOf(stored))?.[1]
    expect(id).toBeDefined()

    const found = await client.callTool({name: 'memory_search', arguments: {query: 'staging database port'}})
    expect(found.isError).toBeFalsy()
    expect(textOf(found)).toMatch(/^Found 1 memory/)
    expect(textOf(found)).toContain(`id: ${id}; The staging database listens on port 6543`)

    const again = await client.callTool({name: 'signet_remember', arguments: {content: 'The staging database listens on port 6543'}})
    expect(textOf(again)).toBe(`Already remembered: merged with memory ${id}.`)

    const got = await client.callTool({name: 'memory_get', arguments: {id}})
    const memory = JSON.parse(textOf(got))
    expect(memory).toMatchObject({id, tags: ['db', 'staging'], importance: 0.7, harness: 'codex'})

    const listed = await client.callTool({name: 'memory_list', arguments: {limit: 5}})
    expect(textOf(listed)).toContain(id!)

    const modified = await client.callTool({name: 'memory_modify', arguments: {id, reason: 'port moved', content: 'The staging database listens on port 7654'}})
    expect(modified.isError).toBeFalsy()
    const recalled = await client.callTool({name: 'signet_recall', arguments: {query: 'staging database port'}})
    expect(textOf(recalled)).toContain('7654')

    const forgotten = await client.callTool({name: 'memory_forget', arguments: {id, reason: 'obsolete'}})
    expect(textOf(forgotten)).toBe(`Forgot memory ${id}.`)
    const gone = await client.callTool({name: 'memory_search', arguments: {query: 'staging database port'}})
    expect(textOf(gone)).toBe('No matching memories found.')
    await client.close()
  })

  it('returns invalid input as a tool error naming the field', async () => {
    const client = await connect()
    const missing = await client.callTool({name: 'memory_store', arguments: {}})
    expect(missing.isError).toBe(true)
    expect(textOf(missing)).toMatch(/content/)
    const badImportance = await client.callTool({name: 'memory_store', arguments: {content: 'x', importance: 5}})
    expect(badImportance.isError).toBe(true)
    expect(textOf(badImportance)).toMatch(/importance/)
    const badId = await client.callTool({name: 'memory_get', arguments: {id: 'not-a-uuid'}})
    expect(badId.isError).toBe(true)
    expect(textOf(badId)).toMatch(/UUID/)
    const nothingToChange = await client.callTool({name: 'memory_modify', arguments: {id: '00000000-0000-4000-8000-000000000000'}})
    expect(nothingToChange.isError).toBe(true)
    expect(textOf(nothingToChange)).toMatch(/at least one of/)
    await client.close()
  })

  it("returns the daemon's refusal as a tool error with its message and code", async () => {
    const client = await connect()
    const missing = await client.callTool({name: 'memory_get', arguments: {id: '00000000-0000-4000-8000-000000000000'}})
    expect(missing.isError).toBe(true)
    expect(textOf(missing)).toBe('Get failed: memory 00000000-0000-4000-8000-000000000000 not found (404 not_found)')
    const badDate = await client.callTool({name: 'memory_forget', arguments: {id: '00000000-0000-4000-8000-000000000000'}})
    expect(textOf(badDate)).toMatch(/^Forget failed: .*\(404 not_found\)$/)
    await client.close()
  })

  it('searches stored session transcripts', async () => {
    const ended = await daemon.request('POST', '/api/hooks/session-end', {
      body: {
        harness: 'codex',
        sessionKey: 'sess-mcp-1',
        project: 'github.com/acme/api',
        transcript: 'User: why does the flaky checkout test fail?\nAssistant: the checkout test races the payment webhook; we added a retry.',
      },
    })
    expect(ended.status).toBe(200)
    const client = await connect()
    const found = await client.callTool({name: 'signet_session_search', arguments: {query: 'checkout webhook'}})
    expect(found.isError).toBeFalsy()
    expect(textOf(found)).toMatch(/^Found 1 matching session\./)
    expect(textOf(found)).toContain('session: sess-mcp-1 (github.com/acme/api, codex')
    expect(textOf(found)).toContain('races the payment')
    const excluded = await client.callTool({name: 'signet_session_search', arguments: {query: 'checkout webhook', current_session_key: 'sess-mcp-1'}})
    expect(textOf(excluded)).toBe('No matching sessions found.')
    await client.close()
  })

  it('answers GET and DELETE with 405 (stateless: no stream, no session)', async () => {
    const get = await fetch(`${daemon.url}/mcp`, {headers: {accept: 'text/event-stream', authorization: `Bearer ${daemon.adminToken()}`}})
    expect(get.status).toBe(405)
    expect(get.headers.get('allow')).toBe('POST')
    const del = await fetch(`${daemon.url}/mcp`, {method: 'DELETE', headers: {authorization: `Bearer ${daemon.adminToken()}`}})
    expect(del.status).toBe(405)
  })
})
