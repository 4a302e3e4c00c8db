import {readdirSync, readFileSync, statSync} from 'node:fs'
import path from 'node:path'

import {afterEach, describe, expect, it} from 'vitest'

import {startServer} from '../../src/daemon/server.js'
import {startTestDaemon, storedRows, type TestDaemon} from '../helpers/daemon.js'

let daemon: TestDaemon | undefined

afterEach(async () => {
  await daemon?.stop()
  daemon = undefined
})

const auth = (key: string) => ({authorization: `Bearer ${key}`})
const REMOTE = {'x-forwarded-for': '203.0.113.50'}

describe('key management routes', () => {
  it('create → 201 with the key once; list never shows it; revoke and rotate by id or prefix', async () => {
    daemon = await startTestDaemon({agentYaml: 'auth:\n  mode: hybrid\n'})
    const created = await daemon.request('POST', '/api/auth/api-keys', {
      body: {name: 'work laptop pi', connector: 'pi', agentId: 'pi-work-laptop', harness: 'pi', scope: {agent: 'pi-work-laptop'}},
    })
    expect(created.status).toBe(201)
    const apiKey = created.body.apiKey
    expect(apiKey).toMatchObject({
      name: 'work laptop pi',
      role: 'agent',
      connector: 'pi',
      harness: 'pi',
      agentId: 'pi-work-laptop',
      scope: {agent: 'pi-work-laptop'},
      permissions: [],
      allowedProjects: [],
      status: 'active',
      lastUsedAt: null,
      revokedAt: null,
      expiresAt: null,
    })
    for (const field of ['id', 'prefix', 'createdAt', 'key']) expect(apiKey).toHaveProperty(field)
    expect(apiKey).not.toHaveProperty('keyHash')

    const listed = await daemon.request('GET', '/api/auth/api-keys')
    expect(listed.status).toBe(200)
    expect(listed.body.apiKeys).toHaveLength(1)
    expect(listed.body.apiKeys[0]).not.toHaveProperty('key')
    expect(JSON.stringify(listed.body)).not.toContain(apiKey.key.slice(20))

    // Using the key records lastUsedAt.
    await daemon.request('GET', '/api/auth/whoami', {headers: {...auth(apiKey.key), ...REMOTE}})
    const afterUse = await daemon.request('GET', '/api/auth/api-keys')
    expect(afterUse.body.apiKeys[0].lastUsedAt).not.toBeNull()

    const rotated = await daemon.request('POST', `/api/auth/api-keys/${apiKey.prefix}/rotate`, {body: {}})
    expect(rotated.status).toBe(201)
    expect(rotated.body.apiKey).toMatchObject({name: 'work laptop pi', scope: {agent: 'pi-work-laptop'}, connector: 'pi', status: 'active'})
    expect(rotated.body.apiKey.key).not.toBe(apiKey.key)
    expect(rotated.body.replaced).toMatchObject({id: apiKey.id, status: 'revoked'})
    const oldKey = await daemon.request('GET', '/api/auth/whoami', {headers: {...auth(apiKey.key), ...REMOTE}})
    expect(oldKey.status).toBe(401)
    expect(oldKey.body).toEqual({error: 'api key revoked', code: 'api_key_revoked'})
    const again = await daemon.request('POST', `/api/auth/api-keys/${apiKey.id}/rotate`, {body: {}})
    expect(again.status).toBe(409)

    const newKey = rotated.body.apiKey
    expect((await daemon.request('GET', '/api/auth/whoami', {headers: {...auth(newKey.key), ...REMOTE}})).status).toBe(200)
    const revoked = await daemon.request('DELETE', `/api/auth/api-keys/${newKey.id}`)
    expect(revoked.status).toBe(200)
    expect(revoked.body.apiKey).toMatchObject({id: newKey.id, status: 'revoked'})
    // Revocation applies to the very next request.
    expect((await daemon.request('GET', '/api/auth/whoami', {headers: {...auth(newKey.key), ...REMOTE}})).status).toBe(401)
    // Idempotent, and unknown ids are 404.
    expect((await daemon.request('DELETE', `/api/auth/api-keys/${newKey.prefix}`)).status).toBe(200)
    const missing = await daemon.request('DELETE', '/api/auth/api-keys/key_AAAAAAAAAAAAAAAA')
    expect(missing.status).toBe(404)
    expect(missing.body).toEqual({error: 'API key not found', code: 'not_found'})
    const garbage = await daemon.request('DELETE', '/api/auth/api-keys/nope')
    expect(garbage.status).toBe(400)
    expect(garbage.body.field).toBe('idOrPrefix')
  })

  it('bad input names the field', async () => {
    daemon = await startTestDaemon()
    const cases: Array<[unknown, string]> = [
      [{}, 'name'],
      [{name: '   '}, 'name'],
      [{name: 'x', role: 'root'}, 'role'],
      [{name: 'x', permissions: ['fly']}, 'permissions.0'],
      [{name: 'x', role: 'readonly', permissions: ['remember']}, 'permissions'],
      [{name: 'x', expiresAt: 'tomorrow'}, 'expiresAt'],
      [{name: 'x', expiresAt: '2001-01-01T00:00:00Z'}, 'expiresAt'],
      [{name: 'x', agentId: 'has space'}, 'agentId'],
      [{name: 'x', agentId: 'a', scope: {agent: 'b'}}, 'agentId'],
      [{name: 'x', scope: {team: 'y'}}, 'scope.team'],
      [{name: 'x', agent_id: 'typo'}, 'agent_id'],
    ]
    for (const [body, field] of cases) {
      const response = await daemon.request('POST', '/api/auth/api-keys', {body})
      expect(response.status, JSON.stringify(body)).toBe(400)
      expect(response.body.field, JSON.stringify(body)).toBe(field)
    }
    const notJson = await daemon.request('POST', '/api/auth/api-keys', {rawBody: '{name:', headers: {'content-type': 'application/json'}})
    expect(notJson.status).toBe(400)
    expect((await daemon.request('GET', '/api/auth/api-keys')).body.apiKeys).toEqual([])
  })

  it('narrowed permissions apply: a remember-only agent key cannot recall', async () => {
    daemon = await startTestDaemon({agentYaml: 'auth:\n  mode: team\n'})
    const token = readFileSync(daemon.context.paths.adminTokenFile, 'utf8').trim()
    const created = await daemon.request('POST', '/api/auth/api-keys', {headers: auth(token), body: {name: 'writer', permissions: ['remember']}})
    const key = created.body.apiKey.key
    expect((await daemon.request('POST', '/api/memory/remember', {headers: auth(key), body: {content: 'write only'}})).status).toBe(201)
    const recall = await daemon.request('POST', '/api/memory/recall', {headers: auth(key), body: {query: 'write'}})
    expect(recall.status).toBe(403)
    expect(recall.body.code).toBe('permission_denied')
    const whoami = await daemon.request('GET', '/api/auth/whoami', {headers: auth(key)})
    expect(whoami.body.permissions).toEqual(['remember'])
  })

  it('a project-scoped key is held to its project', async () => {
    daemon = await startTestDaemon()
    const created = await daemon.request('POST', '/api/auth/api-keys', {body: {name: 'acme only', scope: {project: 'acme/api'}}})
    const key = created.body.apiKey.key
    await daemon.request('POST', '/api/memory/remember', {body: {content: 'other project secret', project: 'other/repo'}})
    const own = await daemon.request('POST', '/api/memory/remember', {headers: auth(key), body: {content: 'acme note'}})
    expect(own.body.memory.project).toBe('acme/api')
    const other = await daemon.request('GET', '/api/memories?project=other/repo', {headers: auth(key)})
    expect(other.status).toBe(403)
    expect(other.body.code).toBe('scope_violation')
    const listed = await daemon.request('GET', '/api/memories', {headers: auth(key)})
    expect(listed.body.memories.map((memory: {content: string}) => memory.content)).not.toContain('other project secret')
  })
})

