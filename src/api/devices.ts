import {z} from 'zod'

import {agentIdField, permissionField, roleField, timestamp} from './fields.js'
import {defineRoutes} from './route.js'

const deviceName = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(80)
  .regex(/^[^\p{Cc}]*$/u, 'must not contain control characters')

export const loginLinkBody = z
  .object({
    name: deviceName.default('browser'),
    agentId: agentIdField.optional(),
    project: z.string().trim().min(1).max(512).optional(),
    ttlSeconds: z.number().int().min(30).max(86_400).default(600),
  })
  .strict()

export const deviceIdParams = z.object({id: z.string().regex(/^dev_[A-Za-z0-9_-]{16}$/, 'must be a device id (dev_…)')})

/** A dashboard device (a browser or phone logged in through a login link). */
export const deviceView = z.strictObject({
  id: z.string(),
  name: z.string(),
  agentId: z.string().nullable(),
  project: z.string().nullable(),
  userAgent: z.string().nullable(),
  createdAt: timestamp,
  lastUsedAt: timestamp.nullable(),
  expiresAt: timestamp,
  revokedAt: timestamp.nullable(),
  status: z.enum(['active', 'revoked', 'expired']),
  current: z.boolean().describe('the device making this request'),
})

export const sessionInfoResponse = z.strictObject({
  device: deviceView.nullable().describe('null when the caller is not a dashboard device'),
  role: roleField,
  permissions: z.array(permissionField).readonly(),
  csrfToken: z.string().nullable().describe('echo it as X-CSRF-Token on every change'),
})

export const loginLinkResponse = z.strictObject({
  token: z.string(),
  path: z.string(),
  url: z.string(),
  name: z.string(),
  agentId: z.string().nullable(),
  project: z.string().nullable(),
  expiresAt: timestamp,
  ttlSeconds: z.number().int(),
})

export type DeviceView = z.infer<typeof deviceView>
export type LoginLinkResponse = z.infer<typeof loginLinkResponse>

export const deviceRoutes = defineRoutes({
  'GET /api/session': {summary: "The page's view of its own session, and the CSRF token it must echo on every change.", response: sessionInfoResponse},
  'POST /api/session/logout': {summary: "End the calling device's own session.", response: z.strictObject({loggedOut: z.literal(true)})},
  'GET /api/devices': {summary: 'Every dashboard device, with its status and last use.', response: z.strictObject({devices: z.array(deviceView)})},
  'DELETE /api/devices/:id': {summary: 'Revoke a device; its next request is refused.', params: deviceIdParams, response: z.strictObject({device: deviceView})},
  'POST /api/devices/login-links': {
    summary:
      "A one-time login link (`signet dashboard`, `signet pair --device`). Only the owner's own tools mint them, never a device session: a device that is revoked must not have left itself a way back.",
    body: loginLinkBody,
    response: loginLinkResponse,
    status: [201],
  },
})
