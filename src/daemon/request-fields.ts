import type {Context} from 'hono'
import {z} from 'zod'

import {badRequest} from './api-error.js'

/** Field rules shared by every route, so an agent id or harness name means the same thing everywhere. */

/**
 * Characters a name must never hold: controls (Cc), format characters (Cf: zero-width characters,
 * bidi controls such as U+202E RIGHT-TO-LEFT OVERRIDE), unpaired surrogates, line and paragraph
 * separators and other invisible (default-ignorable) code points. In a list, a log or a prompt
 * they make a name read differently from what it is (`txt.exe` shown for `exe.txt`).
 */
const HIDDEN_OR_CONTROL = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}\p{Default_Ignorable_Code_Point}]/u

/** A name as people will read it: refuse hidden and control characters, saying which one and where. */
function visibleName(schema: z.ZodString): z.ZodString {
  return schema.superRefine((value, ctx) => {
    const found = HIDDEN_OR_CONTROL.exec(value)
    if (!found) return
    const codePoint = found[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')
    ctx.addIssue({code: 'custom', message: `must not contain control, invisible or bidirectional characters (U+${codePoint} at position ${found.index})`})
  })
}

/** A project identity: `github.com/acme/api`, `local:api:1a2b3c4d5e6f`. */
export const projectField = visibleName(z.string().trim().min(1).max(512))

/** One memory tag. */
export const tagField = visibleName(z.string().max(64))

/** The human name of an API key. */
export const keyNameField = visibleName(z.string({error: 'is required'}).trim().min(1, 'is required').max(128))

export const agentIdField = z.string().min(1).max(128).regex(/^[\w.:@-]+$/, 'letters, digits and . _ : @ - only')

/** A harness or connector name: `claude-code`, `codex`, `my-harness.v2`. */
export const harnessNameField = z.string().trim().min(1).max(64).regex(/^[a-z0-9][a-z0-9._-]*$/i, 'a harness name like claude-code (letters, digits and . _ - only)')

/**
 * The `X-Signet-Harness` header (which harness sent the request; docs/api.md), stored as provenance on what the
 * request writes. Absent is fine; a malformed value is a 400 that names the header.
 */
export function readHarnessHeader(c: Context): string | null {
  const value = c.req.header('x-signet-harness')
  if (value === undefined) return null
  const parsed = harnessNameField.safeParse(value)
  if (!parsed.success) throw badRequest(`X-Signet-Harness: ${parsed.error.issues[0]?.message ?? 'invalid'}`, 'X-Signet-Harness')
  return parsed.data
}
