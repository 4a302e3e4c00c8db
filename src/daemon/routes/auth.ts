import {Hono} from 'hono'

import {
  auditQuery,
  type ApiKeyView,
  claimBody,
  createKeyBody,
  type CreatedApiKeyView,
  keyRefParams as keyRef,
  pairBody,
  rotateKeyBody as rotateBody,
} from '../../api/auth.js'
import {apiKeyStatus, type ApiKeyRecord, type CreatedApiKey} from '../../store/api-keys.js'
import {MAX_PENDING_PAIR_CODES} from '../../store/pairing.js'
import {ApiError, badRequest, notFound} from '../api-error.js'
import {authState, type AuthState} from '../auth/auth-state.js'
import {ROLE_PERMISSIONS, requirePermission, type Principal} from '../auth/principal.js'
import {retryAfterSeconds} from '../auth/rate-limit.js'
import {assertCanMint, holdsFullAuthority, keyWithinScope} from '../auth/scope.js'
import type {AppEnv, DaemonContext} from '../context.js'
import {parseWith, readJsonBody, readQuery} from '../request-validation.js'
import {respond} from '../respond.js'

/** A key as the API shows it: the record plus its status; never the hash. */
export function presentApiKey(record: ApiKeyRecord): ApiKeyView {
  return {...record, status: apiKeyStatus(record)}
}

function presentCreated(created: CreatedApiKey): CreatedApiKeyView {
  const {key, ...record} = created
  return {...presentApiKey(record), key}
}

/** Who did it, for the audit trail: a key id or the kind of local authority. */
function actor(principal: Principal): string {
  return principal.keyId ?? principal.kind
}

