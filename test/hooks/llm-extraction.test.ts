import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import {createServer, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'
import path from 'node:path'

import {afterEach, describe, expect, it} from 'vitest'

import {parseAgentConfig} from '../../src/config/agent-config.js'
import {startTestDaemon, storedRows, type TestDaemon} from '../helpers/daemon.js'

/*
 * The optional LLM extraction provider, with real stand-ins: a tiny script in place of the
 * user's CLI (a real process reading the prompt on stdin) and a local OpenAI-compatible server.
 */

let daemon: TestDaemon | undefined
let server: Server | undefined
afterEach(async () => {
  await daemon?.stop()
  daemon = undefined
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)))
  server = undefined
})

const TRANSCRIPT = [
  {role: 'user', content: 'We decided to keep the staging database on port 5433 because 5432 clashes with the host postgres.'},
  {role: 'assistant', content: 'Understood, staging stays on 5433.'},
]

async function llmMemories(d: TestDaemon): Promise<Array<{content: string; type: string; source: string; harness: string | null; session_key: string | null}>> {
  // Stored order (seq) is creation order: rows are read in key order.
  return (await storedRows(d, 'memories'))
    .filter((row) => row.source === 'llm-extraction')
    .map((row) => ({content: row.content, type: row.type, source: row.source, harness: row.harness, session_key: row.session_key})) as any
}

