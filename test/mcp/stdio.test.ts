import {fileURLToPath} from 'node:url'

import {Client} from '@modelcontextprotocol/sdk/client/index.js'
import {StdioClientTransport} from '@modelcontextprotocol/sdk/client/stdio.js'
import type {CallToolResult} from '@modelcontextprotocol/sdk/types.js'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {SIGNET_TOOL_NAMES} from '../../src/mcp/tools.js'
import {RUN_JS, freePort} from '../helpers/cli.js'
import {startTestDaemon, type TestDaemon} from '../helpers/daemon.js'

// These spawn the compiled server (dist/): run `npm run build` first.
const MCP_JS = fileURLToPath(new URL('../../bin/mcp.js', import.meta.url))

let daemon: TestDaemon

beforeAll(async () => {
  daemon = await startTestDaemon()
})

afterAll(async () => {
  await daemon.stop()
})

function env(extra: Record<string, string> = {}): Record<string, string> {
  const base = Object.fromEntries(Object.entries(daemon.temp.env).filter((entry): entry is [string, string] => entry[1] !== undefined))
  // No SIGNET_DAEMON_URL: the server finds the workspace's daemon (HOME's default workspace) by its socket.
  return {...base, ...extra}
}

async function spawnServer(args: string[], extraEnv: Record<string, string> = {}): Promise<{client: Client; stderr: () => string}> {
  const transport = new StdioClientTransport({command: process.execPath, args, env: env(extraEnv), stderr: 'pipe'})
  let stderr = ''
  transport.stderr?.on('data', (chunk) => (stderr += chunk))
  const client = new Client({name: 'signet-test', version: '1.0.0'})
  await client.connect(transport)
  return {client, stderr: () => stderr}
}

function textOf(result: unknown): string {
  return ((result as CallToolResult).content[0] as {text: string}).text
}

describe('signet-mcp (stdio)', () => {
  it('answers the handshake quickly, lists the tools, stores then finds a memory', async () => {
    const started = performance.now()
    const {client, stderr} = await spawnServer([MCP_JS], {SIGNET_AGENT_ID: 'stdio-agent', SIGNET_HARNESS: 'claude-code'})
    const handshakeMs = performance.now() - started
    // Generous for a shared machine; harnesses give a server several seconds.
    expect(handshakeMs).toBeLessThan(5000)
    const {tools} = await client.listTools()
    expect(tools.map((tool) => tool.name).sort()).toEqual([...SIGNET_TOOL_NAMES].sort())

    const stored = await client.callTool({name: 'memory_store', arguments: {content: 'Use pnpm, never npm, in the web repo', tags: ['tooling']}})
    expect(stored.isError).toBeFalsy()
    const id = /Stored memory ([0-9a-f-]{36})/.exec(textOf(stored))?.[1]
    expect(id).toBeDefined()
    const found = await client.callTool({name: 'memory_search', arguments: {query: 'which package manager in the web repo'}})
    expect(textOf(found)).toContain(`id: ${id}; Use pnpm, never npm, in the web repo`)

    // SIGNET_AGENT_ID and SIGNET_HARNESS reached the daemon.
    const row = await daemon.request('GET', `/api/memory/${id}?agentId=stdio-agent`)
    expect(row.body.memory).toMatchObject({agentId: 'stdio-agent', harness: 'claude-code'})
    expect((await daemon.request('GET', `/api/memory/${id}`)).status).toBe(404)

    await client.close()
    expect(stderr()).toBe('')
  })

  it('works as `signet mcp` through the main CLI', async () => {
    const {client} = await spawnServer([RUN_JS, 'mcp'])
    const result = await client.callTool({name: 'memory_list', arguments: {}})
    expect(result.isError).toBeFalsy()
    await client.close()
  })

  it('starts without a daemon and reports it as a tool error on the first call', async () => {
    const port = await freePort()
    const {client} = await spawnServer([MCP_JS], {SIGNET_DAEMON_URL: `http://127.0.0.1:${port}`})
    const result = await client.callTool({name: 'memory_search', arguments: {query: 'anything'}})
    expect(result.isError).toBe(true)
    expect(textOf(result)).toMatch(/^Search failed: daemon not reachable at http:\/\/127\.0\.0\.1:\d+/)
    await client.close()
  })

  it('refuses an invalid SIGNET_DAEMON_URL with one line on stderr', async () => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [MCP_JS],
      env: env({SIGNET_DAEMON_URL: 'http://host:3850/api'}),
      stderr: 'pipe',
    })
    let stderr = ''
    transport.stderr?.on('data', (chunk) => (stderr += chunk))
    const client = new Client({name: 'signet-test', version: '1.0.0'})
    await expect(client.connect(transport)).rejects.toThrow()
    expect(stderr.trim()).toMatch(/^signet-mcp: SIGNET_DAEMON_URL must be a bare origin/)
  })
})
