import {existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {RUN_JS} from '../helpers/cli.js'
import {startTestDaemon, type TestDaemon} from '../helpers/daemon.js'
import {makeTempHome, type TempHome} from '../helpers/temp-home.js'
import {ensureHarnessCli, HARNESS_PACKAGES, type HarnessCli, type HarnessName, run} from './harness-clis.js'
import {MODEL_STUB_REPLY, type ModelStub, startModelStub} from './model-stub.js'

/**
 * The real harness CLIs, installed from npm at their newest releases, prove what a user gets:
 * driven through each one's own headless mode against a local model stand-in, (a) a memory
 * stored in a real daemon reaches the model request, (b) session end stores the transcript
 * (found by /api/sessions/search), (c) where a headless compaction route exists (Claude `/compact`
 * on a resumed session, Codex's auto-compact token limit, OpenCode's summarize route, Pi's RPC
 * compact) the request after compaction has the memory again, (d) install → uninstall gives
 * back the user's config byte for byte (JSONC and JSON5 included), and (e) a message one agent
 * sends from Claude Code's MCP tool reaches the model request of another agent's Codex turn.
 */

const MEMORIES = [
  'The staging database listens on port 5433, not 5432.',
  'Use pnpm, not npm, in the web repository.',
  'Deploys go out on Tuesdays after the standup.',
  'The CI runners have 2 cores and 24 GiB of memory.',
  'Alice owns the billing service.',
]
const PROMPT = 'which port does the staging database listen on?'
const RECALLED = '5433'

let daemon: TestDaemon
let stub: ModelStub

beforeAll(async () => {
  // session-start injects no memories and MEMORY.md is never rewritten: the memory can then
  // reach the model only through the per-prompt recall hook (UserPromptSubmit / BeforeAgent / chat.message)
  daemon = await startTestDaemon({agentYaml: 'hooks:\n  sessionStartMemories: 0\n  refreshMemoryMd: false\n'})
  for (const content of MEMORIES) {
    const response = await daemon.request('POST', '/api/memory/remember', {body: {content}})
    expect(response.status).toBe(201)
  }
  stub = await startModelStub()
  // which releases this run proved (kept at the newest by `npm run harnesses:update`)
  console.log(
    `harness CLIs: ${Object.values(HARNESS_PACKAGES)
      .map((p) => `${p.name}@${p.version}`)
      .join(', ')}`,
  )
})

afterAll(async () => {
  await stub?.close()
  await daemon?.stop()
})

interface Machine {
  temp: TempHome
  env: NodeJS.ProcessEnv
  project: string
  cli: HarnessCli
}

/** A fresh harness machine: its own HOME, the harness CLI first on PATH, a project dir. */
function machine(harness: HarnessName): Machine {
  const cli = ensureHarnessCli(harness)
  const temp = makeTempHome(`signet-${harness}-`)
  const env: Record<string, string> = {...temp.env, PATH: [...cli.pathPrefix, temp.env.PATH].join(path.delimiter), SIGNET_NO_KEYCHAIN: '1'}
  // a harness must not think it runs under a test runner (OpenClaw goes quiet when VITEST is set)
  for (const name of Object.keys(env)) if (name.startsWith('VITEST') || name === 'TEST' || name === 'NODE_ENV') delete env[name]
  const project = path.join(temp.home, 'project')
  mkdirSync(project, {recursive: true})
  return {temp, env, project, cli}
}

async function signet(m: Machine, args: string[]): Promise<string> {
  const result = await run(process.execPath, [RUN_JS, ...args], {env: m.env, timeoutMs: 60_000})
  expect(result.stderr).toBe('')
  expect(result.code).toBe(0)
  return result.stdout
}

/**
 * Connect to the test daemon by URL with a key minted for the harness (a TCP caller without a
 * credential is nobody): stores credentials the hooks and MCP server resolve at run time.
 */
async function connect(m: Machine, harness: string, agentId?: string): Promise<void> {
  // with agentId: a key scoped to that agent (it sends only as it and reads only its own inbox)
  const minted = await daemon.request('POST', '/api/auth/api-keys', {
    body: {name: `real ${harness}`, role: 'agent', connector: harness, ...(agentId ? {agentId} : {})},
  })
  expect(minted.status).toBe(201)
  const out = await signet(m, [
    'connect',
    harness,
    '--url',
    daemon.url,
    '--api-key',
    minted.body.apiKey.key,
    ...(agentId ? ['--agent-id', agentId] : []),
    '--yes',
  ])
  expect(out).toMatch(/connector installed/)
}

function promptsWithRecall(): string[] {
  return stub.completionBodies().filter((body) => body.includes(RECALLED))
}

/** The model request text around the recalled memory (what the report quotes). */
function recallExcerpt(body: string): string {
  const at = body.indexOf(RECALLED)
  return body.slice(Math.max(0, at - 700), at + 300)
}

/** Transcripts the daemon stored for `harness` that session search finds by the prompt's words. */
async function storedSessions(harness: string): Promise<Array<{sessionKey: string; project?: string | null; excerpt: string}>> {
  const response = await daemon.request('POST', '/api/sessions/search', {body: {query: 'staging database port', limit: 50}})
  expect(response.status).toBe(200)
  return (response.body.hits as Array<{sessionKey: string; harness: string; project?: string | null; excerpt: string}>).filter((hit) => hit.harness === harness)
}

/** Bytes of each file (undefined = absent): install → uninstall must give the same map back. */
function snapshot(files: string[]): Record<string, string | undefined> {
  return Object.fromEntries(files.map((file) => [file, existsSync(file) ? readFileSync(file, 'latin1') : undefined]))
}

describe('Claude Code (real CLI)', () => {
  let m: Machine
  let settingsFile: string
  let before: Record<string, string | undefined>
  const sessionId = '5e1f0c2a-7d3b-4c8e-9a61-2f4b8d0c1e37'
  const claudeEnv = () => ({...m.env, ANTHROPIC_BASE_URL: stub.url, ANTHROPIC_API_KEY: 'sk-ant-stub'})
  beforeAll(() => {
    m = machine('claude')
    settingsFile = path.join(m.temp.home, '.claude', 'settings.json')
    mkdirSync(path.dirname(settingsFile), {recursive: true})
    writeFileSync(
      settingsFile,
      '{\n  "permissions": {"allow": ["Bash(ls:*)"]},\n  "hooks": {"Stop": [{"hooks": [{"type": "command", "command": "true"}]}]}\n}\n',
    )
    before = snapshot([settingsFile])
  })
  afterAll(() => m?.temp.cleanup())

  it('`claude mcp list` reports the signet server connected and records no session', async () => {
    await connect(m, 'claude-code')
    const settings = JSON.parse(readFileSync(settingsFile, 'utf8'))
    expect(Object.keys(settings.hooks)).toEqual(['Stop', 'SessionStart', 'UserPromptSubmit', 'PreCompact', 'PostCompact', 'SessionEnd'])
    const list = await run(m.cli.bin, ['mcp', 'list'], {env: m.env, cwd: m.project})
    expect(list.stdout).toMatch(/signet: .*mcp\.js --harness claude-code - ✔ Connected/)
    const sessions = await daemon.request('GET', '/api/sessions?limit=100')
    expect((sessions.body.sessions as Array<{harness: string}>).filter((session) => session.harness === 'claude-code')).toEqual([])
  })

  it('`claude -p`: the stored memory reaches the model request and SessionEnd stores the transcript', async () => {
    const seen = promptsWithRecall().length
    const result = await run(m.cli.bin, ['-p', '--session-id', sessionId, PROMPT], {env: claudeEnv(), cwd: m.project})
    expect(result.stdout).toContain(MODEL_STUB_REPLY)
    expect(promptsWithRecall().length).toBeGreaterThan(seen)
    const sessions = await storedSessions('claude-code')
    expect(sessions.map((session) => session.sessionKey)).toContain(sessionId)
  })

  it('the workspace skills are linked and Claude Code offers /remember and /recall to the model', async () => {
    // Skills come from this machine's workspace (a harness machine without one has none to link).
    await signet(m, ['workspace', 'set', path.join(m.temp.home, '.agents'), '--init'])
    await connect(m, 'claude-code')
    expect(existsSync(path.join(m.temp.home, '.claude', 'skills', 'remember', 'SKILL.md'))).toBe(true)
    expect(existsSync(path.join(m.temp.home, '.claude', 'skills', 'recall', 'SKILL.md'))).toBe(true)
    // The skill list Claude Code sends the model names ours with their descriptions.
    const seen = stub.completionBodies().length
    const result = await run(m.cli.bin, ['-p', 'hello'], {env: claudeEnv(), cwd: m.project})
    expect(result.stdout).toContain(MODEL_STUB_REPLY)
    const bodies = stub.completionBodies().slice(seen)
    expect(bodies.some((body) => body.includes("Save a fact, decision or preference to Signet's long-term memory"))).toBe(true)
    expect(bodies.some((body) => body.includes("Search Signet's long-term memory"))).toBe(true)
  })

  it('`/compact` on the resumed session, then the next request has the memories again', async () => {
    const compact = await run(m.cli.bin, ['-p', '--resume', sessionId, '/compact'], {env: claudeEnv(), cwd: m.project})
    expect(compact.code).toBe(0)
    const seen = stub.completionBodies().length
    // the same question: recall never repeats within a session, so the memory comes back only
    // because compaction (SessionStart source=compact) reset what the session had been given
    const result = await run(m.cli.bin, ['-p', '--resume', sessionId, PROMPT], {env: claudeEnv(), cwd: m.project})
    expect(result.stdout).toContain(MODEL_STUB_REPLY)
    const after = stub.completionBodies().slice(seen)
    expect(after.some((body) => body.includes(RECALLED))).toBe(true)
  })

  it('after uninstall Claude Code no longer lists signet and settings.json is byte-identical', async () => {
    await signet(m, ['connector', 'uninstall', 'claude-code'])
    const list = await run(m.cli.bin, ['mcp', 'list'], {env: m.env, cwd: m.project})
    expect(list.stdout).not.toContain('signet')
    expect(snapshot([settingsFile])).toEqual(before)
  })
})

describe('Codex CLI (real CLI)', () => {
  let m: Machine
  let files: string[]
  let before: Record<string, string | undefined>
  beforeAll(() => {
    m = machine('codex')
    const configFile = path.join(m.temp.home, '.codex', 'config.toml')
    files = [configFile, path.join(m.temp.home, '.codex', 'hooks.json')]
    mkdirSync(path.dirname(configFile), {recursive: true})
    // the user's own config: the model stand-in as a provider, with a comment
    writeFileSync(
      configFile,
      `# my Codex setup\nmodel = "stub-model"\nmodel_provider = "stub"\n\n[model_providers.stub]\nname = "stub"\nbase_url = "${stub.url}/v1"\nwire_api = "responses"\nenv_key = "STUB_API_KEY"\n`,
    )
    before = snapshot(files)
  })
  afterAll(() => m?.temp.cleanup())

  it('`codex mcp list --json` shows signet and the app server parses our hooks.json cleanly', async () => {
    await connect(m, 'codex')
    const list = await run(m.cli.bin, ['mcp', 'list', '--json'], {env: m.env, cwd: m.project})
    const servers = JSON.parse(list.stdout) as Array<{name: string; enabled: boolean; transport: {command: string; args: string[]}}>
    const signetServer = servers.find((server) => server.name === 'signet')
    expect(signetServer).toMatchObject({enabled: true, transport: {command: process.execPath}})

    const requests =
      [
        {id: 1, method: 'initialize', params: {clientInfo: {name: 'signet-harness-test', version: '0'}}},
        {method: 'initialized'},
        {id: 2, method: 'hooks/list', params: {cwds: [m.project]}},
      ]
        .map((request) => JSON.stringify(request))
        .join('\n') + '\n'
    const server = await listHooksThroughAppServer(m, requests)
    expect(server.errors).toEqual([])
    expect(server.warnings).toEqual([])
    expect(server.hooks.map((hook) => [hook.eventName, hook.timeoutSec, hook.trustStatus]).sort()).toEqual([
      ['preCompact', 10, 'trusted'],
      ['sessionEnd', 3, 'trusted'],
      ['sessionStart', 20, 'trusted'],
      ['userPromptSubmit', 10, 'trusted'],
    ])
    for (const hook of server.hooks) expect(hook.command).toMatch(/run\.js" hook [a-z-]+ -H codex$/)
  })

  it('`codex exec`: the stored memory reaches the model request and SessionEnd stores the transcript', async () => {
    const seen = promptsWithRecall().length
    // no --dangerously-bypass-hook-trust: connect recorded Codex's own trust hashes for our hooks
    const result = await run(m.cli.bin, ['exec', '--skip-git-repo-check', PROMPT], {env: {...m.env, STUB_API_KEY: 'stub'}, cwd: m.project})
    expect(result.stdout).toContain(MODEL_STUB_REPLY)
    expect(result.stderr).toMatch(/hook: UserPromptSubmit Completed/)
    expect(promptsWithRecall().length).toBeGreaterThan(seen)
    const sessions = await storedSessions('codex')
    expect(sessions.length).toBeGreaterThan(0)
  })

  it('after Codex auto-compacts (token limit) the next model request has the memories again', async () => {
    const seen = stub.completionBodies().length
    const result = await run(m.cli.bin, ['exec', '--skip-git-repo-check', '-c', 'model_auto_compact_token_limit=5', 'resume', '--last', PROMPT], {
      env: {...m.env, STUB_API_KEY: 'stub'},
      cwd: m.project,
    })
    expect(result.stdout).toContain(MODEL_STUB_REPLY)
    expect(result.stderr).toMatch(/hook: PreCompact Completed/)
    const bodies = stub.completionBodies().slice(seen)
    const last = bodies[bodies.length - 1]
    expect(bodies.length).toBeGreaterThan(1)
    expect(last).toContain(RECALLED)
  })

  it('after uninstall Codex lists no signet server and config.toml/hooks.json are byte-identical', async () => {
    await signet(m, ['connector', 'uninstall', 'codex'])
    const list = await run(m.cli.bin, ['mcp', 'list', '--json'], {env: m.env, cwd: m.project})
    expect(list.stdout).not.toContain('signet')
    expect(snapshot(files)).toEqual(before)
  })
})

describe('Agent network across harnesses (real Claude Code → real Codex)', () => {
  let claude: Machine
  let codex: Machine
  const note = `Cross-harness note ${Date.now().toString(36)}: the API schema changed, regenerate the client.`
  const codexEnv = () => ({...codex.env, STUB_API_KEY: 'stub'})
  /** Occurrences of `text` in `body` (a model request). */
  const count = (body: string, text: string) => body.split(text).length - 1
  beforeAll(() => {
    claude = machine('claude')
    codex = machine('codex')
    const configFile = path.join(codex.temp.home, '.codex', 'config.toml')
    mkdirSync(path.dirname(configFile), {recursive: true})
    writeFileSync(
      configFile,
      `model = "stub-model"\nmodel_provider = "stub"\n\n[model_providers.stub]\nname = "stub"\nbase_url = "${stub.url}/v1"\nwire_api = "responses"\nenv_key = "STUB_API_KEY"\n`,
    )
  })
  afterAll(() => {
    claude?.temp.cleanup()
    codex?.temp.cleanup()
  })

  it('Claude Code calls the agent_send MCP tool; the note reaches the next Codex model request once; the Codex agent acks and Claude sees it', async () => {
    await connect(claude, 'claude-code', 'claude-a')
    await connect(codex, 'codex', 'codex-b')

    // the model stand-in answers Claude's turn with a call of Signet's MCP tool: Claude Code runs it itself
    stub.callToolNext('mcp__signet__agent_send', {to: 'codex-b', text: note, subject: 'schema'})
    const sent = await run(claude.cli.bin, ['-p', 'tell codex-b the schema changed', '--allowedTools', 'mcp__signet__agent_send'], {
      // MCP tools offered up front, not deferred behind Claude Code's ToolSearch
      env: {...claude.env, ANTHROPIC_BASE_URL: stub.url, ANTHROPIC_API_KEY: 'sk-ant-stub', ENABLE_TOOL_SEARCH: 'false'},
      cwd: claude.project,
    })
    expect(sent.code, sent.stdout + sent.stderr).toBe(0)
    // the tool result Claude Code sent back to the model: the daemon accepted the message
    const toolResult = stub.completionBodies().find((body) => body.includes('tool_result') && body.includes('Sent message'))
    expect(toolResult).toBeDefined()
    console.log(
      `Claude Code → model, the MCP tool's result (excerpt):\n${toolResult!.slice(toolResult!.indexOf('"tool_result"') - 40, toolResult!.indexOf('next prompt.') + 'next prompt.'.length)}`,
    )
    const outbox = JSON.parse(await signet(claude, ['agent', 'inbox', '--sent', '--json']))
    const message = (outbox.messages as Array<{id: string; body: string; to: string; state: string; from: {agent: string; harness: string | null}}>).find(
      (entry) => entry.body === note,
    )
    expect(message).toMatchObject({to: 'codex-b', state: 'pending', from: {agent: 'claude-a'}})
    expect(toolResult).toContain(`Sent message ${message!.id}`)

    // the recipient's next Codex turn: the note is in the model request, fenced as data, once
    let seen = stub.completionBodies().length
    const turn = await run(codex.cli.bin, ['exec', '--skip-git-repo-check', 'any news from the other agents?'], {env: codexEnv(), cwd: codex.project})
    expect(turn.stdout).toContain(MODEL_STUB_REPLY)
    const withNote = stub
      .completionBodies()
      .slice(seen)
      .filter((body) => body.includes(note))
    expect(withNote.length).toBeGreaterThan(0)
    const request = withNote[0]
    expect(count(request, note)).toBe(1)
    const open = request.indexOf('<signet-agent-messages')
    const close = request.indexOf('</signet-agent-messages>')
    expect(open).toBeGreaterThan(-1)
    expect(request.indexOf(note)).toBeGreaterThan(open)
    expect(request.indexOf(note)).toBeLessThan(close)
    console.log(`Codex model request (excerpt):\n${request.slice(open, close + '</signet-agent-messages>'.length)}`)

    // the next turn (same session, resumed) carries the note only as history, not pushed again
    seen = stub.completionBodies().length
    const next = await run(codex.cli.bin, ['exec', '--skip-git-repo-check', 'resume', '--last', 'and now?'], {env: codexEnv(), cwd: codex.project})
    expect(next.stdout).toContain(MODEL_STUB_REPLY)
    const nextBodies = stub.completionBodies().slice(seen)
    expect(nextBodies.length).toBeGreaterThan(0)
    // resumed: the earlier turn's block is in the history once, and no second block was pushed
    for (const body of nextBodies) {
      expect(count(body, note)).toBe(1)
      expect(count(body, '<signet-agent-messages')).toBe(1)
    }
    const delivered = JSON.parse(await signet(claude, ['agent', 'inbox', '--sent', '--json']))
    expect((delivered.messages as Array<{id: string; state: string}>).find((entry) => entry.id === message!.id)).toMatchObject({state: 'delivered'})

    // Codex's agent acks; Claude's agent sees it acked
    await signet(codex, ['agent', 'inbox', '--ack', message!.id])
    const after = JSON.parse(await signet(claude, ['agent', 'inbox', '--sent', '--json']))
    expect((after.messages as Array<{id: string; state: string; ackedAt: string | null}>).find((entry) => entry.id === message!.id)).toMatchObject({
      state: 'acked',
      ackedAt: expect.any(String),
    })
  })
})

/** `codex app-server` over stdio: initialize, then hooks/list for the project. */
async function listHooksThroughAppServer(m: Machine, input: string) {
  // the app server keeps reading stdin; it answers and we stop it once the hooks/list reply is in
  const {spawn} = await import('node:child_process')
  return new Promise<{hooks: Array<{eventName: string; command: string; timeoutSec: number; trustStatus: string}>; warnings: unknown[]; errors: unknown[]}>(
    (resolve, reject) => {
      const child = spawn(m.cli.bin, ['app-server'], {env: m.env, cwd: m.project, stdio: ['pipe', 'pipe', 'ignore']})
      let buffer = ''
      const timer = setTimeout(() => {
        child.kill('SIGKILL')
        reject(new Error(`no hooks/list answer: ${buffer.slice(-1000)}`))
      }, 60_000)
      child.stdout.on('data', (chunk) => {
        buffer += chunk
        for (const line of buffer.split('\n')) {
          if (!line.startsWith('{"id":2')) continue
          clearTimeout(timer)
          child.kill()
          const entry = JSON.parse(line).result.data[0]
          resolve({hooks: entry.hooks, warnings: entry.warnings, errors: entry.errors})
          return
        }
      })
      child.stdin.write(input)
    },
  )
}

describe('OpenCode (real CLI)', () => {
  let m: Machine
  let configFile: string
  let before: Record<string, string | undefined>
  beforeAll(() => {
    m = machine('opencode')
    configFile = path.join(m.temp.home, '.config', 'opencode', 'opencode.jsonc')
    mkdirSync(path.dirname(configFile), {recursive: true})
    // the user's own JSONC config, with the model stand-in as a provider
    writeFileSync(
      configFile,
      `{
  "$schema": "https://opencode.ai/config.json",
  // my OpenCode setup
  "provider": {"stub": {"npm": "@ai-sdk/openai-compatible", "name": "Stub", "options": {"baseURL": "${stub.url}/v1", "apiKey": "stub"}, "models": {"stub-model": {"name": "Stub"}}}},
  "model": "stub/stub-model",
  "small_model": "stub/stub-model",
}
`,
    )
    before = snapshot([configFile])
  })
  afterAll(() => m?.temp.cleanup())

  it('`opencode debug config` shows the plugin and mcp.signet; `opencode mcp list` connects', async () => {
    await connect(m, 'opencode')
    const config = await run(m.cli.bin, ['debug', 'config'], {env: m.env, cwd: m.project})
    const resolved = JSON.parse(config.stdout)
    expect(resolved.plugin).toContain(`file://${path.join(m.temp.home, '.config', 'opencode', 'plugins', 'signet.mjs')}`)
    expect(resolved.mcp.signet).toMatchObject({type: 'local', enabled: true})
    const list = await run(m.cli.bin, ['mcp', 'list'], {env: m.env, cwd: m.project})
    expect(list.stdout).toMatch(/✓ signet .*connected/)
  })

  it('`opencode run`: the stored memory reaches the model request (not the title request) and the idle session is stored', async () => {
    const seen = promptsWithRecall().length
    const first = stub.completionBodies().length
    const result = await run(m.cli.bin, ['run', PROMPT], {env: m.env, cwd: m.project, timeoutMs: 180_000})
    expect(result.stdout).toContain(MODEL_STUB_REPLY)
    expect(promptsWithRecall().length).toBeGreaterThan(seen)
    // OpenCode asks its small model for a session title: that request must not carry memories
    const titleRequests = stub
      .completionBodies()
      .slice(first)
      .filter((body) => body.includes('You are a title generator'))
    expect(titleRequests.length).toBeGreaterThan(0)
    expect(titleRequests.filter((body) => body.includes(RECALLED))).toEqual([])
    const sessions = await storedSessions('opencode')
    expect(sessions.length).toBeGreaterThan(0)
    // outside a git repository the session's folder is the project, not "/" (OpenCode's worktree there)
    expect(sessions.map((session) => session.project)).toEqual(expect.arrayContaining([expect.stringMatching(/^local:project:/)]))
  })

  it("after OpenCode's summarize (compaction) the next model request has the memories again", async () => {
    const {spawn} = await import('node:child_process')
    const server = spawn(m.cli.bin, ['serve', '--port', '0', '--hostname', '127.0.0.1'], {
      env: {...m.env, PWD: m.project},
      cwd: m.project,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    try {
      const base = await new Promise<string>((resolve, reject) => {
        let out = ''
        const timer = setTimeout(() => reject(new Error(`opencode serve did not start: ${out}`)), 60_000)
        const onData = (chunk: Buffer) => {
          out += chunk
          const match = /https?:\/\/[\d.]+:\d+/.exec(out)
          if (match) {
            clearTimeout(timer)
            resolve(match[0])
          }
        }
        server.stdout.on('data', onData)
        server.stderr.on('data', onData)
      })
      const call = async (route: string, body: unknown) => {
        const response = await fetch(`${base}${route}`, {method: 'POST', headers: {'content-type': 'application/json'}, body: JSON.stringify(body)})
        expect(response.status, `${route}: ${response.status}`).toBeLessThan(300)
        return response.json()
      }
      const model = {providerID: 'stub', modelID: 'stub-model'}
      const session = (await call('/session', {title: 'signet compaction test'})) as {id: string}
      await call(`/session/${session.id}/message`, {parts: [{type: 'text', text: PROMPT}], model})
      await call(`/session/${session.id}/summarize`, model)
      // compaction-complete and the fresh session-start run in the background of the event
      await new Promise((resolve) => setTimeout(resolve, 3000))
      const seen = stub.completionBodies().length
      // the same question again: recall never repeats within a session, so the memory comes back
      // only because compaction reset what the session had been given
      await call(`/session/${session.id}/message`, {parts: [{type: 'text', text: PROMPT}], model})
      const after = stub.completionBodies().slice(seen)
      expect(after.length).toBeGreaterThan(0)
      // identity and the recalled memory come again: not "loaded at its start"
      expect(after.some((body) => body.includes(RECALLED))).toBe(true)
      expect(after.some((body) => body.includes('identity and memories were loaded at its start'))).toBe(false)
    } finally {
      server.kill()
    }
  })

  it('uninstall restores opencode.jsonc byte for byte', async () => {
    await signet(m, ['connector', 'uninstall', 'opencode'])
    expect(snapshot([configFile])).toEqual(before)
    const config = await run(m.cli.bin, ['debug', 'config'], {env: m.env, cwd: m.project})
    expect(config.stdout).not.toContain('signet')
  })
})

describe('Gemini CLI (real CLI)', () => {
  let m: Machine
  let settingsFile: string
  let before: Record<string, string | undefined>
  beforeAll(() => {
    m = machine('gemini')
    settingsFile = path.join(m.temp.home, '.gemini', 'settings.json')
    mkdirSync(path.dirname(settingsFile), {recursive: true})
    writeFileSync(settingsFile, '{\n  // the user\'s own settings\n  "security": {"auth": {"selectedType": "gemini-api-key"}}\n}\n')
    writeFileSync(path.join(m.temp.home, '.gemini', 'trustedFolders.json'), JSON.stringify({[m.project]: 'TRUST_FOLDER'}))
    before = snapshot([settingsFile])
  })
  afterAll(() => m?.temp.cleanup())

  it('`gemini mcp list` reports signet connected (in a trusted folder)', async () => {
    await connect(m, 'gemini')
    const list = await run(m.cli.bin, ['mcp', 'list'], {env: m.env, cwd: m.project})
    expect(list.stdout + list.stderr).toMatch(/✓ signet: .* - Connected/)
  })

  it('`gemini -p`: the stored memory reaches the model request (BeforeAgent) and session end stores the transcript', async () => {
    const seen = promptsWithRecall().length
    const result = await run(m.cli.bin, ['-p', PROMPT, '-m', 'gemini-2.5-flash'], {
      env: {...m.env, GEMINI_API_KEY: 'stub', GOOGLE_GEMINI_BASE_URL: stub.url},
      cwd: m.project,
      timeoutMs: 180_000,
    })
    expect(result.stdout).toContain(MODEL_STUB_REPLY)
    const recalled = promptsWithRecall().slice(seen)
    expect(recalled.length).toBeGreaterThan(0)
    console.log(`Gemini model request (excerpt):\n${recallExcerpt(recalled[0])}`)
    // Gemini does not wait for SessionEnd hooks: give the detached hook a moment to land
    let sessions: Awaited<ReturnType<typeof storedSessions>> = []
    for (let attempt = 0; attempt < 20 && sessions.length === 0; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 500))
      sessions = await storedSessions('gemini')
    }
    expect(sessions.length).toBeGreaterThan(0)
  })

  it('uninstall restores settings.json byte for byte', async () => {
    await signet(m, ['connector', 'uninstall', 'gemini'])
    expect(snapshot([settingsFile])).toEqual(before)
  })
})

describe('Pi (real package, extension loader)', () => {
  let m: Machine
  beforeAll(() => {
    m = machine('pi')
  })
  afterAll(() => m?.temp.cleanup())

  it("Pi's own extension loader finds our tools and handlers; the tool and the prompt handler recall the memory", async () => {
    await connect(m, 'pi')
    const packageEntry = path.join(m.cli.binDir, '..', '@mariozechner', 'pi-coding-agent', 'dist', 'index.js')
    const script = `
      const pi = await import(${JSON.stringify(packageEntry)})
      const loader = new pi.DefaultResourceLoader({cwd: process.cwd(), agentDir: ${JSON.stringify(path.join(m.temp.home, '.pi', 'agent'))}})
      await loader.reload()
      const {extensions, errors} = loader.getExtensions()
      const ext = extensions.find((e) => e.path.endsWith('signet.js'))
      const tool = ext.tools.get('signet_recall')
      const recall = await tool.definition.execute('call-1', {query: ${JSON.stringify(PROMPT)}}, undefined, undefined, {cwd: process.cwd()})
      const ctx = {cwd: process.cwd(), sessionManager: {getSessionId: () => 'pi-session-1', getSessionFile: () => undefined}}
      for (const handler of ext.handlers.get('session_start') ?? []) await handler({reason: 'startup'}, ctx)
      let message
      for (const handler of ext.handlers.get('before_agent_start') ?? []) message = await handler({prompt: ${JSON.stringify(PROMPT)}}, ctx)
      console.log(JSON.stringify({errors, tools: [...ext.tools.keys()], handlers: [...ext.handlers.keys()], recall: recall.content[0].text, message}))
    `
    const result = await run(process.execPath, ['--input-type=module', '-e', script], {env: m.env, cwd: m.project})
    expect(result.code).toBe(0)
    const report = JSON.parse(result.stdout.trim().split('\n').pop()!)
    expect(report.errors).toEqual([])
    // the memory and source tools, then the agent-network tools (with their list_peers/get_messages aliases)
    expect(report.tools).toEqual([
      'signet_recall',
      'signet_remember',
      'signet_session_search',
      'signet_source_search',
      'agent_peers',
      'list_peers',
      'agent_send',
      'agent_inbox',
      'get_messages',
      'agent_ack',
    ])
    expect(report.handlers).toEqual(['session_start', 'before_agent_start', 'session_before_compact', 'session_compact', 'session_shutdown'])
    expect(report.recall).toContain(RECALLED)
    expect(report.message.message.content).toContain(RECALLED)
  })
})

describe('Pi (real CLI, RPC mode)', () => {
  let m: Machine
  let before: Record<string, string | undefined>
  let settingsFile: string
  beforeAll(() => {
    m = machine('pi')
    const agentDir = path.join(m.temp.home, '.pi', 'agent')
    mkdirSync(agentDir, {recursive: true})
    writeFileSync(
      path.join(agentDir, 'models.json'),
      JSON.stringify(
        {
          providers: {
            stub: {
              baseUrl: `${stub.url}/v1`,
              api: 'openai-completions',
              apiKey: 'stub',
              compat: {supportsDeveloperRole: false, supportsReasoningEffort: false},
              models: [{id: 'stub-model'}],
            },
          },
        },
        null,
        2,
      ),
    )
    settingsFile = path.join(agentDir, 'settings.json')
    writeFileSync(settingsFile, '{\n  "defaultProvider": "stub",\n  "defaultModel": "stub-model"\n}\n')
    before = snapshot([settingsFile, path.join(agentDir, 'extensions', 'signet.js')])
  })
  afterAll(() => m?.temp.cleanup())

  it('a prompt recalls the memory; after RPC compact the next request has it again; shutdown stores the transcript', async () => {
    await connect(m, 'pi')
    const {spawn} = await import('node:child_process')
    const child = spawn(m.cli.bin, ['--mode', 'rpc', '--provider', 'stub', '--model', 'stub-model'], {
      env: m.env,
      cwd: m.project,
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let buffer = ''
    let stderr = ''
    child.stderr.on('data', (chunk) => (stderr += chunk))
    const waitFor = (predicate: (event: {type?: string; command?: string; success?: boolean}) => boolean) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`pi rpc: no matching event\nstdout: ${buffer.slice(-2000)}\nstderr: ${stderr.slice(-2000)}`)), 90_000)
        const check = () => {
          const lines = buffer.split('\n')
          buffer = lines.pop() ?? ''
          for (const line of lines) {
            let event
            try {
              event = JSON.parse(line)
            } catch {
              continue
            }
            if (predicate(event)) {
              clearTimeout(timer)
              child.stdout.off('data', onData)
              resolve()
              return
            }
          }
        }
        const onData = (chunk: Buffer) => {
          buffer += chunk
          check()
        }
        child.stdout.on('data', onData)
      })
    const send = (command: unknown) => child.stdin.write(JSON.stringify(command) + '\n')
    try {
      let seen = promptsWithRecall().length
      let done = waitFor((event) => event.type === 'agent_end')
      send({type: 'prompt', message: PROMPT})
      await done
      expect(promptsWithRecall().length).toBeGreaterThan(seen)

      done = waitFor((event) => event.type === 'response' && event.command === 'compact')
      send({type: 'compact'})
      await done

      seen = stub.completionBodies().length
      done = waitFor((event) => event.type === 'agent_end')
      send({type: 'prompt', message: PROMPT})
      await done
      const after = stub.completionBodies().slice(seen)
      expect(after.some((body) => body.includes(RECALLED))).toBe(true)
    } finally {
      child.stdin.end()
      await new Promise((resolve) => {
        const timer = setTimeout(() => {
          child.kill()
          resolve(undefined)
        }, 15_000)
        child.on('close', () => {
          clearTimeout(timer)
          resolve(undefined)
        })
      })
    }
    const sessions = await storedSessions('pi')
    expect(sessions.length).toBeGreaterThan(0)
  })

  it('uninstall restores the agent dir byte for byte', async () => {
    await signet(m, ['connector', 'uninstall', 'pi'])
    expect(snapshot(Object.keys(before))).toEqual(before)
  })
})

