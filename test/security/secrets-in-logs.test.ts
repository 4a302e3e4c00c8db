import {readdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import Database from 'better-sqlite3'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {workspacePaths} from '../../src/config/paths.js'
import {initWorkspace} from '../../src/config/workspace.js'
import {makeTempHome, type TempHome} from '../helpers/temp-home.js'
import {spawnDaemon, type SpawnedDaemon} from '../reliability/support/spawned-daemon.js'

let temp: TempHome
let daemon: SpawnedDaemon
/** Every secret the run handled; none may appear in a log, the audit trail or a key row. */
const secrets = new Set<string>()
let requests = 0

/** Secret-looking content a user might paste into a memory or a prompt. */
const SECRET_CONTENT = [
  'ghp_R8kY2vQx9LmN4pT7wZ1aB3cD5eF6gH8jK0lM',
  'AKIAIOSFODNN7EXAMPLE',
  'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  'https://deploy:S3cr3t-Pa55w0rd@git.example.com/acme/api.git',
  'xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx',
  '-----BEGIN OPENSSH PRIVATE KEY-----b3BlbnNzaC1rZXktdjEAAAAABG5vbmU',
]

async function api(method: string, route: string, options: {key?: string; body?: unknown; headers?: Record<string, string>} = {}) {
  requests++
  // Without a key of its own the request is the owner's, with the admin token (TCP without a credential is nobody).
  const key = options.key ?? daemon.adminToken
  const response = await fetch(`${daemon.url}${route}`, {
    method,
    headers: {'content-type': 'application/json', authorization: `Bearer ${key}`, ...options.headers},
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  })
  return {status: response.status, body: (await response.json().catch(() => undefined)) as any}
}

beforeAll(async () => {
  temp = makeTempHome()
  initWorkspace(temp.workspace)
  writeFileSync(
    workspacePaths(temp.workspace).agentYaml,
    'version: 1\nagent:\n  name: secrets\nauth:\n  mode: hybrid\n  rateLimits:\n    authFailures: {windowMs: 60000, max: 1000}\n',
  )
  // Debug level logs every request line: the most a log will ever hold.
  daemon = await spawnDaemon({workspace: temp.workspace, env: {...temp.env, SIGNET_LOG_LEVEL: 'debug'}})
})

afterAll(async () => {
  await daemon?.kill('SIGTERM')
  temp?.cleanup()
})

function remember(secret: string) {
  secrets.add(secret)
  // The secret part of a sig_sk_ key (after the prefix) is what must never leak.
  const match = /^sig_sk_[0-9a-f]{12}_(.+)$/.exec(secret)
  if (match) secrets.add(match[1])
}

/** All text files under a directory (logs, state, tokens excluded by the caller). */
function textFilesUnder(dir: string): string[] {
  const files: string[] = []
  for (const name of readdirSync(dir)) {
    const file = path.join(dir, name)
    if (statSync(file).isDirectory()) files.push(...textFilesUnder(file))
    else files.push(file)
  }
  return files
}

describe('secrets never reach logs', () => {
  it('keys, tokens, pairing codes and secret-bearing content stay out of the daemon log, its output and the audit trail', async () => {
    const paths = workspacePaths(temp.workspace)
    const adminToken = readFileSync(paths.adminTokenFile, 'utf8').trim()
    remember(adminToken)

    // Key lifecycle: create, use, rotate, revoke, pair and claim.
    const agentKey = (await api('POST', '/api/auth/api-keys', {body: {name: 'laptop', role: 'agent', agentId: 'laptop', connector: 'pi'}})).body.apiKey
    remember(agentKey.key)
    const adminKey = (await api('POST', '/api/auth/api-keys', {key: adminToken, body: {name: 'ops', role: 'admin'}})).body.apiKey
    remember(adminKey.key)
    const rotated = await api('POST', `/api/auth/api-keys/${agentKey.id}/rotate`, {key: adminKey.key, body: {}})
    expect(rotated.status).toBe(201)
    remember(rotated.body.apiKey.key)
    const newAgentKey = rotated.body.apiKey.key as string
    const pair = await api('POST', '/api/auth/pair', {body: {connector: 'codex', agentId: 'phone'}})
    expect(pair.status).toBe(201)
    remember(pair.body.code)
    const claimed = await api('POST', '/api/auth/pair/claim', {body: {code: pair.body.code, machineId: 'phone-1'}})
    expect(claimed.status).toBe(201)
    remember(claimed.body.apiKey.key)
    const readonlyKey = (await api('POST', '/api/auth/api-keys', {body: {name: 'reader', role: 'readonly'}})).body.apiKey
    remember(readonlyKey.key)
    expect((await api('DELETE', `/api/auth/api-keys/${readonlyKey.prefix}`, {key: adminKey.key})).status).toBe(200)

    // Secret-bearing content through every write path, with keys that work and keys that do not.
    for (const [index, secret] of SECRET_CONTENT.entries()) {
      remember(secret)
      const content = `note ${index}: the credential is ${secret} (do not share)`
      expect((await api('POST', '/api/memory/remember', {key: newAgentKey, body: {content, tags: ['creds']}})).status).toBe(201)
      await api('POST', '/api/memory/recall', {key: newAgentKey, body: {query: secret}})
      await api('POST', '/api/memory/remember', {key: readonlyKey.key, body: {content}}) // revoked: 401
      await api('POST', '/api/memory/remember', {key: agentKey.key, body: {content}}) // rotated away: 401
      await api('POST', '/api/memory/remember', {key: `${newAgentKey.slice(0, -4)}AAAA`, body: {content}}) // right prefix, wrong secret
      await api('POST', '/api/memory/remember', {key: newAgentKey, body: {content, importance: 7}}) // 400
      await api('POST', '/api/memory/remember', {key: newAgentKey, body: {content: secret, agentId: 'someone-else'}}) // 403
    }
    // Credentials where they do not belong: other schemes, the query string, other headers.
    await api('GET', `/api/memories?api_key=${newAgentKey}&token=${adminToken}`, {headers: {'x-api-key': newAgentKey}})
    await api('GET', '/api/memories', {headers: {authorization: `Basic ${Buffer.from(`user:${newAgentKey}`).toString('base64')}`}})
    await api('GET', '/api/memories', {headers: {authorization: `Token ${newAgentKey}`, 'x-forwarded-for': '203.0.113.7'}})
    // A key pasted into a path (a confused client or script): refused, and not echoed into the log.
    await api('GET', `/api/memory/${newAgentKey}`, {key: newAgentKey})
    await api('DELETE', `/api/auth/api-keys/${newAgentKey}`, {key: adminKey.key})
    await api('GET', `/api/${newAgentKey}`)
    await api('GET', `/api/memory/${newAgentKey.replaceAll('_', '%5F')}`, {headers: {'x-forwarded-for': '203.0.113.7'}}) // remote, no key: audited
    await api('POST', `/api/auth/api-keys/${adminToken}/rotate`, {headers: {'x-real-ip': '203.0.113.8'}})
    // MCP over HTTP with the key.
    const mcp = await fetch(`${daemon.url}/mcp`, {
      method: 'POST',
      headers: {authorization: `Bearer ${newAgentKey}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream'},
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'tools/call',
        params: {name: 'memory_store', arguments: {content: `mcp note with ${SECRET_CONTENT[0]}`}},
      }),
    })
    requests++
    expect(mcp.status).toBe(200)

    await daemon.kill('SIGTERM')
    const haystacks: Record<string, string> = {'daemon stdout/stderr': daemon.output()}
    for (const file of textFilesUnder(paths.logsDir)) haystacks[file] = readFileSync(file, 'utf8')
    expect(haystacks[paths.logFile], 'debug logging was on').toMatch(/request method=POST path=\/api\/memory\/remember/)
    const db = new Database(paths.dbPath, {readonly: true})
    try {
      haystacks['audit table'] = JSON.stringify(db.prepare('SELECT * FROM audit').all())
      haystacks['api_keys table'] = JSON.stringify(db.prepare('SELECT * FROM api_keys').all())
      haystacks['pairing_codes table'] = JSON.stringify(db.prepare('SELECT * FROM pairing_codes').all())
      expect(haystacks['audit table']).toMatch(/auth_failed/)
    } finally {
      db.close()
    }
    const leaks: string[] = []
    for (const [where, text] of Object.entries(haystacks)) {
      for (const secret of secrets) if (text.includes(secret)) leaks.push(`${where} contains ${secret.slice(0, 12)}…`)
    }
    expect(leaks).toEqual([])
    console.info(`secrets in logs: ${requests} requests, ${secrets.size} secrets tracked, ${Object.keys(haystacks).length} places scanned, 0 leaks`)
  })
})

describe('secrets never reach the hook log', () => {
  it('hooks run with a key, a revoked key and an unreachable daemon, on secret-bearing prompts and transcripts', async () => {
    const hookTemp = makeTempHome('signet-hooksecrets-')
    const workspace = path.join(hookTemp.home, 'ws')
    initWorkspace(workspace)
    writeFileSync(workspacePaths(workspace).agentYaml, 'version: 1\nagent:\n  name: hooks\nauth:\n  mode: hybrid\n')
    const hookDaemon = await spawnDaemon({workspace, env: hookTemp.env})
    const hookSecrets = new Set<string>(SECRET_CONTENT)
    try {
      const mint = async (body: object) => {
        const response = await fetch(`${hookDaemon.url}/api/auth/api-keys`, {
          method: 'POST',
          headers: hookDaemon.ownerHeaders({'content-type': 'application/json'}),
          body: JSON.stringify(body),
        })
        const {apiKey} = (await response.json()) as {apiKey: {key: string; id: string}}
        hookSecrets.add(apiKey.key)
        hookSecrets.add(apiKey.key.slice(20))
        return apiKey
      }
      const good = await mint({name: 'claude laptop', role: 'agent', agentId: 'laptop', connector: 'claude-code'})
      const revoked = await mint({name: 'old laptop', role: 'agent'})
      await fetch(`${hookDaemon.url}/api/auth/api-keys/${revoked.id}`, {method: 'DELETE', headers: hookDaemon.ownerHeaders()})
      const transcript = path.join(hookTemp.home, 'session.jsonl')
      // Pasted the way people paste them: a bare 40-char AWS secret has no shape of its own, so it comes with its name.
      const pasted = (secret: string) => (secret.startsWith('wJalr') ? `export AWS_SECRET_ACCESS_KEY=${secret}` : `here is the credential ${secret}`)
      writeFileSync(
        transcript,
        SECRET_CONTENT.map((secret) => JSON.stringify({type: 'user', message: {role: 'user', content: pasted(secret)}})).join('\n') + '\n',
      )

      const {runCli} = await import('../helpers/cli.js')
      const targets = [
        {SIGNET_DAEMON_URL: hookDaemon.url, SIGNET_API_KEY: good.key},
        {SIGNET_DAEMON_URL: hookDaemon.url, SIGNET_API_KEY: revoked.key},
        {SIGNET_DAEMON_URL: hookDaemon.url, SIGNET_API_KEY: `${good.key.slice(0, -3)}xyz`},
        {SIGNET_DAEMON_URL: 'http://127.0.0.1:9', SIGNET_API_KEY: good.key},
      ]
      let runs = 0
      for (const target of targets) {
        const env = {...hookTemp.env, ...target}
        for (const [event, stdin] of [
          ['user-prompt-submit', {session_id: 's1', prompt: `deploy with ${SECRET_CONTENT[0]} and ${SECRET_CONTENT[3]}`}],
          ['session-start', {session_id: 's1', source: 'startup'}],
          ['session-end', {session_id: 's1', transcript_path: transcript, reason: 'exit'}],
          ['compaction-complete', {session_id: 's1', compact_summary: `we rotated ${SECRET_CONTENT[1]} and ${SECRET_CONTENT[4]}`}],
          ['user-prompt-submit', `not json ${SECRET_CONTENT[2]} ${good.key}`],
        ] as const) {
          const run = await runCli(['hook', event, '-H', 'claude-code'], {
            env,
            input: typeof stdin === 'string' ? stdin : JSON.stringify(stdin),
            timeoutMs: 20_000,
          })
          runs++
          expect(run.code).toBe(0)
          for (const secret of hookSecrets) expect(run.stderr.includes(secret), `hook stderr leaks ${secret.slice(0, 12)}`).toBe(false)
        }
      }
      const logFile = path.join(hookTemp.home, '.config', 'signet', 'hook.log')
      const hookLog = readFileSync(logFile, 'utf8')
      expect(hookLog).toMatch(/rejected the credentials \(401\)/)
      expect(hookLog).toMatch(/not reachable/)
      const daemonLog = readFileSync(workspacePaths(workspace).logFile, 'utf8')
      const spoolDir = path.join(hookTemp.home, '.config', 'signet', 'spool')
      // The spool keeps the transcript itself (it is the user's data, 0600, replayed later) but never a key.
      const spooled = textFilesUnder(spoolDir)
        .map((file) => readFileSync(file, 'utf8'))
        .join('\n')
      expect(spooled.length).toBeGreaterThan(0)
      const leaks: string[] = []
      for (const secret of hookSecrets) {
        if (hookLog.includes(secret)) leaks.push(`hook.log contains ${secret.slice(0, 12)}…`)
        if (daemonLog.includes(secret)) leaks.push(`daemon.log contains ${secret.slice(0, 12)}…`)
        if (secret.startsWith('sig_sk_') && spooled.includes(secret)) leaks.push(`spool contains a key`)
      }
      // SPEC §7.3: what the hooks store (transcripts, summaries, extracted memories) is redacted first.
      const stored = new Database(workspacePaths(workspace).dbPath, {readonly: true})
      try {
        const transcripts = stored.prepare('SELECT content FROM session_transcripts').all() as Array<{content: string}>
        const memories = stored.prepare('SELECT content FROM memories').all() as Array<{content: string}>
        expect(transcripts.length).toBeGreaterThan(0)
        for (const {content} of [...transcripts, ...memories]) {
          for (const secret of SECRET_CONTENT) if (content.includes(secret)) leaks.push(`stored hook content contains ${secret.slice(0, 12)}…`)
        }
      } finally {
        stored.close()
      }
      expect(leaks).toEqual([])
      console.info(`secrets in hook logs: ${runs} hook runs (valid, revoked, wrong and unreachable), 0 leaks in hook.log, daemon.log or spool keys`)
    } finally {
      await hookDaemon.kill('SIGTERM')
      hookTemp.cleanup()
    }
  })
})