async function waitFor<T>(read: () => Promise<T>, ok: (value: T) => boolean, ms = 15_000): Promise<T> {
  const until = Date.now() + ms
  for (;;) {
    const value = await read()
    if (ok(value) || Date.now() > until) return value
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

const GITHUB_TOKEN = `ghp_${'b'.repeat(36)}`

describe('extraction.provider: command', () => {
  it('runs the CLI after session-end without holding the hook, stores its JSON lines redacted, and keeps to the hourly budget', async () => {
    const temp = (await import('../helpers/temp-home.js')).makeTempHome('signet-llm-')
    const script = path.join(temp.home, 'fake-claude.mjs')
    const calls = path.join(temp.home, 'calls.log')
    // stands in for `claude -p`: reads the prompt on stdin, takes a while, answers JSON lines (and some noise)
    writeFileSync(
      script,
      `import {appendFileSync} from 'node:fs'
let prompt = ''
process.stdin.on('data', (chunk) => (prompt += chunk))
process.stdin.on('end', () => {
  appendFileSync(${JSON.stringify(calls)}, JSON.stringify({argv: process.argv.slice(2), prompt}) + '\\n')
  setTimeout(() => {
    console.log('Here are the memories:')
    console.log(JSON.stringify({content: 'Staging database uses port 5433 (5432 clashes with host postgres)', type: 'decision', importance: 0.9, tags: ['staging']}))
    console.log(JSON.stringify({content: 'The deploy token is ${GITHUB_TOKEN}', type: 'fact'}))
    console.log('{not json')
  }, 1500)
})
`,
    )
    daemon = await startTestDaemon({
      agentYaml: `extraction:\n  provider: command\n  command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(script)}, "-p"]\n  maxCallsPerHour: 1\n  timeoutMs: 20000\n`,
    })
    const started = Date.now()
    const end = await daemon.request('POST', '/api/hooks/session-end', {
      body: {harness: 'claude-code', sessionKey: 'llm-1', transcript: JSON.stringify(TRANSCRIPT)},
    })
    expect(end.status).toBe(200)
    // the hook answered before the CLI (1.5 s) did
    expect(Date.now() - started).toBeLessThan(1500)
    expect(await llmMemories(daemon)).toEqual([])
    const stored = await waitFor(
      () => llmMemories(daemon!),
      (rows) => rows.length >= 2,
    )
    expect(stored.map((row) => row.content)).toEqual([
      'Staging database uses port 5433 (5432 clashes with host postgres)',
      expect.stringContaining('The deploy token is'),
    ])
    expect(stored[1].content).not.toContain('ghp_bbbb')
    expect(stored[0]).toMatchObject({type: 'decision', source: 'llm-extraction', harness: 'claude-code', session_key: 'llm-1'})
    const call = JSON.parse(readFileSync(calls, 'utf8').trim())
    expect(call.argv).toEqual(['-p'])
    expect(call.prompt).toContain('JSON lines')
    expect(call.prompt).toContain('port 5433 because 5432 clashes')

    // second session in the same hour: over budget, the CLI is not run again
    await daemon.request('POST', '/api/hooks/session-end', {
      body: {harness: 'claude-code', sessionKey: 'llm-2', transcript: JSON.stringify([{role: 'user', content: 'We decided deploys go out on Tuesdays.'}])},
    })
    await new Promise((resolve) => setTimeout(resolve, 2500))
    expect(readFileSync(calls, 'utf8').trim().split('\n')).toHaveLength(1)
    temp.cleanup()
  })

  it('kills a CLI that does not answer within the timeout; the session is still stored', async () => {
    const temp = (await import('../helpers/temp-home.js')).makeTempHome('signet-llm-')
    const script = path.join(temp.home, 'hang.mjs')
    const marker = path.join(temp.home, 'still-alive')
    writeFileSync(
      script,
      `setTimeout(() => require('node:fs').writeFileSync(${JSON.stringify(marker)}, 'x'), 4000)\nprocess.stdin.resume()\n`.replace(
        "require('node:fs')",
        "(await import('node:fs'))",
      ),
    )
    daemon = await startTestDaemon({
      agentYaml: `extraction:\n  provider: command\n  command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(script)}]\n  timeoutMs: 1000\n`,
    })
    const end = await daemon.request('POST', '/api/hooks/session-end', {body: {harness: 'codex', sessionKey: 'hang-1', transcript: JSON.stringify(TRANSCRIPT)}})
    expect(end.status).toBe(200)
    expect(end.body.transcriptId).toBeTruthy()
    await new Promise((resolve) => setTimeout(resolve, 5000))
    expect(existsSync(marker)).toBe(false)
    expect(await llmMemories(daemon)).toEqual([])
    temp.cleanup()
  })
})

describe('extraction.provider: openai', () => {
  it('posts the redacted transcript to an OpenAI-compatible chat completions API with the key from the named env var', async () => {
    const requests: Array<{url: string; auth?: string; body: any}> = []
    server = createServer((request, response) => {
      let body = ''
      request.on('data', (chunk) => (body += chunk))
      request.on('end', () => {
        requests.push({url: request.url ?? '', auth: request.headers.authorization, body: JSON.parse(body)})
        response.writeHead(200, {'content-type': 'application/json'})
        response.end(
          JSON.stringify({
            choices: [
              {message: {role: 'assistant', content: '```json\n{"content": "Alice owns the billing service", "type": "fact", "importance": 0.8}\n```'}},
            ],
          }),
        )
      })
    })
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve))
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`
    daemon = await startTestDaemon({
      agentYaml: `extraction:\n  provider: openai\n  baseUrl: ${url}\n  model: tiny-model\n  apiKeyEnv: SIGNET_TEST_LLM_KEY\n`,
      env: {SIGNET_TEST_LLM_KEY: 'sk-test-123'},
    })
    const transcript = JSON.stringify([{role: 'user', content: `Alice owns the billing service. My password is postgres://app:hunter2secret@db.internal/app`}])
    expect((await daemon.request('POST', '/api/hooks/session-end', {body: {harness: 'opencode', sessionKey: 'oa-1', transcript}})).status).toBe(200)
    const stored = await waitFor(
      () => llmMemories(daemon!),
      (rows) => rows.length >= 1,
    )
    expect(stored.map((row) => row.content)).toEqual(['Alice owns the billing service'])
    expect(requests).toHaveLength(1)
    expect(requests[0]).toMatchObject({url: '/v1/chat/completions', auth: 'Bearer sk-test-123', body: {model: 'tiny-model'}})
    const sent = requests[0].body.messages[0].content as string
    expect(sent).toContain('Alice owns the billing service')
    expect(sent).not.toContain('hunter2secret')
  })
})

describe('agent.yaml extraction', () => {
  it('defaults to none and names the missing field for command and openai', () => {
    expect(parseAgentConfig('').extraction).toMatchObject({provider: 'none', maxCallsPerHour: 6})
    expect(() => parseAgentConfig('extraction:\n  provider: command\n')).toThrow(/extraction\.command/)
    expect(() => parseAgentConfig('extraction:\n  provider: openai\n  model: m\n')).toThrow(/extraction\.baseUrl/)
    expect(() => parseAgentConfig('extraction:\n  provider: claude\n')).toThrow(/extraction\.provider/)
    expect(() => parseAgentConfig('extraction:\n  provider: none\n  shell: true\n')).toThrow(/shell/)
  })
})