describe('Oh My Pi (real CLI on Bun, RPC mode)', () => {
  let m: Machine
  let before: Record<string, string | undefined>
  let agentDir: string
  beforeAll(() => {
    m = machine('omp')
    // Oh My Pi keeps its own root (~/.omp), not Pi's ~/.pi; custom providers live in models.yml
    agentDir = path.join(m.temp.home, '.omp', 'agent')
    mkdirSync(agentDir, {recursive: true})
    writeFileSync(
      path.join(agentDir, 'models.yml'),
      `providers:\n  stub:\n    baseUrl: ${stub.url}/v1\n    api: openai-completions\n    apiKey: stub\n    models:\n      - id: stub-model\n`,
    )
    // keep almost nothing verbatim on compaction, so a one-turn session can be compacted
    writeFileSync(path.join(agentDir, 'config.yml'), 'compaction:\n  keepRecentTokens: 1\n')
    before = snapshot([path.join(agentDir, 'models.yml'), path.join(agentDir, 'config.yml'), path.join(agentDir, 'extensions', 'signet.js')])
  })
  afterAll(() => m?.temp.cleanup())

  it('a headless RPC prompt reaches the model with the recalled memory; after RPC compact it has it again; shutdown stores the transcript', async () => {
    await connect(m, 'omp')
    expect(existsSync(path.join(agentDir, 'extensions', 'signet.js'))).toBe(true)
    const {spawn} = await import('node:child_process')
    const child = spawn(m.cli.bin, ['--mode', 'rpc', '--model', 'stub/stub-model'], {env: m.env, cwd: m.project, stdio: ['pipe', 'pipe', 'pipe']})
    let buffer = ''
    let stderr = ''
    child.stderr.on('data', (chunk) => (stderr += chunk))
    child.stdout.on('data', (chunk: Buffer) => (buffer += chunk))
    /** Wait for the next stdout event line after `from` that `predicate` accepts. */
    const waitFor = (predicate: (line: string) => boolean, from: number) =>
      new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`omp rpc: no matching event\nstdout: ${buffer.slice(-2000)}\nstderr: ${stderr.slice(-2000)}`)), 120_000)
        const check = () => {
          const lines = buffer.slice(from).split('\n')
          if (lines.slice(0, -1).some(predicate)) {
            clearTimeout(timer)
            child.stdout.off('data', check)
            resolve(buffer.length)
          }
        }
        child.stdout.on('data', check)
        check()
      })
    const send = (command: unknown) => child.stdin.write(JSON.stringify(command) + '\n')
    const seen = promptsWithRecall().length
    try {
      let mark = buffer.length
      send({type: 'prompt', message: PROMPT})
      mark = await waitFor((line) => line.startsWith('{"type":"agent_end"'), mark)
      const recalled = promptsWithRecall().slice(seen)
      expect(recalled.length).toBeGreaterThan(0)
      console.log(`omp model request excerpt:\n${recallExcerpt(recalled[0])}`)

      // RPC compact, then the next request has the memory again
      send({type: 'compact'})
      mark = await waitFor((line) => line.includes('"type":"response"') && line.includes('"command":"compact"'), mark)
      expect(buffer).toMatch(/"type":"response","command":"compact","success":true/)
      const before = stub.completionBodies().length
      send({type: 'prompt', message: PROMPT})
      await waitFor((line) => line.startsWith('{"type":"agent_end"'), mark)
      expect(
        stub
          .completionBodies()
          .slice(before)
          .some((body) => body.includes(RECALLED)),
      ).toBe(true)
    } finally {
      child.stdin.end()
      await new Promise((resolve) => {
        const timer = setTimeout(() => {
          child.kill()
          resolve(undefined)
        }, 20_000)
        child.on('close', () => {
          clearTimeout(timer)
          resolve(undefined)
        })
      })
    }
    const sessions = await storedSessions('omp')
    expect(sessions.length).toBeGreaterThan(0)
  })

  it('uninstall restores the agent dir byte for byte', async () => {
    await signet(m, ['connector', 'uninstall', 'omp'])
    expect(snapshot(Object.keys(before))).toEqual(before)
  })
})

