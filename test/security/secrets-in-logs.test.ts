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
  const response = await fetch(`${daemon.url}${route}`, {
    method,
    headers: {'content-type': 'application/json', ...(options.key ? {authorization: `Bearer ${options.key}`} : {}), ...options.headers},
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  })
  return {status: response.status, body: (await response.json().catch(() => undefined)) as any}
}

beforeAll(async () => {
  temp = makeTempHome()
  initWorkspace(temp.workspace)
  writeFileSync(workspacePaths(temp.workspace).agentYaml, 'version: 1\nagent:\n  name: secrets\nauth:\n  mode: hybrid\n  rateLimits:\n    authFailures: {windowMs: 60000, max: 1000}\n')
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
      body: JSON.stringify({jsonrpc: '2.0', id: 1, method: 'tools/call', params: {name: 'memory_store', arguments: {content: `mcp note with ${SECRET_CONTENT[0]}`}}}),
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
