import {readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {pathToFileURL} from 'node:url'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {renderPiExtension} from '../../src/connectors/pi.js'
import {startTestDaemon, type TestDaemon} from '../helpers/daemon.js'

/*
 * The Pi extension's agent tools (and the list_peers / get_messages aliases), loaded the way Pi
 * loads it — a default export given a `pi` host — and run against a real daemon with a scoped key.
 * Pi provides @sinclair/typebox to its extensions; this test gives the same import a minimal stand-in.
 */

type Tool = {
  name: string
  execute: (id: string, params: Record<string, unknown>, signal?: unknown, onUpdate?: unknown, ctx?: unknown) => Promise<{content: Array<{text: string}>}>
}

let daemon: TestDaemon
const tools: Record<string, Tool> = {}
const saved = {url: process.env.SIGNET_DAEMON_URL, key: process.env.SIGNET_API_KEY}

beforeAll(async () => {
  daemon = await startTestDaemon({agentYaml: 'auth:\n  mode: team\n'})
  const admin = {authorization: `Bearer ${readFileSync(path.join(daemon.workspace, '.daemon', 'admin.token'), 'utf8').trim()}`}
  const created = await daemon.request('POST', '/api/auth/api-keys', {
    body: {name: 'pi laptop', role: 'agent', connector: 'pi', agentId: 'pi-laptop'},
    headers: admin,
  })
  await daemon.request('POST', '/api/agents/messages', {body: {agentId: 'codex-b', to: 'pi-laptop', body: 'hello pi, from codex'}, headers: admin})
  await daemon.request('POST', '/api/hooks/session-start', {body: {harness: 'codex', agentId: 'codex-b', sessionKey: 'cx-1'}, headers: admin})
  process.env.SIGNET_DAEMON_URL = daemon.url
  process.env.SIGNET_API_KEY = created.body.apiKey.key
  const bridge = path.resolve('src/connectors/harness-bridge.ts')
  const source = renderPiExtension(bridge).replace(
    "import {Type} from '@sinclair/typebox'",
    'const Type = {Object: (o) => o, String: (o) => o, Optional: (o) => o, Number: (o) => o, Array: (o) => o}',
  )
  const file = path.join(daemon.temp.home, 'signet-pi-extension.ts')
  writeFileSync(file, source)
  const extension = (await import(pathToFileURL(file).href)) as {default: (pi: unknown) => void}
  extension.default({on: () => undefined, registerTool: (tool: Tool) => (tools[tool.name] = tool)})
})

afterAll(async () => {
  process.env.SIGNET_DAEMON_URL = saved.url
  process.env.SIGNET_API_KEY = saved.key
  if (saved.url === undefined) delete process.env.SIGNET_DAEMON_URL
  if (saved.key === undefined) delete process.env.SIGNET_API_KEY
  await daemon.stop()
})

describe('Pi extension agent tools', () => {
  it('registers agent_peers, agent_send, agent_inbox, agent_ack and the aliases list_peers, get_messages', () => {
    expect(Object.keys(tools)).toEqual(expect.arrayContaining(['agent_peers', 'agent_send', 'agent_inbox', 'agent_ack', 'list_peers', 'get_messages']))
  })

  it('reads, acks and answers as its own agent; the aliases behave like the tools', async () => {
    expect((await tools.list_peers.execute('1', {})).content[0].text).toContain('codex-b: online')
    const inbox = (await tools.get_messages.execute('2', {})).content[0].text
    expect(inbox).toContain('hello pi, from codex')
    const id = /id ([0-9a-f-]{36})/.exec(inbox)![1]
    expect((await tools.agent_ack.execute('3', {id})).content[0].text).toBe(`Acknowledged message ${id}.`)
    const sent = (await tools.agent_send.execute('4', {to: 'codex-b', text: 'on it', reply_to: id}, undefined, undefined, {})).content[0].text
    expect(sent).toMatch(/^Sent message [0-9a-f-]{36} to codex-b/)
    const codexInbox = await daemon.request('GET', '/api/agents/inbox?agentId=codex-b', {
      headers: {authorization: `Bearer ${readFileSync(path.join(daemon.workspace, '.daemon', 'admin.token'), 'utf8').trim()}`},
    })
    expect(codexInbox.body.messages[0]).toMatchObject({from: {agent: 'pi-laptop'}, kind: 'reply', replyTo: id, body: 'on it'})
  })
})