describe('whoami', () => {
  it('names the reason a key is refused, and says who a valid one is', async () => {
    daemon = await startTestDaemon({agentYaml: 'auth:\n  mode: hybrid\n'})
    const expired = await daemon.context.storage.apiKeys.create({name: 'old', role: 'agent', expiresAt: new Date(Date.now() - 1).toISOString()})
    const reasons: Array<[string, string]> = [
      ['sig_sk_short', 'malformed api key'],
      ['Basic Zm9vOmJhcg==', ''],
      [`sig_sk_${'a'.repeat(12)}_${'b'.repeat(43)}`, 'invalid api key'],
      [expired.key, 'api key expired'],
    ]
    for (const [credential, error] of reasons) {
      const header = credential.startsWith('Basic') ? {authorization: credential} : auth(credential)
      const response = await daemon.request('GET', '/api/auth/whoami', {headers: header})
      expect(response.status, credential).toBe(401)
      expect(response.body.error, credential).toBe(error || 'malformed api key')
      expect(response.headers.get('www-authenticate')).toBe('Bearer')
    }
    const remoteNoKey = await daemon.request('GET', '/api/auth/whoami', {headers: REMOTE})
    expect(remoteNoKey.status).toBe(401)
    const created = await daemon.request('POST', '/api/auth/api-keys', {body: {name: 'reader', role: 'readonly', connector: 'codex'}})
    const ok = await daemon.request('GET', '/api/auth/whoami', {headers: {...auth(created.body.apiKey.key), ...REMOTE}})
    expect(ok.status).toBe(200)
    expect(ok.body).toEqual({
      authenticated: true,
      trustedLocal: false,
      kind: 'api-key',
      role: 'readonly',
      keyId: created.body.apiKey.id,
      name: 'reader',
      connector: 'codex',
      scope: {},
      allowedProjects: [],
      permissions: ['recall'],
      authMode: 'hybrid',
      remote: true,
    })
  })
})

