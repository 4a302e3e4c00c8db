import {readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {runCli} from '../helpers/cli.js'
import {startTestDaemon, type TestDaemon} from '../helpers/daemon.js'
import {makeTempHome, type TempHome} from '../helpers/temp-home.js'

/**
 * Recall and session search work on what the user said, not on what the harness wrapped around
 * it or what Signet itself injected — through the real hook command, against a daemon in `team`
 * mode with an explicit key.
 */

let daemon: TestDaemon
let machine: TempHome
let adminToken: string
let key: string

/** What Gemini CLI does to hook output before it reaches the model (and its chat recording). */
const htmlEscape = (text: string) => text.replace(/</g, '&lt;').replace(/>/g, '&gt;')

function hook(event: string, payload: Record<string, unknown>) {
  return runCli(['hook', event, '-H', 'gemini'], {env: machine.env, input: JSON.stringify({cwd: machine.home, ...payload})})
}

async function sessionSearch(query: string): Promise<Array<{sessionKey: string; excerpt: string}>> {
  const response = await daemon.request('POST', '/api/sessions/search', {headers: {authorization: `Bearer ${key}`}, body: {query, limit: 10}})
  expect(response.status).toBe(200)
  return response.body.hits
}

beforeAll(async () => {
  daemon = await startTestDaemon({agentYaml: 'auth:\n  mode: team\n'})
  adminToken = readFileSync(daemon.context.paths.adminTokenFile, 'utf8').trim()
  const created = await daemon.request('POST', '/api/auth/api-keys', {
    headers: {authorization: `Bearer ${adminToken}`},
    body: {name: 'gemini laptop', connector: 'gemini'},
  })
  expect(created.status).toBe(201)
  key = created.body.apiKey.key
  machine = makeTempHome('signet-user-words-')
  Object.assign(machine.env, {SIGNET_NO_KEYCHAIN: '1', SIGNET_DAEMON_URL: daemon.url, SIGNET_API_KEY: key})
  // Identity files of a realistic size: the session context Gemini prepends is several KB.
  const conventions = [
    'Write TypeScript with strict types; no any, no non-null assertions without a comment saying why.',
    'Every change comes with a test that fails without it; run only the affected test files locally.',
    'Commit messages: imperative subject under 72 characters, body explains why, not what.',
    'Never print secrets; read keys from the environment or the keychain, never from arguments.',
    'Prefer small pure functions; keep I/O at the edges; name things for what they mean.',
    'Database migrations are append-only and versioned; never edit a released migration.',
    'Logs are structured JSON with a level, a message and context fields; no string concatenation.',
    'Review checklist: error messages name the field, inputs are validated at the edge, docs updated.',
  ]
  writeFileSync(
    path.join(daemon.workspace, 'AGENTS.md'),
    `# Working agreements\n\n${Array.from({length: 4}, (_, round) => conventions.map((line) => `- (${round + 1}) ${line}`).join('\n')).join('\n')}\n`,
  )
  writeFileSync(
    path.join(daemon.workspace, 'USER.md'),
    '# About me\n\nBackend engineer on the platform team; prefers terse answers with commands to copy, works in Europe/Berlin, uses fish shell and neovim.\n',
  )
  for (const content of [
    'The staging database listens on port 5433, not 5432.',
    'Use pnpm, not npm, in the web repository.',
    'Deploys go out on Tuesdays after the standup.',
    'The CI runners have 2 cores and 24 GiB of memory.',
    'Alice owns the billing service.',
    'The quokka cluster runs on ARM nodes in the Frankfurt region.',
  ]) {
    const stored = await daemon.request('POST', '/api/memory/remember', {headers: {authorization: `Bearer ${key}`}, body: {content}})
    expect(stored.status).toBe(201)
  }
})

afterAll(async () => {
  await daemon?.stop()
  machine?.cleanup()
})

describe("recall queries are the user's words", () => {
  it('gemini -p: the session context Gemini prepends to the prompt does not drown the question', async () => {
    // The real session-start context, as Gemini CLI puts it in front of a `-p` prompt.
    const start = await hook('session-start', {session_id: 'gemini-start', hook_event_name: 'SessionStart', source: 'startup'})
    expect(start.code).toBe(0)
    const context: string = JSON.parse(start.stdout).hookSpecificOutput.additionalContext
    expect(context.length).toBeGreaterThan(4000)
    const prompt = `<hook_context>${htmlEscape(context)}</hook_context>\n\nwhat port is the staging database on`

    const run = await hook('user-prompt-submit', {session_id: 'gemini-prompt', hook_event_name: 'BeforeAgent', prompt})
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    const output = JSON.parse(run.stdout)
    expect(output.hookSpecificOutput.hookEventName).toBe('BeforeAgent')
    expect(output.hookSpecificOutput.additionalContext).toContain('port 5433')
  })
})

describe('stored transcripts hold no Signet output', () => {
  it("a Gemini chat recording with our (HTML-escaped) injected block is stored without it; session search finds only the user's words", async () => {
    const injected = `<signet-recalled-memories>\nNotes from Signet memory that may be relevant.\n- The quokka cluster runs on ARM nodes in the Frankfurt region.\n</signet-recalled-memories>`
    const recording = {
      sessionId: 'gemini-transcript-1',
      messages: [
        {type: 'user', content: [{text: 'how do I restart the billing worker'}, {text: `<hook_context>${htmlEscape(injected)}</hook_context>`}]},
        {type: 'gemini', content: 'Run systemctl restart billing-worker on the app host.'},
      ],
    }
    const file = path.join(machine.home, 'gemini-chat.json')
    writeFileSync(file, JSON.stringify(recording))
    const end = await hook('session-end', {session_id: 'gemini-transcript-1', hook_event_name: 'SessionEnd', reason: 'exit', transcript_path: file})
    expect(end.stderr).toBe('')
    expect(end.code).toBe(0)

    expect((await sessionSearch('restart billing worker')).map((hit) => hit.sessionKey)).toContain('gemini-transcript-1')
    // "quokka" and "Frankfurt" only ever appeared in what Signet injected
    expect(await sessionSearch('quokka Frankfurt')).toEqual([])
  })

  it('the daemon removes our block from a transcript a plugin posts as plain text', async () => {
    const transcript = [
      'User: which region hosts the analytics jobs',
      '<signet-recalled-memories>\n- The quokka cluster runs on ARM nodes in the Frankfurt region.\n</signet-recalled-memories>',
      'Assistant: I do not know yet; let me check the inventory.',
    ].join('\n\n')
    const response = await daemon.request('POST', '/api/hooks/session-end', {
      headers: {authorization: `Bearer ${key}`},
      body: {harness: 'openclaw', sessionKey: 'plain-transcript-1', transcript},
    })
    expect(response.status).toBe(200)
    expect((await sessionSearch('analytics jobs region')).map((hit) => hit.sessionKey)).toContain('plain-transcript-1')
    expect(await sessionSearch('quokka Frankfurt')).toEqual([])
  })
})
