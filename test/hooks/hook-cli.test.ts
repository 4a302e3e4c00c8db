import {existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {freePort} from '../helpers/cli.js'
import {startTestDaemon, type TestDaemon, sqliteDatabaseOf} from '../helpers/daemon.js'
import {seedFiller} from './support/corpus.js'
import {runHook, startSilentServer} from './support/run-hook.js'

/*
 * `signet hook` end to end: the built CLI spawned as each harness spawns it, against a real
 * daemon (real HTTP, real SQLite). Payloads follow reference/harnesses.md field by field.
 */

let daemon: TestDaemon
let env: NodeJS.ProcessEnv
let repoDir: string
let transcriptPath: string

beforeAll(async () => {
  daemon = await startTestDaemon()
  await seedFiller(daemon.context.storage.memories, 120)
  await daemon.context.storage.memories.remember({
    content: 'Deploys go through the blue-green pipeline on Fridays',
    agentId: 'default',
    project: 'github.com/acme/api',
    importance: 0.8,
  })
  await daemon.context.storage.memories.remember({
    content: 'The billing service deploys with canary releases in Frankfurt',
    agentId: 'default',
    project: 'github.com/acme/billing',
  })
  await daemon.context.storage.memories.remember({content: 'The cafeteria serves pizza on Tuesdays', agentId: 'default', project: 'github.com/acme/api'})
  repoDir = path.join(daemon.temp.home, 'src', 'api')
  mkdirSync(path.join(repoDir, '.git'), {recursive: true})
  writeFileSync(path.join(repoDir, '.git', 'config'), '[core]\n\tbare = false\n[remote "origin"]\n\turl = git@github.com:acme/api.git\n')
  transcriptPath = path.join(daemon.temp.home, '.claude', 'projects', 'api', 'session-1.jsonl')
  mkdirSync(path.dirname(transcriptPath), {recursive: true})
  writeFileSync(
    transcriptPath,
    [
      {type: 'user', message: {role: 'user', content: 'Remember that the rollback runbook is in docs/rollback.md.'}},
      {type: 'assistant', message: {role: 'assistant', content: [{type: 'text', text: 'Got it, docs/rollback.md it is.'}]}},
      {type: 'user', message: {role: 'user', content: 'My OpenAI key sk-proj-Zz9Yy8Xx7Ww6Vv5Uu4Tt3Ss2Rr1Qq0Pp is for the eval harness.'}},
    ]
      .map((line) => JSON.stringify(line))
      .join('\n') + '\n',
  )
  // No SIGNET_DAEMON_URL: like every local setup, the hook finds HOME's workspace daemon by its socket.
  env = {...daemon.temp.env}
})

afterAll(async () => {
  await daemon.stop()
})

const hookLog = () => {
  const file = path.join(daemon.temp.home, '.config', 'signet', 'hook.log')
  return existsSync(file) ? readFileSync(file, 'utf8') : ''
}

const PROMPT = 'How do our deploys work on Fridays?'

/** stdout must be exactly one JSON object with hookSpecificOutput {hookEventName, additionalContext} and nothing else. */
function parseHookJson(stdout: string, eventName: string): string {
  expect(stdout.endsWith('\n')).toBe(true)
  const parsed = JSON.parse(stdout)
  expect(Object.keys(parsed)).toEqual(['hookSpecificOutput'])
  expect(Object.keys(parsed.hookSpecificOutput).sort()).toEqual(['additionalContext', 'hookEventName'])
  expect(parsed.hookSpecificOutput.hookEventName).toBe(eventName)
  expect(typeof parsed.hookSpecificOutput.additionalContext).toBe('string')
  return parsed.hookSpecificOutput.additionalContext
}

describe('per-harness stdin → stdout', () => {
  it('claude-code UserPromptSubmit: JSON additionalContext with the relevant memory only', async () => {
    const input = JSON.stringify({
      session_id: 'cc-1',
      transcript_path: transcriptPath,
      cwd: repoDir,
      permission_mode: 'default',
      hook_event_name: 'UserPromptSubmit',
      prompt: PROMPT,
    })
    const run = await runHook(['user-prompt-submit', '-H', 'claude-code'], {env, input})
    expect(run.code).toBe(0)
    expect(run.stderr).toBe('')
    const context = parseHookJson(run.stdout, 'UserPromptSubmit')
    expect(context).toContain('Deploys go through the blue-green pipeline on Fridays')
    expect(context).not.toContain('canary releases') // another project
    expect(context).not.toContain('pizza') // irrelevant
    expect(context).toMatch(/^<signet-recalled-memories>\n.*not instructions/)
  })

  it('claude-code SessionStart: JSON SessionStart context; the project comes from the git remote', async () => {
    const input = JSON.stringify({
      session_id: 'cc-2',
      transcript_path: transcriptPath,
      cwd: path.join(repoDir),
      hook_event_name: 'SessionStart',
      source: 'startup',
      model: 'claude-sonnet',
    })
    const run = await runHook(['session-start', '-H', 'claude-code'], {env, input})
    expect(run.code).toBe(0)
    const context = parseHookJson(run.stdout, 'SessionStart')
    expect(context).toContain('project github.com/acme/api')
    expect(context).toContain('## Agent Instructions')
    expect(context).toContain('blue-green')
    expect(context.length).toBeLessThanOrEqual(9500)
  })

  it('codex UserPromptSubmit and SessionStart: the same JSON contract', async () => {
    const prompt = JSON.stringify({
      session_id: 'cx-1',
      turn_id: 't1',
      transcript_path: null,
      cwd: repoDir,
      hook_event_name: 'UserPromptSubmit',
      model: 'gpt-5',
      permission_mode: 'default',
      prompt: PROMPT,
    })
    const run = await runHook(['user-prompt-submit', '-H', 'codex'], {env, input: prompt})
    expect(parseHookJson(run.stdout, 'UserPromptSubmit')).toContain('blue-green')
    const start = JSON.stringify({session_id: 'cx-1', transcript_path: null, cwd: repoDir, hook_event_name: 'SessionStart', model: 'gpt-5', source: 'startup'})
    const started = await runHook(['session-start', '-H', 'codex'], {env, input: start})
    expect(parseHookJson(started.stdout, 'SessionStart')).toContain('[signet memory active')
  })

  it('gemini: the per-prompt event is BeforeAgent', async () => {
    const input = JSON.stringify({
      session_id: 'gm-1',
      transcript_path: '/nonexistent/chat.json',
      cwd: repoDir,
      hook_event_name: 'BeforeAgent',
      timestamp: new Date().toISOString(),
      prompt: PROMPT,
    })
    const run = await runHook(['user-prompt-submit', '-H', 'gemini'], {env, input})
    expect(parseHookJson(run.stdout, 'BeforeAgent')).toContain('blue-green')
    const start = JSON.stringify({
      session_id: 'gm-1',
      transcript_path: '',
      cwd: repoDir,
      hook_event_name: 'SessionStart',
      timestamp: new Date().toISOString(),
      source: 'startup',
    })
    expect(parseHookJson((await runHook(['session-start', '-H', 'gemini'], {env, input: start})).stdout, 'SessionStart')).toContain('## Relevant Memories')
  })

  it('hermes pre_llm_call: the prompt comes from `extra`, the answer is {"context"} (with the session-start context on the first turn); post_llm_call stores the transcript', async () => {
    const input = JSON.stringify({
      hook_event_name: 'pre_llm_call',
      tool_name: null,
      tool_input: null,
      session_id: 'hm-1',
      cwd: repoDir,
      profile: 'default',
      extra: {user_message: PROMPT, conversation_history: []},
    })
    const run = await runHook(['user-prompt-submit', '-H', 'hermes'], {env, input})
    expect(run.code).toBe(0)
    expect(run.stderr).toBe('')
    const answer = JSON.parse(run.stdout)
    expect(Object.keys(answer)).toEqual(['context'])
    expect(answer.context).toContain('blue-green')
    expect(answer.context).not.toContain('## Agent Instructions')
    // the first turn of a session also carries what session start injects (Hermes has no other way in)
    const first = JSON.stringify({
      hook_event_name: 'pre_llm_call',
      session_id: 'hm-2',
      cwd: repoDir,
      extra: {user_message: PROMPT, conversation_history: [], is_first_turn: true},
    })
    const opened = JSON.parse((await runHook(['user-prompt-submit', '-H', 'hermes'], {env, input: first})).stdout)
    expect(opened.context).toContain('## Agent Instructions')
    expect(opened.context).toContain('blue-green')
    // post_llm_call: the conversation so far is the transcript; nothing on stdout
    const after = JSON.stringify({
      hook_event_name: 'post_llm_call',
      session_id: 'hm-2',
      cwd: repoDir,
      extra: {
        user_message: PROMPT,
        assistant_response: 'Fridays, blue-green.',
        conversation_history: [
          {role: 'user', content: PROMPT},
          {role: 'assistant', content: 'Fridays, blue-green.'},
        ],
      },
    })
    const ended = await runHook(['session-end', '-H', 'hermes'], {env, input: after})
    expect(ended.code).toBe(0)
    expect(ended.stdout).toBe('')
    const found = await daemon.request('POST', '/api/sessions/search', {body: {query: 'Fridays blue-green', limit: 10}})
    expect(found.body.hits.some((hit: {sessionKey: string; harness: string}) => hit.sessionKey === 'hm-2' && hit.harness === 'hermes')).toBe(true)
  })

  it.each(['opencode', 'pi', 'omp', 'openclaw'])('%s: plain text on stdout (the plugin splices it into the prompt)', async (harness) => {
    const input = JSON.stringify({sessionID: `${harness}-1`, directory: repoDir, prompt: PROMPT})
    const run = await runHook(['user-prompt-submit', '-H', harness], {env, input})
    expect(run.code).toBe(0)
    expect(run.stdout.startsWith('<signet-recalled-memories>')).toBe(true)
    expect(run.stdout).toContain('blue-green')
    expect(() => JSON.parse(run.stdout)).toThrow()
    const compaction = await runHook(['pre-compaction', '-H', harness], {env, input: JSON.stringify({sessionID: `${harness}-1`, directory: repoDir})})
    expect(compaction.stdout).toMatch(/^Summarise this session/)
  })

  it('generic: the daemon answer as JSON, with the receipt', async () => {
    const run = await runHook(['user-prompt-submit', '-H', 'generic', '--project', 'github.com/acme/api'], {
      env,
      input: JSON.stringify({sessionKey: 'gen-1', prompt: PROMPT}),
    })
    const answer = JSON.parse(run.stdout)
    expect(answer.memoryCount).toBe(1)
    expect(answer.receipt).toMatchObject({ids: [expect.any(String)], threshold: expect.any(Number)})
  })

  it('prints nothing where the harness ignores or strictly validates output (PreCompact, PostCompact, SessionEnd, Codex Stop)', async () => {
    const base = {session_id: 'quiet-1', transcript_path: transcriptPath, cwd: repoDir}
    for (const [event, harness, extra] of [
      ['pre-compaction', 'claude-code', {hook_event_name: 'PreCompact', trigger: 'auto', custom_instructions: ''}],
      ['compaction-complete', 'claude-code', {hook_event_name: 'PostCompact', trigger: 'auto', compact_summary: 'We renamed the queue to zephyr.'}],
      ['session-end', 'codex', {hook_event_name: 'Stop', stop_hook_active: false, last_assistant_message: 'Done.'}],
      ['session-end', 'gemini', {hook_event_name: 'SessionEnd', reason: 'exit'}],
    ] as const) {
      const run = await runHook([event, '-H', harness], {env, input: JSON.stringify({...base, ...extra})})
      expect(run, `${event} ${harness}`).toMatchObject({code: 0, stdout: '', stderr: ''})
    }
  })
})

describe('session-end from the harness machine', () => {
  it('reads the transcript file, the daemon stores it redacted and searchable, and saves what the user asked to remember', async () => {
    const input = JSON.stringify({
      session_id: 'end-1',
      transcript_path: transcriptPath,
      cwd: repoDir,
      hook_event_name: 'SessionEnd',
      reason: 'prompt_input_exit',
    })
    const run = await runHook(['session-end', '-H', 'claude-code'], {env, input})
    expect(run).toMatchObject({code: 0, stdout: '', stderr: ''})
    const search = await daemon.request('POST', '/api/sessions/search', {body: {query: 'rollback runbook'}})
    expect(search.body.hits.map((hit: {sessionKey: string}) => hit.sessionKey)).toContain('end-1')
    const stored = await daemon.request('GET', '/api/sessions/end-1/transcript')
    expect(stored.body.content).toContain('User: Remember that the rollback runbook is in docs/rollback.md.')
    expect(stored.body.content).not.toContain('sk-proj-Zz9Yy8')
    expect(stored.body.project).toBe('github.com/acme/api')
    const recall = await daemon.request('POST', '/api/memory/recall', {body: {query: 'rollback runbook', project: 'github.com/acme/api'}})
    expect(recall.body.results[0].content).toBe('The rollback runbook is in docs/rollback.md.')
  })
})

describe('never breaks the harness', () => {
  it('daemon not running: silent exit 0, one stderr line, one hook.log line', async () => {
    const deadEnv = {...env, SIGNET_DAEMON_URL: `http://127.0.0.1:${await freePort()}`}
    const run = await runHook(['user-prompt-submit', '-H', 'claude-code'], {
      env: deadEnv,
      input: JSON.stringify({session_id: 'down-1', cwd: repoDir, prompt: PROMPT}),
    })
    expect(run.code).toBe(0)
    expect(run.stdout).toBe('')
    expect(run.stderr.trim().split('\n')).toHaveLength(1)
    expect(run.stderr).toMatch(
      /^\[signet\] user-prompt-submit \(claude-code\): daemon not reachable at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\); hook skipped\n$/,
    )
    expect(hookLog()).toMatch(/user-prompt-submit harness=claude-code .*ECONNREFUSED/)
    expect(run.elapsedMs).toBeLessThan(5000)
  })

  it('a daemon that accepts and never answers: exit 0 within the prompt budget', async () => {
    const silent = await startSilentServer()
    try {
      const hangEnv = {...env, SIGNET_DAEMON_URL: silent.url}
      const run = await runHook(['user-prompt-submit', '-H', 'claude-code'], {
        env: hangEnv,
        input: JSON.stringify({session_id: 'hang-1', cwd: repoDir, prompt: PROMPT}),
      })
      expect(run).toMatchObject({code: 0, stdout: ''})
      expect(run.stderr).toMatch(/timed out/)
      expect(run.elapsedMs).toBeGreaterThan(2000) // it did wait for the daemon…
      expect(run.elapsedMs).toBeLessThan(6000) // …but not past its 2.5 s budget (+ generous start-up slack)

      // Claude Code SessionEnd: 1.5 s for all hooks — the transcript is spooled instead of waited for.
      const end = await runHook(['session-end', '-H', 'claude-code'], {
        env: hangEnv,
        input: JSON.stringify({session_id: 'hang-1', transcript_path: transcriptPath, cwd: repoDir, reason: 'other'}),
      })
      expect(end).toMatchObject({code: 0, stdout: ''})
      expect(end.stderr).toMatch(/saved to the local spool/)
      expect(end.elapsedMs).toBeLessThan(3000)
    } finally {
      await silent.close()
    }
  })

  it('401 from a daemon that needs a key: exit 0, nothing on stdout, the reason on stderr', async () => {
    const team = await startTestDaemon({agentYaml: 'auth:\n  mode: team\n'})
    try {
      const run = await runHook(['user-prompt-submit', '-H', 'claude-code'], {
        env: {...team.temp.env, SIGNET_DAEMON_URL: team.url, SIGNET_API_KEY: 'sig_sk_000000000000_wrongwrongwrongwrongwrongwrongwrongwrongwro'},
        input: JSON.stringify({session_id: 'k-1', cwd: repoDir, prompt: PROMPT}),
      })
      expect(run).toMatchObject({code: 0, stdout: ''})
      expect(run.stderr).toMatch(/rejected the credentials \(401\)/)
      expect(run.stderr).not.toContain('wrongwrong')
    } finally {
      await team.stop()
    }
  })

  it('stdin that never closes, garbage stdin, bad arguments and SIGNET_NO_HOOKS are all a quiet exit 0', async () => {
    const open = await runHook(['user-prompt-submit', '-H', 'claude-code'], {env, input: '{"session_id":"open-1","cwd":', keepStdinOpen: true})
    expect(open).toMatchObject({code: 0, stdout: ''})
    expect(open.elapsedMs).toBeLessThan(6000)

    const complete = await runHook(['user-prompt-submit', '-H', 'claude-code'], {
      env,
      input: JSON.stringify({session_id: 'open-2', cwd: repoDir, prompt: PROMPT}),
      keepStdinOpen: true,
    })
    expect(parseHookJson(complete.stdout, 'UserPromptSubmit')).toContain('blue-green') // a complete JSON object is enough, no EOF needed

    const garbage = await runHook(['user-prompt-submit', '-H', 'claude-code'], {env, input: '\u0000not json at all'})
    expect(garbage).toMatchObject({code: 0, stdout: '', stderr: ''})
    expect(hookLog()).toMatch(/stdin was not a JSON object/)

    const unknownEvent = await runHook(['session-middle', '-H', 'claude-code'], {env, input: '{}'})
    expect(unknownEvent).toMatchObject({code: 0, stdout: ''})
    expect(unknownEvent.stderr).toMatch(/unknown hook event "session-middle"/)
    const noHarness = await runHook(['session-start'], {env, input: '{}'})
    expect(noHarness.code).toBe(0)
    expect(noHarness.stderr).toMatch(/missing -H <harness>/)
    const badUrl = await runHook(['session-start', '-H', 'pi'], {env: {...env, SIGNET_DAEMON_URL: 'http://127.0.0.1:3850/api'}, input: '{}'})
    expect(badUrl).toMatchObject({code: 0, stdout: ''})
    expect(badUrl.stderr).toMatch(/bare origin/)

    const before = (await daemon.request('GET', '/api/harnesses')).body.harnesses.find((entry: {name: string}) => entry.name === 'openclaw')
    const disabled = await runHook(['user-prompt-submit', '-H', 'openclaw'], {env: {...env, SIGNET_NO_HOOKS: '1'}, input: JSON.stringify({prompt: PROMPT})})
    expect(disabled).toMatchObject({code: 0, stdout: '', stderr: ''})
    const after = (await daemon.request('GET', '/api/harnesses')).body.harnesses.find((entry: {name: string}) => entry.name === 'openclaw')
    expect(after?.lastSeen).toBe(before?.lastSeen) // no request was made
  })

  it('session-start with the daemon down injects the local identity files', async () => {
    const workspace = path.join(daemon.temp.home, 'offline-ws')
    mkdirSync(workspace, {recursive: true})
    writeFileSync(path.join(workspace, 'AGENTS.md'), '# Agent\nAlways run the linter.\n')
    writeFileSync(path.join(workspace, 'MEMORY.md'), '# MEMORY\nThe payments migration is half done.\n')
    const offlineEnv = {...env, SIGNET_WORKSPACE: workspace}
    const run = await runHook(['session-start', '-H', 'claude-code'], {
      env: offlineEnv,
      input: JSON.stringify({session_id: 'off-1', cwd: repoDir, source: 'startup'}),
    })
    expect(run.code).toBe(0)
    const context = parseHookJson(run.stdout, 'SessionStart')
    expect(context).toContain('Always run the linter.')
    expect(context).toContain('The payments migration is half done.')
    expect(context).toContain('not reachable')
    expect(run.stderr).toMatch(/injected the local identity files only/)
  })
})