export function authRoutes(daemon: DaemonContext) {
  const app = new Hono<AppEnv>()
  const state = authState(daemon)
  const keys = daemon.storage.apiKeys
  const audit = daemon.storage.audit

  app.get('/api/auth/whoami', (c) => {
    const principal = c.get('principal')
    return respond(c, 'GET /api/auth/whoami', {
      authenticated: principal.kind === 'api-key' || principal.kind === 'admin-token',
      trustedLocal: principal.kind === 'local',
      kind: principal.kind,
      role: principal.role,
      keyId: principal.keyId ?? null,
      name: principal.name ?? null,
      connector: principal.connector ?? null,
      scope: principal.scope,
      allowedProjects: principal.allowedProjects ?? [],
      permissions: principal.permissions,
      authMode: daemon.listen.effectiveAuthMode,
      remote: principal.remote,
    })
  })

  /** A key outside the caller's scope looks exactly like a missing one. */
  async function findWithinScope(principal: Principal, idOrPrefix: string): Promise<ApiKeyRecord> {
    const record = await keys.find(idOrPrefix)
    if (!record || !keyWithinScope(principal, record)) throw notFound('API key not found')
    return record
  }

  app.get('/api/auth/api-keys', async (c) => {
    const principal = c.get('principal')
    requirePermission(principal, 'keys')
    return respond(c, 'GET /api/auth/api-keys', {apiKeys: (await keys.list()).filter((record) => keyWithinScope(principal, record)).map(presentApiKey)})
  })

  app.post('/api/auth/api-keys', async (c) => {
    const principal = c.get('principal')
    requirePermission(principal, 'keys')
    const body = await readJsonBody(c, createKeyBody)
    if (body.agentId && body.scope.agent && body.agentId !== body.scope.agent) {
      throw badRequest(`agentId '${body.agentId}' and scope.agent '${body.scope.agent}' disagree; give one`, 'agentId')
    }
    const role = body.role as ApiKeyRecord['role']
    const beyondRole = body.permissions.filter((permission) => !ROLE_PERMISSIONS[role].includes(permission as never))
    if (beyondRole.length > 0) {
      throw badRequest(`permissions: '${beyondRole[0]}' is not part of role '${role}' (permissions can only narrow a role)`, 'permissions')
    }
    // Never broader than the caller: role, permissions, agent, user and projects within its own.
    assertCanMint(principal, {
      role,
      permissions: body.permissions as ApiKeyRecord['permissions'],
      scope: body.scope,
      agentId: body.agentId,
      allowedProjects: body.allowedProjects,
    })
    const created = await keys.create({
      name: body.name,
      role,
      scope: body.scope,
      permissions: body.permissions as ApiKeyRecord['permissions'],
      connector: body.connector ?? null,
      harness: body.harness ?? body.connector ?? null,
      agentId: body.agentId ?? body.scope.agent ?? null,
      allowedProjects: body.allowedProjects,
      expiresAt: body.expiresAt ?? null,
    })
    await audit.record({event: 'key_created', keyId: created.id, peer: principal.peer, detail: describeKey(created, principal)})
    daemon.logger.info('api key created', {id: created.id, role: created.role, by: actor(principal)})
    return respond(c, 'POST /api/auth/api-keys', {apiKey: presentCreated(created)}, 201)
  })

  app.delete('/api/auth/api-keys/:idOrPrefix', async (c) => {
    const principal = c.get('principal')
    requirePermission(principal, 'keys')
    const {idOrPrefix} = parseWith(keyRef, c.req.param())
    const before = await findWithinScope(principal, idOrPrefix)
    const revoked = (await keys.revoke(idOrPrefix))!
    if (!before.revokedAt) {
      await audit.record({event: 'key_revoked', keyId: revoked.id, peer: principal.peer, detail: describeKey(revoked, principal)})
      daemon.logger.info('api key revoked', {id: revoked.id, by: actor(principal)})
    }
    return respond(c, 'DELETE /api/auth/api-keys/:idOrPrefix', {apiKey: presentApiKey(revoked)})
  })

  app.post('/api/auth/api-keys/:idOrPrefix/rotate', async (c) => {
    const principal = c.get('principal')
    requirePermission(principal, 'keys')
    const {idOrPrefix} = parseWith(keyRef, c.req.param())
    const body = await readJsonBody(c, rotateBody)
    const current = await findWithinScope(principal, idOrPrefix)
    if (current.revokedAt) {
      throw new ApiError(409, 'key_revoked', `API key ${current.id} is revoked; create a new key instead (signet api-key create)`)
    }
    if (body.expiresAt === undefined && current.expiresAt && Date.parse(current.expiresAt) <= Date.now()) {
      throw new ApiError(
        409,
        'key_expired',
        `API key ${current.id} expired at ${current.expiresAt}; rotate with a new expiry (--expires-at) or create a new key`,
      )
    }
    const rotated = (await keys.rotate(idOrPrefix, {expiresAt: body.expiresAt}))!
    await audit.record({
      event: 'key_rotated',
      keyId: rotated.created.id,
      peer: principal.peer,
      detail: {...describeKey(rotated.created, principal), replaced: rotated.replaced.id},
    })
    daemon.logger.info('api key rotated', {id: rotated.created.id, replaced: rotated.replaced.id, by: actor(principal)})
    return respond(c, 'POST /api/auth/api-keys/:idOrPrefix/rotate', {apiKey: presentCreated(rotated.created), replaced: presentApiKey(rotated.replaced)}, 201)
  })

  app.get('/api/auth/audit', async (c) => {
    const principal = c.get('principal')
    requirePermission(principal, 'keys')
    const query = readQuery(c, auditQuery)
    const events = await audit.list(query)
    if (!holdsFullAuthority(principal)) {
      // A scoped key sees the trail of the keys inside its scope only (not other keys', not peers' failures).
      const visible = new Set((await keys.list()).filter((record) => keyWithinScope(principal, record)).map((record) => record.id))
      return respond(c, 'GET /api/auth/audit', {
        events: events.filter((event) => event.keyId !== null && event.keyId !== undefined && visible.has(event.keyId)),
      })
    }
    return respond(c, 'GET /api/auth/audit', {events})
  })

  app.post('/api/auth/pair', async (c) => {
    const principal = c.get('principal')
    requirePermission(principal, 'keys')
    const body = await readJsonBody(c, pairBody)
    // A pairing code mints a key when claimed: the same limits as creating one directly.
    assertCanMint(principal, {role: body.role as ApiKeyRecord['role'], permissions: [], scope: {agent: body.agentId, project: body.project}})
    if ((await daemon.storage.pairing.pendingCount()) >= MAX_PENDING_PAIR_CODES) {
      throw new ApiError(409, 'too_many_pair_codes', `${MAX_PENDING_PAIR_CODES} pairing codes are already waiting to be claimed; let them expire first`)
    }
    const issued = await daemon.storage.pairing.issue(
      {connector: body.connector ?? null, agentId: body.agentId ?? null, role: body.role as ApiKeyRecord['role'], project: body.project ?? null},
      body.ttlSeconds * 1000,
    )
    await audit.record({
      event: 'pair_code_created',
      peer: principal.peer,
      detail: {
        connector: issued.connector,
        agentId: issued.agentId,
        role: issued.role,
        project: issued.project,
        expiresAt: issued.expiresAt,
        by: actor(principal),
      },
    })
    return respond(c, 'POST /api/auth/pair', {...issued, ttlSeconds: body.ttlSeconds, url: daemon.url}, 201)
  })

  app.post('/api/auth/pair/claim', async (c) => {
    const principal = c.get('principal')
    const client = principal.peer ?? 'unknown'
    await refuseClaimIfThrottled(daemon, state, client)
    await state.pairClaims.hit(client)
    const body = await readJsonBody(c, claimBody)
    // Checked, minted and marked used in one step of the storage: two claims of one code give one key.
    const outcome = await daemon.storage.pairing.claim(body.code, (grant) => ({
      name: body.name ?? `${grant.connector ?? 'remote'} (paired${body.machineId ? ` from ${body.machineId}` : ''})`,
      role: grant.role,
      scope: {agent: grant.agentId ?? undefined, project: grant.project ?? undefined},
      connector: grant.connector,
      harness: grant.connector,
      agentId: grant.agentId,
    }))
    if (outcome.status !== 'ok') {
      await state.pairClaimFailures.hit('global')
      await audit.record({event: 'pair_claim_failed', peer: client, detail: {reason: outcome.status, machineId: body.machineId ?? null}})
      throw claimFailure(outcome.status)
    }
    await audit.record({
      event: 'pair_claimed',
      keyId: outcome.created.id,
      peer: client,
      detail: {...describeKey(outcome.created, principal), machineId: body.machineId ?? null},
    })
    daemon.logger.info('pairing code claimed', {id: outcome.created.id, connector: outcome.created.connector})
    return respond(c, 'POST /api/auth/pair/claim', {apiKey: presentCreated(outcome.created)}, 201)
  })

  return app
}

