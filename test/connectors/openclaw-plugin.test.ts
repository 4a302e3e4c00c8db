import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {pathToFileURL} from 'node:url'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {signetEntryPoints} from '../../src/connectors/hook-command.js'
import {renderOpenClawEntry} from '../../src/connectors/openclaw.js'
import {startTestDaemon, type TestDaemon} from '../helpers/daemon.js'

/**
 * The generated OpenClaw plugin, loaded as OpenClaw loads it (default export, `register(api)`),
 * with its hooks running the real `signet hook` against a real daemon. The real CLI proves the
 * turn end to end (test/harnesses); compaction needs an OpenClaw gateway, so it is proven here.
 */
type Handler = (event: Record<string, unknown>, ctx: Record<string, unknown>) => Promise<unknown>

let daemon: TestDaemon
let dir: string
const handlers = new Map<string, Handler>()
const savedEnv = {...process.env}
const PROMPT = 'which port does the staging database listen on?'

beforeAll(async () => {
  daemon = await startTestDaemon({agentYaml: 'hooks:\n  sessionStartMemories: 0\n  refreshMemoryMd: false\n'})
  expect((await daemon.request('POST', '/api/memory/remember', {body: {content: 'The staging database listens on port 5433, not 5432.'}})).status).toBe(201)
  // the hook reaches the workspace's daemon as its owner, through the socket
  delete process.env.SIGNET_DAEMON_URL
  process.env.SIGNET_WORKSPACE = daemon.workspace
  process.env.HOME = daemon.temp.home
  delete process.env.SIGNET_API_KEY
  dir = mkdtempSync(path.join(tmpdir(), 'signet-openclaw-plugin-'))
  // a copy somewhere else, as OpenClaw runs it: the recorded CLI paths must still work
  const file = path.join(dir, 'index.mjs')
  writeFileSync(file, renderOpenClawEntry(signetEntryPoints()))
  const plugin = (await import(pathToFileURL(file).href)).default
  plugin.register({on: (name: string, handler: Handler) => handlers.set(name, handler), registerTool: () => {}})
}, 60_000)

afterAll(async () => {
  process.env = savedEnv
  rmSync(dir, {recursive: true, force: true})
  await daemon.stop()
})

const ctx = {sessionKey: 'agent:main:main'}
const promptContext = async () =>
  ((await handlers.get('before_prompt_build')!({prompt: PROMPT}, ctx)) as {prependContext?: string} | undefined)?.prependContext ?? ''

describe('OpenClaw plugin (generated entry)', () => {
  it('recalls once per session; after compaction identity and memories come again', async () => {
    const first = await promptContext()
    expect(first).toContain('5433')
    expect(first).toContain('## Agent Instructions')
    // recall never repeats what this session already has
    expect(await promptContext()).not.toContain('5433')
    await handlers.get('after_compaction')!({summary: 'We discussed the staging database.'}, ctx)
    const afterCompaction = await promptContext()
    expect(afterCompaction).toContain('5433')
    expect(afterCompaction).toContain('## Agent Instructions')
    expect(afterCompaction).not.toContain('loaded at its start')
  }, 60_000)

  it('agent_end stores the conversation as the session transcript', async () => {
    await handlers.get('agent_end')!(
      {
        messages: [
          {role: 'user', content: PROMPT},
          {role: 'assistant', content: 'Port 5433.'},
        ],
      },
      ctx,
    )
    const search = await daemon.request('POST', '/api/sessions/search', {body: {query: 'staging database'}})
    expect(search.body.hits.map((hit: {sessionKey: string}) => hit.sessionKey)).toContain('agent:main:main')
  }, 60_000)
})
