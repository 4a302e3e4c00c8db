import type {Context} from 'hono'
import type {z} from 'zod'

import {ApiError, badRequest} from './api-error.js'

/** Describe the first problem of a zod error as `field: message`, naming the field for the client. */
export function describeZodError(error: z.ZodError): {message: string; field?: string} {
  const issue = error.issues[0]
  if (!issue) return {message: 'invalid request'}
  // An unknown key is reported on its parent object; blame the key itself so the client knows what to drop.
  const path = issue.code === 'unrecognized_keys' && issue.keys.length > 0 ? [...issue.path, issue.keys[0]] : issue.path
  const field = path.map(String).join('.')
  return {message: field ? `${field}: ${issue.message}` : issue.message, field: field || undefined}
}

export function parseWith<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const parsed = schema.safeParse(value)
  if (!parsed.success) {
    const {message, field} = describeZodError(parsed.error)
    throw badRequest(message, field)
  }
  return parsed.data
}

/** Read the body as JSON (the size limit already ran) and validate it; bad JSON names the problem. */
export async function readJsonBody<T extends z.ZodType>(c: Context, schema: T): Promise<z.infer<T>> {
  const text = await c.req.text()
  let value: unknown
  if (text.trim() === '') {
    value = {}
  } else {
    try {
      value = JSON.parse(text)
    } catch (error) {
      throw new ApiError(400, 'invalid_json', `request body is not valid JSON: ${(error as Error).message}`)
    }
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ApiError(400, 'invalid_json', 'request body must be a JSON object')
  }
  return parseWith(schema, value)
}

export function readQuery<T extends z.ZodType>(c: Context, schema: T): z.infer<T> {
  return parseWith(schema, c.req.query())
}
