import {execFileSync} from 'node:child_process'

import {parseDocument} from 'yaml'
import {afterEach, describe, expect, it} from 'vitest'

import {HermesConnector} from '../../src/connectors/hermes.js'
import {OhMyPiConnector} from '../../src/connectors/oh-my-pi.js'
import {connectorFor} from '../../src/connectors/registry.js'
import {renderHarnessOutput} from '../../src/hooks/harness-output.js'
import {parseHookPayload} from '../../src/hooks/hook-payload.js'
import {makeHarnessHome, type TempHarnessHome, TEST_ENTRY, withoutBackups} from './connector-fixtures.js'

let temp: TempHarnessHome
afterEach(() => temp?.cleanup())

describe('Oh My Pi connector', () => {
  const connector = new OhMyPiConnector()

  it("writes the extension into ~/.omp/agent (not Pi's ~/.pi) with the omp harness and no package import", async () => {
    temp = makeHarnessHome()
    temp.write('.omp/agent/models.yml', 'providers: {}\n')
    await connector.install(temp.ctx)
    expect(temp.exists('.pi')).toBe(false)
    const extension = temp.read('.omp/agent/extensions/signet.js')
    for (const tool of ['signet_recall', 'signet_remember', 'signet_session_search', 'signet_source_search']) expect(extension).toContain(`name: '${tool}'`)
    for (const event of ['session_start', 'before_agent_start', 'session_before_compact', 'session_compact', 'session_shutdown'])
      expect(extension).toContain(`'${event}'`)
    expect(extension).toContain('"harness":"omp"')
    expect(extension).toContain('pi.typebox.Type')
    expect(extension).not.toMatch(/^import /m)
    expect((await connector.status(temp.ctx)).state).toBe('installed')
    expect((await connector.install(temp.ctx)).files[0].action).toBe('unchanged')
    await connector.uninstall(temp.ctx)
    expect(temp.snapshot()).toEqual({'.omp/agent/models.yml': 'providers: {}\n'})
  })

  it('follows OMP_PROFILE (over PI_CODING_AGENT_DIR), PI_CODING_AGENT_DIR without a profile, and the aliases', async () => {
    temp = makeHarnessHome({env: {OMP_PROFILE: 'work', PI_CODING_AGENT_DIR: '~/elsewhere'}})
    await connector.install(temp.ctx)
    expect(temp.exists('.omp/profiles/work/agent/extensions/signet.js')).toBe(true)
    temp.cleanup()
    temp = makeHarnessHome({env: {PI_CODING_AGENT_DIR: '~/omp-agent'}})
    await connector.install(temp.ctx)
    expect(temp.exists('omp-agent/extensions/signet.js')).toBe(true)
    expect(connectorFor('oh-my-pi').id).toBe('omp')
    expect(connectorFor('hermes-agent').id).toBe('hermes')
  })

  it("keeps Pi's own extension as it was (Pi still imports typebox and runs as pi)", async () => {
    const {renderPiExtension} = await import('../../src/connectors/pi.js')
    const pi = renderPiExtension(TEST_ENTRY.bridgeJs)
    expect(pi).toContain("import {Type} from '@sinclair/typebox'")
    expect(pi).toContain('"harness":"pi"')
  })
})

const USER_HERMES = `# Hermes settings
model:
  default: anthropic/claude-sonnet-4.6   # my model
terminal:
  backend: local

compression:
  enabled: true
`

const USER_HERMES_WITH_HOOKS = `# mine
hooks:
  # format after writes
  post_tool_call:
    - matcher: "write_file|patch"
      command: "~/.hermes/agent-hooks/auto-format.sh"
mcp_servers:
  github:
    command: npx
    args: ["-y", "@modelcontextprotocol/server-github"]
hooks_auto_accept: false
`

function parsed(text: string): any {
  return parseDocument(text).toJSON()
}

