import type {Context} from 'hono'
import {z} from 'zod'

import {badRequest} from './api-error.js'

/** Field rules shared by every route, so an agent id or harness name means the same thing everywhere. */

export const agentIdField = z.string().min(1).max(128).regex(/^[\w.:@-]+$/, 'letters, digits and . _ : @ - only')

/** A harness or connector name: `claude-code`, `codex`, `my-harness.v2`. */
export const harnessNameField = z.string().trim().min(1).max(64).regex(/^[a-z0-9][a-z0-9._-]*$/i, 'a harness name like claude-code (letters, digits and . _ - only)')

/**
 * The `X-Signet-Harness` header (SPEC §5 request context), stored as provenance on what the
 * request writes. Absent is fine; a malformed value is a 400 that names the header.
 */
export function readHarnessHeader(c: Context): string | null {
  const value = c.req.header('x-signet-harness')
  if (value === undefined) return null
  const parsed = harnessNameField.safeParse(value)
  if (!parsed.success) throw badRequest(`X-Signet-Harness: ${parsed.error.issues[0]?.message ?? 'invalid'}`, 'X-Signet-Harness')
  return parsed.data
}
