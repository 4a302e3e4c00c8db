import type {ContentfulStatusCode} from 'hono/utils/http-status'

/** A failure the daemon answers with `{error, code}`; anything else becomes a 500 without details. */
export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message)
    this.name = 'ApiError'
  }
}

export const badRequest = (message: string, field?: string) => new ApiError(400, 'invalid_request', message, field ? {field} : {})
export const notFound = (message = 'not found') => new ApiError(404, 'not_found', message)
export const forbidden = (message: string, code = 'forbidden') => new ApiError(403, code, message)
export const unauthorized = (message: string, code = 'unauthorized') => new ApiError(401, code, message, {}, {'WWW-Authenticate': 'Bearer'})
