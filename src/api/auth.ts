import {z} from 'zod'

import {agentIdField, harnessNameField, keyNameField, machineIdField, PERMISSIONS, permissionField, projectField, roleField, timestamp} from './fields.js'
import {defineRoutes} from './route.js'

/** A key id (`key_` and 16 characters) … */
export const API_KEY_ID_PATTERN = /^key_[A-Za-z0-9_-]{16}$/
/** … or the 12-hex prefix every raw key carries (`sig_sk_<prefix>_…`). */
export const API_KEY_PREFIX_PATTERN = /^[0-9a-f]{12}$/

const connectorField = harnessNameField

const futureDate = z
  .string()
  .refine((value) => !Number.isNaN(Date.parse(value)), 'must be an ISO date')
  .refine((value) => Date.parse(value) > Date.now(), 'must be in the future')
  .transform((value) => new Date(value).toISOString())

const keyScope = z.object({agent: agentIdField.optional(), project: projectField.optional(), user: z.string().min(1).max(128).optional()}).strict()

export const createKeyBody = z
  .object({
    name: keyNameField,
    role: roleField.default('agent'),
    scope: keyScope.default({}),
    permissions: z.array(permissionField).max(PERMISSIONS.length).default([]).describe("a subset of the role's permissions (default: all of them)"),
    connector: connectorField.nullable().optional(),
    harness: connectorField.nullable().optional(),
    agentId: agentIdField.nullable().optional().describe('the same as scope.agent'),
    allowedProjects: z.array(projectField).max(64).default([]),
    expiresAt: futureDate.nullable().optional(),
  })
  .strict()

export const rotateKeyBody = z.object({expiresAt: futureDate.nullable().optional().describe("default: the old key's")}).strict()

export const keyRefParams = z.object({
  idOrPrefix: z
    .string()
    .refine((value) => API_KEY_ID_PATTERN.test(value) || API_KEY_PREFIX_PATTERN.test(value), 'must be a key id (key_…) or its 12-hex prefix'),
})

export const pairBody = z
  .object({
    connector: connectorField.optional(),
    agentId: agentIdField.optional(),
    role: z.enum(['operator', 'agent', 'readonly']).default('agent'),
    project: projectField.optional(),
    ttlSeconds: z.number().int().min(30).max(86_400).default(600),
  })
  .strict()

export const claimBody = z.object({
  code: z.string({error: 'is required'}).min(1, 'is required').max(32),
  name: keyNameField.optional(),
  machineId: machineIdField.optional(),
})

export const auditQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  event: z.string().max(64).optional(),
  keyId: z.string().max(64).optional(),
})

/** An API key as the API shows it: never the hash, and the raw key only in `createdApiKey`. */
export const apiKeyView = z.strictObject({
  id: z.string(),
  prefix: z.string(),
  name: z.string(),
  role: roleField,
  scope: z.strictObject({agent: z.string().optional(), project: z.string().optional(), user: z.string().optional()}),
  permissions: z.array(permissionField).describe('empty: every permission of the role'),
  connector: z.string().nullable(),
  harness: z.string().nullable(),
  agentId: z.string().nullable(),
  allowedProjects: z.array(z.string()),
  createdAt: timestamp,
  lastUsedAt: timestamp.nullable(),
  revokedAt: timestamp.nullable(),
  expiresAt: timestamp.nullable(),
  status: z.enum(['active', 'expired', 'revoked']),
})

/** The only answer that carries a raw key (`sig_sk_…`): shown once, never again. */
export const createdApiKey = apiKeyView.extend({key: z.string()})

export const principalKind = z.enum(['local', 'admin-token', 'api-key', 'device', 'anonymous'])

const auditEvent = z.enum([
  'auth_failed',
  'auth_rate_limited',
  'key_created',
  'key_revoked',
  'key_rotated',
  'pair_code_created',
  'pair_claimed',
  'pair_claim_failed',
  'pair_claim_rate_limited',
  'agent_message_sent',
  'agent_message_refused',
  'device_link_created',
  'device_login',
  'device_login_failed',
  'device_revoked',
])

export const whoamiResponse = z.strictObject({
  authenticated: z.boolean().describe('a credential (key or admin token) was presented and accepted'),
  trustedLocal: z.boolean().describe('the owner, through the daemon socket'),
  kind: principalKind,
  role: roleField,
  keyId: z.string().nullable(),
  name: z.string().nullable(),
  connector: z.string().nullable(),
  scope: z.strictObject({agent: z.string().optional(), project: z.string().optional(), user: z.string().optional()}),
  allowedProjects: z.array(z.string()).readonly(),
  permissions: z.array(permissionField).readonly(),
  authMode: z.enum(['local', 'hybrid', 'team']),
  remote: z.boolean(),
})

export const apiKeyListResponse = z.strictObject({apiKeys: z.array(apiKeyView)})
export const createdKeyResponse = z.strictObject({apiKey: createdApiKey})
export const apiKeyResponse = z.strictObject({apiKey: apiKeyView})
export const rotatedKeyResponse = z.strictObject({apiKey: createdApiKey, replaced: apiKeyView})
export const auditResponse = z.strictObject({
  events: z.array(
    z.strictObject({
      seq: z.number().int(),
      at: timestamp,
      event: auditEvent,
      keyId: z.string().nullable(),
      peer: z.string().nullable(),
      detail: z.record(z.string(), z.unknown()),
    }),
  ),
})
export const pairResponse = z.strictObject({
  code: z.string().describe('shown once, as 7KQ-94M'),
  connector: z.string().nullable(),
  agentId: z.string().nullable(),
  role: roleField,
  project: z.string().nullable(),
  createdAt: timestamp,
  expiresAt: timestamp,
  ttlSeconds: z.number().int(),
  url: z.string().describe("the daemon's own URL (the address it was started with)"),
})

export type ApiKeyView = z.infer<typeof apiKeyView>
export type CreatedApiKeyView = z.infer<typeof createdApiKey>
export type WhoamiResponse = z.infer<typeof whoamiResponse>

export const authRoutes = defineRoutes({
  'GET /api/auth/whoami': {summary: 'Who the daemon takes the caller for: kind, role, permissions and scope.', response: whoamiResponse},
  'GET /api/auth/api-keys': {summary: "The keys within the caller's own scope.", response: apiKeyListResponse},
  'POST /api/auth/api-keys': {
    summary: "Create a key, never broader than the caller's own role and scope. The answer carries the raw key, once.",
    body: createKeyBody,
    response: createdKeyResponse,
    status: [201],
  },
  'DELETE /api/auth/api-keys/:idOrPrefix': {summary: 'Revoke a key; it stops working on its next request.', params: keyRefParams, response: apiKeyResponse},
  'POST /api/auth/api-keys/:idOrPrefix/rotate': {
    summary: 'Replace a key with a new one of the same name, role and scope; the old one is revoked.',
    params: keyRefParams,
    body: rotateKeyBody,
    response: rotatedKeyResponse,
    status: [201],
  },
  'GET /api/auth/audit': {summary: 'The audit trail, newest first (a scoped key sees its own keys only).', query: auditQuery, response: auditResponse},
  'POST /api/auth/pair': {
    summary: 'Issue a one-time pairing code that a remote harness claims for a key (`signet pair`).',
    body: pairBody,
    response: pairResponse,
    status: [201],
  },
  'POST /api/auth/pair/claim': {
    summary: 'Claim a pairing code for a key (open: the code is the credential; rate limited).',
    body: claimBody,
    response: createdKeyResponse,
    status: [201],
  },
})