describe('Hermes Agent connector', () => {
  const connector = new HermesConnector()

  it('adds shell hooks and mcp_servers.signet to config.yaml; reinstall changes nothing; uninstall is byte-exact', async () => {
    temp = makeHarnessHome()
    temp.write('.hermes/config.yaml', USER_HERMES)
    const before = temp.snapshot()
    await connector.install(temp.ctx)
    const text = temp.read('.hermes/config.yaml')
    expect(text.startsWith(USER_HERMES)).toBe(true)
    const config = parsed(text)
    expect(config.model.default).toBe('anthropic/claude-sonnet-4.6')
    expect(Object.keys(config.hooks)).toEqual(['pre_llm_call', 'post_llm_call'])
    expect(config.hooks.post_llm_call[0].command).toMatch(/hook session-end -H hermes$/)
    expect(config.hooks.pre_llm_call).toEqual([{command: `"${TEST_ENTRY.node}" "${TEST_ENTRY.runJs}" hook user-prompt-submit -H hermes`, timeout: 10}])
    for (const entries of Object.values(config.hooks) as Array<Array<{timeout: number}>>) expect(entries[0].timeout).toBeLessThanOrEqual(300)
    expect(config.mcp_servers.signet).toEqual({command: TEST_ENTRY.node, args: [TEST_ENTRY.mcpJs, '--harness', 'hermes']})
    expect(text).not.toMatch(/sig_sk_|http:\/\//)
    expect((await connector.status(temp.ctx)).state).toBe('installed')
    expect((await connector.install(temp.ctx)).files[0].action).toBe('unchanged')
    await connector.uninstall(temp.ctx)
    expect(withoutBackups(temp.snapshot())).toEqual(before)
    expect((await connector.status(temp.ctx)).state).toBe('not-installed')
  })

  it('joins hooks and MCP servers the user already has, keeps their entries and comments, and takes only ours out', async () => {
    temp = makeHarnessHome()
    temp.write('.hermes/config.yaml', USER_HERMES_WITH_HOOKS)
    await connector.install(temp.ctx)
    const text = temp.read('.hermes/config.yaml')
    const config = parsed(text)
    expect(config.hooks.post_tool_call).toEqual([{matcher: 'write_file|patch', command: '~/.hermes/agent-hooks/auto-format.sh'}])
    expect(config.hooks.post_llm_call[0].command).toMatch(/hook session-end -H hermes$/)
    expect(Object.keys(config.mcp_servers)).toEqual(['github', 'signet'])
    expect(text).toContain('# format after writes')
    expect((await connector.install(temp.ctx)).files[0].action).toBe('unchanged')
    // our lines went in as whole lines: the user's text is still there around them
    for (const line of USER_HERMES_WITH_HOOKS.split('\n')) expect(text).toContain(line)
    await connector.uninstall(temp.ctx)
    const after = temp.read('.hermes/config.yaml')
    expect(parsed(after)).toEqual(parsed(USER_HERMES_WITH_HOOKS))
    expect(after).toContain('# format after writes')
    expect(after).toBe(USER_HERMES_WITH_HOOKS)
  })

  it('joins a pre_llm_call list the user already has (theirs first) and appends mcp_servers when only hooks exist', async () => {
    temp = makeHarnessHome()
    const user = 'hooks:\n  pre_llm_call:\n  - command: /home/me/weekday.sh\n    timeout: 5\nhooks_auto_accept: true\n'
    temp.write('.hermes/config.yaml', user)
    await connector.install(temp.ctx)
    const config = parsed(temp.read('.hermes/config.yaml'))
    expect(config.hooks.pre_llm_call.map((entry: {command: string}) => entry.command)).toEqual([
      '/home/me/weekday.sh',
      `"${TEST_ENTRY.node}" "${TEST_ENTRY.runJs}" hook user-prompt-submit -H hermes`,
    ])
    expect(config.hooks_auto_accept).toBe(true)
    expect(config.mcp_servers.signet.args).toEqual([TEST_ENTRY.mcpJs, '--harness', 'hermes'])
    expect((await connector.status(temp.ctx)).state).toBe('installed')
    await connector.uninstall(temp.ctx)
    expect(temp.read('.hermes/config.yaml')).toBe(user)
  })

  it('creates config.yaml under HERMES_HOME when absent and deletes it again on uninstall', async () => {
    temp = makeHarnessHome({env: {HERMES_HOME: '~/profiles/hermes-work'}})
    await connector.install(temp.ctx)
    expect(parsed(temp.read('profiles/hermes-work/config.yaml')).mcp_servers.signet.args[2]).toBe('hermes')
    await connector.uninstall(temp.ctx)
    expect(temp.snapshot()).toEqual({})
  })

  it('refuses a config.yaml that is not valid YAML, naming the file', async () => {
    temp = makeHarnessHome()
    temp.write('.hermes/config.yaml', 'model: [unclosed\n')
    await expect(connector.install(temp.ctx)).rejects.toThrow(/config\.yaml is not valid YAML/)
    expect(temp.read('.hermes/config.yaml')).toBe('model: [unclosed\n')
  })

  it('the hook command splits with Python shlex (Hermes runs it without a shell) into node, run.js and the hook args', async () => {
    temp = makeHarnessHome()
    await connector.install(temp.ctx)
    const command = parsed(temp.read('.hermes/config.yaml')).hooks.pre_llm_call[0].command
    const argv = JSON.parse(execFileSync('python3', ['-c', 'import json,shlex,sys; print(json.dumps(shlex.split(sys.argv[1])))', command], {encoding: 'utf8'}))
    expect(argv).toEqual([TEST_ENTRY.node, TEST_ENTRY.runJs, 'hook', 'user-prompt-submit', '-H', 'hermes'])
  })
})

describe('Hermes hook wire format', () => {
  it('reads the prompt and history from `extra` and answers pre_llm_call with {"context"}', () => {
    const payload = parseHookPayload(
      JSON.stringify({
        hook_event_name: 'pre_llm_call',
        session_id: 'sess_1',
        cwd: '/tmp/p',
        tool_name: null,
        extra: {
          user_message: 'which port?',
          conversation_history: [
            {role: 'user', content: 'hi'},
            {role: 'assistant', content: 'hello'},
          ],
        },
      }),
      'hermes',
      {},
    )
    expect(payload).toMatchObject({sessionKey: 'sess_1', cwd: '/tmp/p', prompt: 'which port?', lastAssistantMessage: 'hello'})
    expect(payload.transcript).toContain('hello')
    expect(renderHarnessOutput('hermes', 'user-prompt-submit', {inject: 'port 5433'})).toBe('{"context":"port 5433"}\n')
    // Hermes parses stdout as JSON on every event: print nothing where nothing is injected
    expect(renderHarnessOutput('hermes', 'session-start', {inject: 'identity'})).toBeUndefined()
    expect(renderHarnessOutput('hermes', 'user-prompt-submit', {inject: '  '})).toBeUndefined()
  })
})
