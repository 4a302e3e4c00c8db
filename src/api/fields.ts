import {z} from 'zod'

import {PERMISSIONS, type Permission, type Role, ROLES} from '../store/roles.js'

/**
 * Field rules shared by every route of the API contract, so an agent id or a harness name means the
 * same thing in every request, and the MCP tools can check arguments before a round trip.
 */

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

/** The tags of one memory. */
export const tagList = z.array(tagField).max(32)

/** The human name of an API key. */
export const keyNameField = visibleName(z.string({error: 'is required'}).trim().min(1, 'is required').max(128))

export const agentIdField = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[\w.:@-]+$/, 'letters, digits and . _ : @ - only')

/** A harness or connector name: `claude-code`, `codex`, `my-harness.v2`. */
export const harnessNameField = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .regex(/^[a-z0-9][a-z0-9._-]*$/i, 'a harness name like claude-code (letters, digits and . _ - only)')

/** A session as the harness names it (Claude Code's session id, Codex's thread id …). */
export const sessionKeyField = z.string().trim().min(1).max(256)

/** Makes a retried write land once: the same key for the same write. */
export const idempotencyKeyField = z.string().min(1).max(256)

/** The machine a request comes from (a host name), recorded as provenance. */
export const machineIdField = z.string().min(1).max(256)

/** A memory's type: `fact`, `preference`, `decision`, `summary` … */
export const memoryTypeField = z
  .string()
  .min(1)
  .max(32)
  .regex(/^[a-z_]+$/, 'lowercase letters and _ only')

/** Any date `Date.parse` reads; answers always carry ISO 8601 in UTC. */
export const isoDateField = z.string().refine((value) => !Number.isNaN(Date.parse(value)), 'must be an ISO date')

/** A memory id. */
export const memoryIdField = z.string().uuid('must be a memory id (UUID)')

/** `?agentId=`: the agent whose data a read or a change of one item is about (default: the key's, or `default`). */
export const agentQuery = z.object({agentId: agentIdField.optional()})

/** A time in an answer: ISO 8601, UTC. */
export const timestamp = z.string().describe('ISO 8601 time')

/** A query-string flag: the literal text `true` or `false`. */
export const queryFlag = z.enum(['true', 'false'])

// The role and permission vocabulary is the store's (keys persist it); the contract only names it.
export const roleField = z.enum(ROLES as [Role, ...Role[]])
export const permissionField = z.enum(PERMISSIONS as [Permission, ...Permission[]])
export {PERMISSIONS, type Permission, type Role, ROLES}