describe('offline spool', () => {
  it('a session-end killed mid-request (Gemini does not wait) is already on disk and is delivered later', async () => {
    const {makeTempHome} = await import('../helpers/temp-home.js')
    const {initWorkspace} = await import('../../src/config/workspace.js')
    const {startServer} = await import('../../src/daemon/server.js')
    const temp = makeTempHome()
    initWorkspace(temp.workspace)
    mkdirSync(path.join(temp.workspace, '.daemon'), {recursive: true, mode: 0o700})
    // A daemon that hangs: something on the workspace socket that never answers.
    const silent = await startSilentServer({socketPath: path.join(temp.workspace, '.daemon', 'signet.sock')})
    const spoolDir = path.join(temp.home, '.config', 'signet', 'spool')
    try {
      const {spawn} = await import('node:child_process')
      const {RUN_JS} = await import('../helpers/cli.js')
      const child = spawn(process.execPath, [RUN_JS, 'hook', 'session-end', '-H', 'gemini'], {env: temp.env, stdio: ['pipe', 'ignore', 'ignore']})
      child.stdin.end(JSON.stringify({session_id: 'killed-1', transcript_path: transcriptPath, cwd: repoDir, hook_event_name: 'SessionEnd', reason: 'exit'}))
      // Kill it once its request reached the (silent) daemon, as a harness exiting would.
      await new Promise<void>((resolve) => silent.server.once('connection', () => resolve()))
      child.kill('SIGKILL')
      await new Promise((resolve) => child.once('close', resolve))
      await silent.close()
      const claimed = readdirSync(spoolDir)
      expect(claimed).toHaveLength(1)
      expect(claimed[0]).toMatch(/\.json\.claim-\d+-\d+$/)
      // Two minutes later the claim is stale (simulated by its timestamp) and the next call delivers it.
      const {renameSync} = await import('node:fs')
      renameSync(path.join(spoolDir, claimed[0]), path.join(spoolDir, claimed[0].replace(/-\d+$/, `-${Date.now() - 180_000}`)))
      const server = await startServer({workspace: temp.workspace, port: 0})
      try {
        const replay = await runHook(['user-prompt-submit', '-H', 'gemini'], {
          env: temp.env,
          input: JSON.stringify({session_id: 'killed-2', cwd: repoDir, prompt: PROMPT}),
        })
        expect(replay.code).toBe(0)
        expect(readdirSync(spoolDir)).toEqual([])
        const stored = sqliteDatabaseOf(server).prepare("SELECT count(*) AS n FROM session_transcripts WHERE session_key = 'killed-1'").get() as {n: number}
        expect(stored.n).toBe(1)
      } finally {
        await server.close()
      }
    } finally {
      await silent.close()
      temp.cleanup()
    }
  })

  it('a transcript delivered while the daemon is down is stored exactly once after a restart', async () => {
    const {makeTempHome} = await import('../helpers/temp-home.js')
    const {initWorkspace} = await import('../../src/config/workspace.js')
    const {startServer} = await import('../../src/daemon/server.js')
    const temp = makeTempHome()
    initWorkspace(temp.workspace)
    const port = await freePort()
    // No SIGNET_DAEMON_URL: the workspace daemon, reached by its socket (absent while it is down).
    const spoolEnv = {...temp.env}
    const spoolDir = path.join(temp.home, '.config', 'signet', 'spool')
    const input = JSON.stringify({session_id: 'spool-1', transcript_path: transcriptPath, cwd: repoDir, hook_event_name: 'SessionEnd', reason: 'logout'})
    try {
      const down = await runHook(['session-end', '-H', 'claude-code'], {env: spoolEnv, input})
      expect(down).toMatchObject({code: 0, stdout: ''})
      expect(down.stderr).toMatch(/saved to the local spool \(1 pending\)/)
      expect(readdirSync(spoolDir).filter((name) => name.endsWith('.json'))).toHaveLength(1)
      const summary = await runHook(['compaction-complete', '-H', 'pi', '--summary', 'Summary while offline: the walrus service moved to k8s.'], {
        env: spoolEnv,
        input: JSON.stringify({sessionId: 'spool-2', cwd: repoDir}),
      })
      expect(summary.stderr).toMatch(/\(2 pending\)/)

      // The daemon comes back (a fresh process on the same port and database).
      let server = await startServer({workspace: temp.workspace, port})
      await server.close()
      server = await startServer({workspace: temp.workspace, port})
      try {
        // The same session ends again (e.g. a retry): delivered directly, then the spool replays.
        const up = await runHook(['session-end', '-H', 'claude-code'], {env: spoolEnv, input})
        expect(up).toMatchObject({code: 0, stdout: '', stderr: ''})
        expect(readdirSync(spoolDir).filter((name) => name.endsWith('.json') || name.includes('.claim-'))).toEqual([])
        const transcripts = sqliteDatabaseOf(server).prepare("SELECT count(*) AS n FROM session_transcripts WHERE session_key = 'spool-1'").get() as {n: number}
        expect(transcripts.n).toBe(1)
        const memories = sqliteDatabaseOf(server)
          .prepare("SELECT count(*) AS n FROM memories WHERE content = 'The rollback runbook is in docs/rollback.md.'")
          .get() as {n: number}
        expect(memories.n).toBe(1)
        const walrus = sqliteDatabaseOf(server).prepare("SELECT count(*) AS n FROM memories WHERE content LIKE '%walrus service%'").get() as {n: number}
        expect(walrus.n).toBe(1)
        // Replaying the same write again changes nothing.
        const again = await runHook(['session-end', '-H', 'claude-code'], {env: spoolEnv, input})
        expect(again.code).toBe(0)
        expect((sqliteDatabaseOf(server).prepare("SELECT count(*) AS n FROM session_transcripts WHERE session_key = 'spool-1'").get() as {n: number}).n).toBe(1)
      } finally {
        await server.close()
      }
    } finally {
      temp.cleanup()
    }
  })
})
