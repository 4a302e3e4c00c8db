import type {IncomingMessage} from 'node:http'

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

/**
 * The request body as text. A body sent with Content-Length (the size limit already checked the
 * header, and Node's parser never delivers more than it says) is read straight from Node's request:
 * `c.req.text()` makes @hono/node-server build a web Request over a web stream for it, which was a
 * fifth of the daemon's CPU per remember. Chunked bodies, bodies something already started reading,
 * and requests not from the Node server (app.request() in tests) go through hono.
 */
function readBodyText(c: Context): Promise<string> {
  const incoming = (c.env as {incoming?: IncomingMessage} | undefined)?.incoming
  if (!incoming || incoming.readableDidRead || incoming.headers['transfer-encoding'] !== undefined || Object.keys(c.req.bodyCache).length > 0) {
    return c.req.text()
  }
  const text = new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = []
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk))
    incoming.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    incoming.once('error', reject)
    incoming.once('aborted', () => reject(new ApiError(400, 'invalid_json', 'request body was cut off')))
  })
  // Anything that asks hono for the body later gets this text, not a second read of a drained stream.
  const bodyCache = c.req.bodyCache as Record<string, Promise<unknown>>
  bodyCache.text = text
  return text
}

/** Read the body as JSON (the size limit already ran) and validate it; bad JSON names the problem. */
export async function readJsonBody<T extends z.ZodType>(c: Context, schema: T): Promise<z.infer<T>> {
  const text = await readBodyText(c)
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