describe('abuse: rate limit and audit', () => {
  it('failed auth is limited per peer with 429 + Retry-After (configurable), and audited without secrets', async () => {
    daemon = await startTestDaemon({agentYaml: 'auth:\n  mode: team\n  rateLimits:\n    authFailures: {windowMs: 60000, max: 3}\n'})
    const token = readFileSync(daemon.context.paths.adminTokenFile, 'utf8').trim()
    const guess = `sig_sk_${'c'.repeat(12)}_${'d'.repeat(43)}`
    for (let attempt = 0; attempt < 3; attempt++) {
      expect((await daemon.request('GET', '/api/memories', {headers: auth(guess)})).status).toBe(401)
    }
    const limited = await daemon.request('GET', '/api/memories', {headers: auth(guess)})
    expect(limited.status).toBe(429)
    expect(limited.body.code).toBe('rate_limited')
    const retryAfter = Number(limited.headers.get('retry-after'))
    expect(retryAfter).toBeGreaterThan(0)
    expect(retryAfter).toBeLessThanOrEqual(60)
    // Blocked before any check: even the right credential waits out the window from this peer.
    expect((await daemon.request('GET', '/api/memories', {headers: auth(token)})).status).toBe(429)
    // A forwarding header from an untrusted peer does not make it another client: same TCP peer, same limit.
    expect((await daemon.request('GET', '/api/memories', {headers: {...auth(guess), 'x-forwarded-for': '198.51.100.1'}})).status).toBe(429)
    // /health stays open.
    expect((await daemon.request('GET', '/health')).status).toBe(200)

    const store = (await storedRows(daemon, 'audit')) as Array<{event: string; peer: string; detail_json: string}>
    const failures = store.filter((row) => row.event === 'auth_failed')
    expect(failures).toHaveLength(3)
    expect(JSON.parse(failures[0].detail_json)).toMatchObject({reason: 'invalid_api_key', method: 'GET', path: '/api/memories', authMode: 'team'})
    expect(failures[0].peer).toMatch(/127\.0\.0\.1|::1/)
    expect(store.filter((row) => row.event === 'auth_rate_limited')).toHaveLength(1)
    expect(JSON.stringify(store)).not.toContain('d'.repeat(43))
    expect(readFileSync(daemon.context.paths.logFile, 'utf8')).toMatch(/WARN +too many failed authentication attempts.*peer=/)
  })

  it('no raw key or admin token ever lands in the database, WAL, log, audit or any workspace file', async () => {
    daemon = await startTestDaemon({agentYaml: 'auth:\n  mode: hybrid\n', env: {SIGNET_LOG_LEVEL: 'debug'}})
    const secrets: string[] = []
    const created = await daemon.request('POST', '/api/auth/api-keys', {body: {name: 'leak check', connector: 'pi', agentId: 'pi-x'}})
    secrets.push(created.body.apiKey.key)
    const rotated = await daemon.request('POST', `/api/auth/api-keys/${created.body.apiKey.id}/rotate`, {body: {}})
    secrets.push(rotated.body.apiKey.key)
    const pair = await daemon.request('POST', '/api/auth/pair', {body: {connector: 'pi', agentId: 'pi-y'}})
    const claimed = await daemon.request('POST', '/api/auth/pair/claim', {body: {code: pair.body.code, machineId: 'laptop'}})
    expect(claimed.status).toBe(201)
    secrets.push(claimed.body.apiKey.key)
    const key = claimed.body.apiKey.key as string
    await daemon.request('POST', '/api/memory/remember', {headers: {...auth(key), ...REMOTE}, body: {content: 'remote note'}})
    await daemon.request('GET', '/api/auth/whoami', {headers: {...auth(secrets[0]), ...REMOTE}})
    await daemon.request('DELETE', `/api/auth/api-keys/${claimed.body.apiKey.id}`)
    await daemon.request('GET', '/api/auth/whoami', {headers: {...auth(key), ...REMOTE}})
    const wrong = `sig_sk_${'e'.repeat(12)}_${'f'.repeat(43)}`
    await daemon.request('GET', '/api/auth/whoami', {headers: {...auth(wrong), ...REMOTE}})
    secrets.push(wrong)

    const workspace = daemon.workspace
    const adminToken = readFileSync(daemon.context.paths.adminTokenFile, 'utf8').trim()
    const scan = () => {
      const hits: string[] = []
      for (const file of walk(workspace)) {
        if (file === daemon!.context.paths.adminTokenFile) continue
        const bytes = readFileSync(file)
        for (const secret of [...secrets, adminToken]) {
          // The whole credential, or just its 43-character random part.
          if (bytes.includes(secret) || bytes.includes(secret.slice(-43))) hits.push(`${path.relative(workspace, file)} contains ${secret.slice(0, 14)}…`)
        }
        if (bytes.includes(pair.body.code) || bytes.includes(pair.body.code.replace('-', ''))) hits.push(`${file} contains the pairing code`)
      }
      return hits
    }
    expect(scan()).toEqual([]) // while running (WAL not checkpointed)
    // Every stored row too, read through the storage: on PostgreSQL the database is not in the workspace.
    const storedSecrets: string[] = []
    for (const {name} of await daemon.context.storage.tables.tables()) {
      const rows = JSON.stringify(await storedRows(daemon, name))
      for (const secret of [...secrets, adminToken, pair.body.code, pair.body.code.replace('-', '')])
        if (rows.includes(secret.slice(-43))) storedSecrets.push(`${name} holds ${secret.slice(0, 14)}…`)
    }
    expect(storedSecrets).toEqual([])
    const audit = (await daemon.request('GET', '/api/auth/audit?limit=1000')).body.events
    expect(audit.map((event: {event: string}) => event.event)).toEqual(
      expect.arrayContaining(['key_created', 'key_rotated', 'pair_code_created', 'pair_claimed', 'key_revoked', 'auth_failed']),
    )
    const workspacePath = daemon.workspace
    await daemon.close() // checkpoint and close, then look again
    expect(scan()).toEqual([])
    expect(readFileSync(path.join(workspacePath, '.daemon/logs/daemon.log'), 'utf8')).toMatch(/api key created/)
    daemon.temp.cleanup()
    daemon = undefined
  })

  it('the admin token file is 0600 in a 0700 directory and changes every start', async () => {
    daemon = await startTestDaemon({agentYaml: 'auth:\n  mode: team\n'})
    const file = daemon.context.paths.adminTokenFile
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect(statSync(path.dirname(file)).mode & 0o077).toBe(0)
    const first = readFileSync(file, 'utf8').trim()
    expect(first).toMatch(/^sig_at_[A-Za-z0-9_-]{43}$/)
    await daemon.close()
    const restarted = await startServer({workspace: daemon.workspace, port: 0})
    try {
      const second = readFileSync(file, 'utf8').trim()
      expect(second).not.toBe(first)
      const stale = await fetch(`${restarted.url}/api/auth/whoami`, {headers: auth(first)})
      expect(stale.status).toBe(401)
      const fresh = await fetch(`${restarted.url}/api/auth/whoami`, {headers: auth(second)})
      expect(fresh.status).toBe(200)
    } finally {
      await restarted.close()
      daemon.temp.cleanup()
      daemon = undefined
    }
  })
})

function walk(dir: string): string[] {
  const files: string[] = []
  for (const entry of readdirSync(dir, {withFileTypes: true})) {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) files.push(...walk(full))
    else if (entry.isFile()) files.push(full)
  }
  return files
}
