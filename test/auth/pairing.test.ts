import {readFileSync} from 'node:fs'

import {afterEach, describe, expect, it} from 'vitest'

import {startTestDaemon, type TestDaemon} from '../helpers/daemon.js'

let daemon: TestDaemon | undefined

afterEach(async () => {
  await daemon?.stop()
  daemon = undefined
})

const REMOTE = {'x-forwarded-for': '203.0.113.77'}

describe('pairing', () => {
  it('an admin mints a code; a remote claim (no key) gets a scoped key once; reuse is refused', async () => {
    daemon = await startTestDaemon({agentYaml: 'auth:\n  mode: team\n'})
    const token = readFileSync(daemon.context.paths.adminTokenFile, 'utf8').trim()
    const noKey = await daemon.request('POST', '/api/auth/pair', {body: {}, via: 'tcp'})
    expect(noKey.status).toBe(401)
    const issued = await daemon.request('POST', '/api/auth/pair', {
      headers: {authorization: `Bearer ${token}`},
      body: {connector: 'pi', agentId: 'pi-laptop', ttlSeconds: 600},
    })
    expect(issued.status).toBe(201)
    expect(issued.body.code).toMatch(/^[2-9A-Z]{3}-[2-9A-Z]{3}$/)
    expect(Date.parse(issued.body.expiresAt) - Date.now()).toBeGreaterThan(590_000)
    expect(issued.body).toMatchObject({connector: 'pi', agentId: 'pi-laptop', role: 'agent', ttlSeconds: 600})

    const claim = await daemon.request('POST', '/api/auth/pair/claim', {headers: REMOTE, body: {code: issued.body.code.toLowerCase(), machineId: 'laptop-1'}})
    expect(claim.status).toBe(201)
    const key = claim.body.apiKey
    expect(key.key).toMatch(/^sig_sk_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/)
    expect(key).toMatchObject({role: 'agent', connector: 'pi', agentId: 'pi-laptop', scope: {agent: 'pi-laptop'}, name: 'pi (paired from laptop-1)'})

    const whoami = await daemon.request('GET', '/api/auth/whoami', {headers: {...REMOTE, authorization: `Bearer ${key.key}`}})
    expect(whoami.status).toBe(200)
    expect(whoami.body.scope).toEqual({agent: 'pi-laptop'})
    const foreign = await daemon.request('POST', '/api/memory/remember', {
      headers: {...REMOTE, authorization: `Bearer ${key.key}`},
      body: {content: 'x', agentId: 'someone-else'},
    })
    expect(foreign.status).toBe(403)

    const reuse = await daemon.request('POST', '/api/auth/pair/claim', {headers: REMOTE, body: {code: issued.body.code}})
    expect(reuse.status).toBe(409)
    expect(reuse.body.code).toBe('pair_code_used')
    const keys = await daemon.request('GET', '/api/auth/api-keys', {headers: {authorization: `Bearer ${token}`}})
    expect(keys.body.apiKeys).toHaveLength(1)
  })

  it('concurrent claims of one code mint exactly one key', async () => {
    daemon = await startTestDaemon()
    const issued = await daemon.request('POST', '/api/auth/pair', {body: {connector: 'codex'}})
    const claims = await Promise.all(Array.from({length: 8}, () => daemon!.request('POST', '/api/auth/pair/claim', {body: {code: issued.body.code}})))
    expect(claims.filter((claim) => claim.status === 201)).toHaveLength(1)
    expect(claims.filter((claim) => claim.status === 409)).toHaveLength(7)
    expect((await daemon.request('GET', '/api/auth/api-keys')).body.apiKeys).toHaveLength(1)
  })

  it('an expired code is refused and mints nothing', async () => {
    daemon = await startTestDaemon()
    // The API takes no past expiry: issue a 30-second code through the daemon's storage a minute ago rather than wait.
    const issued = await daemon.context.storage.pairing.issue(
      {connector: null, agentId: null, role: 'agent', project: null},
      30_000,
      new Date(Date.now() - 60_000),
    )
    const claim = await daemon.request('POST', '/api/auth/pair/claim', {body: {code: issued.code}})
    expect(claim.status).toBe(401)
    expect(claim.body.code).toBe('pair_code_expired')
    expect((await daemon.request('GET', '/api/auth/api-keys')).body.apiKeys).toEqual([])
  })

  it('bad input: missing, malformed or over-long codes name the field; ttl and role are checked', async () => {
    daemon = await startTestDaemon()
    for (const body of [{}, {code: 'nope'}, {code: 'X'.repeat(40)}, {code: 12345}]) {
      const response = await daemon.request('POST', '/api/auth/pair/claim', {body})
      expect(response.status, JSON.stringify(body)).toBe(400)
      expect(response.body.field).toBe('code')
    }
    for (const [body, field] of [
      [{ttlSeconds: 5}, 'ttlSeconds'],
      [{role: 'admin'}, 'role'],
      [{agentId: 'a b'}, 'agentId'],
    ] as const) {
      const response = await daemon.request('POST', '/api/auth/pair', {body})
      expect(response.status).toBe(400)
      expect(response.body.field).toBe(field)
    }
  })

  it('brute force: claim attempts are limited per peer (429 + Retry-After) and a valid code then waits too', async () => {
    daemon = await startTestDaemon({agentYaml: 'auth:\n  mode: hybrid\n  rateLimits:\n    pairClaim: {windowMs: 60000, max: 5}\n'})
    const issued = await daemon.request('POST', '/api/auth/pair', {body: {connector: 'pi'}})
    const statuses: number[] = []
    for (const guess of ['222-222', '333-333', '444-444', '555-555', '666-666', '777-777', '888-888']) {
      const response = await daemon.request('POST', '/api/auth/pair/claim', {headers: REMOTE, body: {code: guess}})
      statuses.push(response.status)
      if (response.status === 429) {
        expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0)
        expect(response.body.code).toBe('rate_limited')
      }
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429])
    const real = await daemon.request('POST', '/api/auth/pair/claim', {headers: REMOTE, body: {code: issued.body.code}})
    expect(real.status).toBe(429)
    const events = (await daemon.request('GET', '/api/auth/audit?limit=100')).body.events.map((event: {event: string}) => event.event)
    expect(events.filter((event: string) => event === 'pair_claim_failed')).toHaveLength(5)
    expect(events.filter((event: string) => event === 'pair_claim_rate_limited')).toHaveLength(1)
  })

  it('at most 20 codes wait at once', async () => {
    daemon = await startTestDaemon()
    for (let index = 0; index < 20; index++) expect((await daemon.request('POST', '/api/auth/pair', {body: {}})).status).toBe(201)
    const over = await daemon.request('POST', '/api/auth/pair', {body: {}})
    expect(over.status).toBe(409)
    expect(over.body.code).toBe('too_many_pair_codes')
  })
})
