import {appendFileSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {RUN_JS} from '../helpers/cli.js'
import {startTestDaemon, type TestDaemon} from '../helpers/daemon.js'
import {makeTempHome, type TempHome} from '../helpers/temp-home.js'
import {ensureHarnessCli, type HarnessCli, type HarnessName, run} from './harness-clis.js'
import {MODEL_STUB_REPLY, type ModelStub, startModelStub} from './model-stub.js'

/**
 * The real harness CLIs, installed from npm, judge what `signet connect` wrote: each must load
 * our config without complaint, see the signet MCP server, and — driven through its own
 * non-interactive mode against a local model stub — run Signet's hooks so that a memory stored
 * in a real daemon reaches the model's prompt. Then `connector uninstall` and the harness no
 * longer sees Signet.
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
  const env = {...temp.env, PATH: [...cli.pathPrefix, temp.env.PATH].join(path.delimiter), SIGNET_NO_KEYCHAIN: '1'}
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
async function connect(m: Machine, harness: string): Promise<void> {
  const minted = await daemon.request('POST', '/api/auth/api-keys', {body: {name: `real ${harness}`, role: 'agent', connector: harness}})
  expect(minted.status).toBe(201)
  const out = await signet(m, ['connect', harness, '--url', daemon.url, '--api-key', minted.body.apiKey.key, '--yes'])
  expect(out).toMatch(/connector installed/)
}

function promptsWithRecall(): string[] {
  return stub.completionBodies().filter((body) => body.includes(RECALLED))
}

describe('Claude Code (real CLI)', () => {
  let m: Machine
  beforeAll(() => {
    m = machine('claude')
  })
  afterAll(() => m?.temp.cleanup())

  it('`claude mcp list` reports the signet server connected', async () => {
    await connect(m, 'claude-code')
    const settings = JSON.parse(readFileSync(path.join(m.temp.home, '.claude', 'settings.json'), 'utf8'))
    expect(Object.keys(settings.hooks)).toEqual(['SessionStart', 'UserPromptSubmit', 'PreCompact', 'PostCompact', 'SessionEnd'])
    const list = await run(m.cli.bin, ['mcp', 'list'], {env: m.env, cwd: m.project})
    expect(list.stdout).toMatch(/signet: .*mcp\.js - ✔ Connected/)
  })

  it('`claude -p` runs the hooks and the recalled memory reaches the model', async () => {
    const before = promptsWithRecall().length
    const result = await run(m.cli.bin, ['-p', PROMPT], {
      env: {...m.env, ANTHROPIC_BASE_URL: stub.url, ANTHROPIC_API_KEY: 'sk-ant-stub'},
      cwd: m.project,
    })
    expect(result.stdout).toContain(MODEL_STUB_REPLY)
    expect(promptsWithRecall().length).toBeGreaterThan(before)
  })

  it('after uninstall Claude Code no longer lists signet', async () => {
    await signet(m, ['connector', 'uninstall', 'claude-code'])
    const list = await run(m.cli.bin, ['mcp', 'list'], {env: m.env, cwd: m.project})
    expect(list.stdout).not.toContain('signet')
  })
})

describe('Codex CLI (real CLI)', () => {
  let m: Machine
  beforeAll(() => {
    m = machine('codex')
  })
  afterAll(() => m?.temp.cleanup())

  it('`codex mcp list --json` shows signet and the app server parses our hooks.json cleanly', async () => {
    await connect(m, 'codex')
    const list = await run(m.cli.bin, ['mcp', 'list', '--json'], {env: m.env, cwd: m.project})
    const servers = JSON.parse(list.stdout) as Array<{name: string; enabled: boolean; transport: {command: string; args: string[]}}>
    const signetServer = servers.find((server) => server.name === 'signet')
    expect(signetServer).toMatchObject({enabled: true, transport: {command: process.execPath}})

    const requests = [
      {id: 1, method: 'initialize', params: {clientInfo: {name: 'signet-harness-test', version: '0'}}},
      {method: 'initialized'},
      {id: 2, method: 'hooks/list', params: {cwds: [m.project]}},
    ].map((request) => JSON.stringify(request)).join('\n') + '\n'
    const server = await listHooksThroughAppServer(m, requests)
    expect(server.errors).toEqual([])
    expect(server.warnings).toEqual([])
    expect(server.hooks.map((hook) => [hook.eventName, hook.timeoutSec, hook.trustStatus])).toEqual([
      ['sessionStart', 20, 'trusted'], ['userPromptSubmit', 10, 'trusted'], ['stop', 30, 'trusted'],
    ])
    for (const hook of server.hooks) expect(hook.command).toMatch(/run\.js" hook [a-z-]+ -H codex$/)
  })

  it('`codex exec` runs the hooks and the recalled memory reaches the model', async () => {
    appendFileSync(path.join(m.temp.home, '.codex', 'config.toml'), `\n[model_providers.stub]\nname = "stub"\nbase_url = "${stub.url}/v1"\nwire_api = "responses"\nenv_key = "STUB_API_KEY"\n`)
    const before = promptsWithRecall().length
    const result = await run(m.cli.bin, [
      // no --dangerously-bypass-hook-trust: connect recorded Codex's own trust hashes for our hooks
      'exec', '--skip-git-repo-check',
      '-c', 'model="stub-model"', '-c', 'model_provider="stub"',
      PROMPT,
    ], {env: {...m.env, STUB_API_KEY: 'stub'}, cwd: m.project})
    expect(result.stdout).toContain(MODEL_STUB_REPLY)
    expect(result.stderr).toMatch(/hook: UserPromptSubmit Completed/)
    expect(promptsWithRecall().length).toBeGreaterThan(before)
  })

  it('after uninstall Codex lists no signet server', async () => {
    await signet(m, ['connector', 'uninstall', 'codex'])
    const list = await run(m.cli.bin, ['mcp', 'list', '--json'], {env: m.env, cwd: m.project})
    expect(list.stdout).not.toContain('signet')
  })
})

/** `codex app-server` over stdio: initialize, then hooks/list for the project. */
async function listHooksThroughAppServer(m: Machine, input: string) {
  // the app server keeps reading stdin; it answers and we stop it once the hooks/list reply is in
  const {spawn} = await import('node:child_process')
  return new Promise<{hooks: Array<{eventName: string; command: string; timeoutSec: number; trustStatus: string}>; warnings: unknown[]; errors: unknown[]}>((resolve, reject) => {
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
  })
}

describe('OpenCode (real CLI)', () => {
  let m: Machine
  beforeAll(() => {
    m = machine('opencode')
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

  it('`opencode run` loads the plugin, which injects the recalled memory into the prompt', async () => {
    const configFile = path.join(m.temp.home, '.config', 'opencode', 'opencode.json')
    const config = JSON.parse(readFileSync(configFile, 'utf8'))
    config.provider = {stub: {npm: '@ai-sdk/openai-compatible', name: 'Stub', options: {baseURL: `${stub.url}/v1`, apiKey: 'stub'}, models: {'stub-model': {name: 'Stub'}}}}
    config.model = 'stub/stub-model'
    writeFileSync(configFile, JSON.stringify(config, null, 2))
    const before = promptsWithRecall().length
    const result = await run(m.cli.bin, ['run', PROMPT], {env: m.env, cwd: m.project, timeoutMs: 180_000})
    expect(result.stdout).toContain(MODEL_STUB_REPLY)
    expect(promptsWithRecall().length).toBeGreaterThan(before)
  })

  it('after uninstall OpenCode has no signet plugin or server', async () => {
    await signet(m, ['connector', 'uninstall', 'opencode'])
    const config = await run(m.cli.bin, ['debug', 'config'], {env: m.env, cwd: m.project})
    expect(config.stdout).not.toContain('signet')
  })
})

describe('Gemini CLI (real CLI)', () => {
  let m: Machine
  beforeAll(() => {
    m = machine('gemini')
  })
  afterAll(() => m?.temp.cleanup())

  it('`gemini mcp list` reports signet connected (in a trusted folder)', async () => {
    await connect(m, 'gemini')
    writeFileSync(path.join(m.temp.home, '.gemini', 'trustedFolders.json'), JSON.stringify({[m.project]: 'TRUST_FOLDER'}))
    const list = await run(m.cli.bin, ['mcp', 'list'], {env: m.env, cwd: m.project})
    expect(list.stdout + list.stderr).toMatch(/✓ signet: .* - Connected/)
  })

  it('`gemini -p` runs the hooks (BeforeAgent) and the recalled memory reaches the model', async () => {
    const settingsFile = path.join(m.temp.home, '.gemini', 'settings.json')
    const settings = JSON.parse(readFileSync(settingsFile, 'utf8'))
    settings.security = {auth: {selectedType: 'gemini-api-key'}}
    writeFileSync(settingsFile, JSON.stringify(settings, null, 2))
    const before = promptsWithRecall().length
    const result = await run(m.cli.bin, ['-p', PROMPT, '-m', 'gemini-2.5-flash'], {
      env: {...m.env, GEMINI_API_KEY: 'stub', GOOGLE_GEMINI_BASE_URL: stub.url},
      cwd: m.project,
      timeoutMs: 180_000,
    })
    expect(result.stdout).toContain(MODEL_STUB_REPLY)
    expect(promptsWithRecall().length).toBeGreaterThan(before)
  })
})

describe('Pi (real package)', () => {
  let m: Machine
  beforeAll(() => {
    m = machine('pi')
  })
  afterAll(() => m?.temp.cleanup())

  it('Pi\'s own extension loader finds our tools and handlers; the tool and the prompt handler recall the memory', async () => {
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
    expect(report.tools).toEqual(['signet_recall', 'signet_remember', 'signet_session_search'])
    expect(report.handlers).toEqual(['session_start', 'before_agent_start', 'session_before_compact', 'session_compact', 'session_shutdown'])
    expect(report.recall).toContain(RECALLED)
    expect(report.message.message.content).toContain(RECALLED)
  })
})

describe('OpenClaw (real CLI, Node 24)', () => {
  let m: Machine
  beforeAll(() => {
    m = machine('openclaw')
  })
  afterAll(() => m?.temp.cleanup())

  it('`openclaw config validate` accepts the config and the plugin loads with its tools and hooks', async () => {
    await connect(m, 'openclaw')
    const validate = await run(m.cli.bin, ['config', 'validate', '--json'], {env: m.env, cwd: m.project})
    expect(JSON.parse(validate.stdout)).toMatchObject({valid: true, warnings: []})
    const inspect = await run(m.cli.bin, ['plugins', 'inspect', 'signet', '--runtime', '--json'], {env: m.env, cwd: m.project, timeoutMs: 180_000})
    const report = JSON.parse(inspect.stdout)
    expect(report.plugin).toMatchObject({id: 'signet', status: 'loaded', enabled: true, toolNames: ['signet_recall', 'signet_remember', 'signet_session_search']})
    expect(report.typedHooks.map((hook: {name: string}) => hook.name).sort()).toEqual(['after_compaction', 'before_compaction', 'before_prompt_build', 'session_end', 'session_start'])
    expect(report.policy.allowConversationAccess).toBe(true)
    const mcp = await run(m.cli.bin, ['mcp', 'status', '--json'], {env: m.env, cwd: m.project})
    expect(JSON.parse(mcp.stdout).servers).toContainEqual(expect.objectContaining({name: 'signet', ok: true, transport: 'stdio'}))
  })
})