async function refuseClaimIfThrottled(daemon: DaemonContext, state: AuthState, client: string): Promise<void> {
  const waitMs = Math.max(await state.pairClaims.blockedFor(client), await state.pairClaimFailures.blockedFor('global'))
  if (waitMs === 0) return
  const seconds = retryAfterSeconds(waitMs)
  if ((await state.pairClaims.firstRefusal(client)) || (await state.pairClaimFailures.firstRefusal('global'))) {
    await daemon.storage.audit.record({event: 'pair_claim_rate_limited', peer: client, detail: {retryAfter: seconds}})
  }
  throw new ApiError(429, 'rate_limited', `too many pairing attempts; retry in ${seconds}s`, {retryAfter: seconds}, {'Retry-After': String(seconds)})
}

function claimFailure(status: 'malformed' | 'unknown' | 'expired' | 'used'): ApiError {
  switch (status) {
    case 'malformed':
      return new ApiError(400, 'invalid_request', 'code: must look like 7KQ-94M (letters and digits from `signet pair`)', {field: 'code'})
    case 'unknown':
      return new ApiError(401, 'pair_code_invalid', 'invalid pairing code — run `signet pair` on the daemon host for a new one')
    case 'expired':
      return new ApiError(401, 'pair_code_expired', 'pairing code expired — run `signet pair` on the daemon host for a new one')
    case 'used':
      return new ApiError(409, 'pair_code_used', 'pairing code already used — each code works once; run `signet pair` for a new one')
  }
}

/** What the audit trail keeps about a key: identity and authority, never the secret. */
function describeKey(record: ApiKeyRecord, principal: Principal) {
  return {
    name: record.name,
    prefix: record.prefix,
    role: record.role,
    scope: record.scope,
    permissions: record.permissions,
    connector: record.connector,
    expiresAt: record.expiresAt,
    by: actor(principal),
  }
}
