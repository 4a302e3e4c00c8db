import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'

import {Client} from '@modelcontextprotocol/sdk/client/index.js'
import {StdioClientTransport} from '@modelcontextprotocol/sdk/client/stdio.js'
import type {CallToolResult} from '@modelcontextprotocol/sdk/types.js'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {signetSourceSearch} from '../../src/connectors/harness-bridge.js'
import {renderPiExtension} from '../../src/connectors/pi.js'
import {runCli} from '../helpers/cli.js'
import {startTestDaemon, type TestDaemon} from '../helpers/daemon.js'

// These spawn the compiled CLI and MCP server (dist/): run `npm run build` first.
const MCP_JS = fileURLToPath(new URL('../../bin/mcp.js', import.meta.url))

let daemon: TestDaemon
let folder: string
const savedEnv = {...process.env}

const baseEnv = () => Object.fromEntries(Object.entries(daemon.temp.env).filter((entry): entry is [string, string] => entry[1] !== undefined))

beforeAll(async () => {
  daemon = await startTestDaemon({agentYaml: 'sources:\n  scanIntervalSeconds: 0\n'})
  folder = mkdtempSync(path.join(tmpdir(), 'signet-mcp-source-'))
  mkdirSync(path.join(folder, 'src'))
  mkdirSync(path.join(folder, 'docs'))
  const setup = Array.from({length: 45}, (_, index) => `const step${index} = ${index}`).join('\n')
  writeFileSync(
    path.join(folder, 'src/billing.ts'),
    `${setup}\n\nexport function retryWebhook(attempt: number) {\n  return Math.min(attempt * 2, 30) // backoff cap for the stripe webhook\n}\n`,
  )
  writeFileSync(path.join(folder, 'docs/runbook.md'), '# Runbook\n\nWhen the stripe webhook fails, check the backoff cap first.\n')
  writeFileSync(path.join(folder, '.gitignore'), 'secrets.txt\n')
  writeFileSync(path.join(folder, 'secrets.txt'), 'stripe webhook signing secret lives here\n')
})

afterAll(async () => {
  process.env = savedEnv
  await daemon.stop()
  rmSync(folder, {recursive: true, force: true})
})

describe('signet source CLI + signet_source_search', () => {
  it('`signet source add` indexes the folder; `source list` shows it', async () => {
    const added = await runCli(['source', 'add', folder, '--name', 'shop'], {env: daemon.temp.env})
    expect(added.code, added.stderr).toBe(0)
    expect(added.stdout).toMatch(/^Added source shop \(/)
    expect(added.stdout).toContain('3 files')
    const listed = await runCli(['source', 'list'], {env: daemon.temp.env})
    expect(listed.code, listed.stderr).toBe(0)
    expect(listed.stdout).toContain('shop  ')
    expect(listed.stdout).toContain('Sources (shared by every agent and project in this workspace)')
  })

  it('the MCP tool over stdio answers path:line lines, with a readonly key; the ignored file is not among them', async () => {
    const key = await daemon.request('POST', '/api/auth/api-keys', {body: {name: 'mcp readonly', role: 'readonly'}})
    expect(key.status).toBe(201)
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [MCP_JS],
      env: {...baseEnv(), SIGNET_DAEMON_URL: daemon.url, SIGNET_API_KEY: key.body.apiKey.key},
      stderr: 'pipe',
    })
    const client = new Client({name: 'signet-test', version: '1.0.0'})
    await client.connect(transport)
    const {tools} = await client.listTools()
    expect(tools.map((tool) => tool.name)).toContain('signet_source_search')
    const result = (await client.callTool({name: 'signet_source_search', arguments: {query: 'stripe webhook backoff cap'}})) as CallToolResult
    expect(result.isError).toBeFalsy()
    const text = (result.content[0] as {text: string}).text
    const lines = text.split('\n')
    expect(lines[0]).toBe("Found 2 chunks in source 'shop':")
    expect(lines.slice(1).sort()).toEqual([
      expect.stringMatching(/^docs\/runbook\.md:1-3 {2}.*stripe webhook fails/),
      expect.stringMatching(/^src\/billing\.ts:4\d-4\d {2}.*backoff cap for the stripe webhook/),
    ])
    expect(text).not.toContain('secrets.txt')
    const bad = (await client.callTool({name: 'signet_source_search', arguments: {query: 'x', source: 'missing'}})) as CallToolResult
    expect(bad.isError).toBe(true)
    expect((bad.content[0] as {text: string}).text).toMatch(/^Source search failed: source 'missing' not found \(404 not_found\)/)
    await client.close()
  })

  it('the Pi extension registers signet_source_search and it answers the same lines', async () => {
    delete process.env.SIGNET_DAEMON_URL
    delete process.env.SIGNET_WORKSPACE
    delete process.env.SIGNET_API_KEY
    process.env.HOME = daemon.temp.home
    expect((await signetSourceSearch('pi', {query: 'retryWebhook'})).split('\n')[1]).toMatch(/^src\/billing\.ts:\d+-\d+ {2}.*export function retryWebhook/)
    // Loaded the way Pi loads it: a default export given a `pi` host (typebox stubbed, as Pi provides it).
    const source = renderPiExtension(path.resolve('src/connectors/harness-bridge.ts')).replace(
      "import {Type} from '@sinclair/typebox'",
      'const Type = {Object: (o) => o, String: (o) => o, Optional: (o) => o, Number: (o) => o, Array: (o) => o}',
    )
    const file = path.join(daemon.temp.home, 'signet-pi-extension.ts')
    writeFileSync(file, source)
    const tools: Record<string, {execute: (id: string, params: Record<string, unknown>) => Promise<{content: Array<{text: string}>}>}> = {}
    const extension = (await import(pathToFileURL(file).href)) as {default: (pi: unknown) => void}
    extension.default({on: () => undefined, registerTool: (tool: {name: string}) => (tools[tool.name] = tool as never)})
    const answer = (await tools.signet_source_search.execute('1', {query: 'stripe webhook backoff'})).content[0].text
    expect(answer.split('\n')[0]).toBe("Found 2 chunks in source 'shop':")
    expect(answer).toMatch(/^src\/billing\.ts:\d+-\d+ {2}.*backoff cap/m)
  })

  it('`signet source reindex` and `source remove` work from the CLI', async () => {
    writeFileSync(path.join(folder, 'docs/new.md'), 'the pangolin procedure\n')
    const reindexed = await runCli(['source', 'reindex', 'shop'], {env: daemon.temp.env})
    expect(reindexed.code, reindexed.stderr).toBe(0)
    expect(reindexed.stdout).toMatch(/^shop: 1 changed, 0 removed, 3 unchanged/)
    const removed = await runCli(['source', 'remove', 'shop'], {env: daemon.temp.env})
    expect(removed.code, removed.stderr).toBe(0)
    expect((await daemon.request('POST', '/api/sources/search', {body: {query: 'pangolin'}})).body.hits).toEqual([])
    const missing = await runCli(['source', 'remove', 'shop'], {env: daemon.temp.env})
    expect(missing.code).not.toBe(0)
    expect(missing.stderr).toContain("source 'shop' not found")
  })
})
