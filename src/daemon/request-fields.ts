import type {Context} from 'hono'

import {harnessNameField} from '../api/fields.js'
import {badRequest} from './api-error.js'

/**
 * The `X-Signet-Harness` header (which harness sent the request; docs/api.md), stored as provenance on what the
 * request writes. Absent is fine; a malformed value is a 400 that names the header. Field rules for
 * bodies and queries are in the API contract (src/api/fields.ts).
 */
export function readHarnessHeader(c: Context): string | null {
  const value = c.req.header('x-signet-harness')
  if (value === undefined) return null
  const parsed = harnessNameField.safeParse(value)
  if (!parsed.success) throw badRequest(`X-Signet-Harness: ${parsed.error.issues[0]?.message ?? 'invalid'}`, 'X-Signet-Harness')
  return parsed.data
}
