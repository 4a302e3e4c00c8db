import type {Context} from 'hono'
import type {ContentfulStatusCode} from 'hono/utils/http-status'

import {API_CONTRACT, type JsonRouteKey, type ResponseOf, type SuccessStatusOf} from '../api/contract.js'
import {ApiError} from './api-error.js'
import {describeZodError} from './request-validation.js'

/**
 * Answer `route`'s success with `body`, typed against the route's response in the API contract
 * (src/api), so an answer that drifts from what clients are typed against does not compile. Under
 * SIGNET_CHECK_ANSWERS=1 (the test suite sets it) the body, as it goes on the wire, is also checked
 * against the schema, and an answer outside it becomes a 500 naming the route and the field.
 */
export function respond<K extends JsonRouteKey>(c: Context, route: K, body: ResponseOf<K>, status?: SuccessStatusOf<K>): Response {
  if (process.env.SIGNET_CHECK_ANSWERS === '1') checkAnswer(route, body)
  return c.json(body as object, (status ?? 200) as ContentfulStatusCode)
}

function checkAnswer(route: JsonRouteKey, body: unknown): void {
  // What the client will parse: undefined fields dropped, dates as strings.
  const wire: unknown = JSON.parse(JSON.stringify(body))
  const parsed = API_CONTRACT[route].response.safeParse(wire)
  if (parsed.success) return
  const {message} = describeZodError(parsed.error)
  throw new ApiError(500, 'answer_outside_contract', `${route} answered outside its contract (src/api): ${message}`)
}