describe('OpenClaw (real CLI, Node 24)', () => {
  let m: Machine
  let configFile: string
  let before: Record<string, string | undefined>
  beforeAll(() => {
    m = machine('openclaw')
    configFile = path.join(m.temp.home, '.openclaw', 'openclaw.json')
    mkdirSync(path.dirname(configFile), {recursive: true})
    // the user's own JSON5 config (OpenClaw's documented format): comments, unquoted keys, quotes
    writeFileSync(
      configFile,
      `// my OpenClaw setup
{
  /* the model: a local stand-in */
  agents: {defaults: {model: {primary: 'stub/stub-model'}, workspace: '${m.project}'}},
  models: {
    mode: 'merge',
    providers: {
      stub: {baseUrl: '${stub.url}/v1', apiKey: 'stub', api: 'openai-completions', // chat completions
        models: [{id: 'stub-model', name: 'Stub', reasoning: false, input: ['text'], cost: {input: 0, output: 0, cacheRead: 0, cacheWrite: 0}, contextWindow: 128000, maxTokens: 4096,},],},
    },
  },
}
`,
    )
    before = snapshot([configFile])
  })
  afterAll(() => m?.temp.cleanup())

  it('`openclaw config validate` accepts the config and the plugin loads with its tools and hooks', async () => {
    await connect(m, 'openclaw')
    expect(readFileSync(configFile, 'utf8')).toContain('/* the model: a local stand-in */')
    const validate = await run(m.cli.bin, ['config', 'validate', '--json'], {env: m.env, cwd: m.project})
    expect(JSON.parse(validate.stdout)).toMatchObject({valid: true, warnings: []})
    const inspect = await run(m.cli.bin, ['plugins', 'inspect', 'signet', '--runtime', '--json'], {env: m.env, cwd: m.project, timeoutMs: 180_000})
    const report = JSON.parse(inspect.stdout)
    expect(report.plugin).toMatchObject({
      id: 'signet',
      status: 'loaded',
      enabled: true,
      toolNames: ['signet_recall', 'signet_remember', 'signet_session_search'],
    })
    expect(report.typedHooks.map((hook: {name: string}) => hook.name).sort()).toEqual([
      'after_compaction',
      'agent_end',
      'before_compaction',
      'before_prompt_build',
      'session_end',
      'session_start',
    ])
    expect(report.policy.allowConversationAccess).toBe(true)
    const mcp = await run(m.cli.bin, ['mcp', 'status', '--json'], {env: m.env, cwd: m.project})
    expect(JSON.parse(mcp.stdout).servers).toContainEqual(expect.objectContaining({name: 'signet', ok: true, transport: 'stdio'}))
  })

  it('`openclaw agent --local`: the stored memory reaches the model request and the session is stored', async () => {
    const seen = promptsWithRecall().length
    const result = await run(m.cli.bin, ['agent', '--local', '--agent', 'main', '--message', PROMPT, '--json'], {
      env: m.env,
      cwd: m.project,
      timeoutMs: 240_000,
    })
    expect(result.code).toBe(0)
    expect(result.stdout).toContain(MODEL_STUB_REPLY)
    const recalled = promptsWithRecall().slice(seen)
    expect(recalled.length).toBeGreaterThan(0)
    console.log(`OpenClaw model request (excerpt):\n${recallExcerpt(recalled[0])}`)
    const sessions = await storedSessions('openclaw')
    expect(sessions.length).toBeGreaterThan(0)
    expect(sessions[0].excerpt).toContain(MODEL_STUB_REPLY)
  })

  it('uninstall restores openclaw.json byte for byte (JSON5 comments included)', async () => {
    await signet(m, ['connector', 'uninstall', 'openclaw'])
    expect(snapshot([configFile])).toEqual(before)
  })
})
