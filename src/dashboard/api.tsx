import type {CallArgs, JsonRouteKey, ResponseOf} from '../api/contract.js'

/*
 * The page's only door to the daemon. It never holds a credential: the browser sends the HttpOnly
 * device cookie by itself, and this module adds the CSRF token (read once from GET /api/session) to
 * every change. A 401 anywhere means the device was revoked or its session ended: the shell then
 * shows the login-needed screen.
 */

export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message)
  }
}

let csrfToken: string | undefined
const loggedOutListeners = new Set<() => void>()

export function onLoggedOut(listener: () => void): () => void {
  loggedOutListeners.add(listener)
  return () => loggedOutListeners.delete(listener)
}

export function setCsrfToken(token: string | undefined): void {
  csrfToken = token
}

/**
 * One route of the API contract (src/api/contract.ts), typed like the CLI's `DaemonClient.call`:
 * `call('GET /api/memory/:id', {params: {id}, query: {agentId}})`. Types only come from the
 * contract (`import type`), so none of its schemas reach the page's bundle.
 */
export function call<K extends JsonRouteKey>(route: K, ...[request]: CallArgs<K>): Promise<ResponseOf<K>> {
  const space = route.indexOf(' ')
  const {
    params,
    query: search,
    body,
  } = (request ?? {}) as {params?: Record<string, string>; query?: Record<string, string | number | undefined>; body?: unknown}
  const path = route.slice(space + 1).replace(/:(\w+)/g, (_, name: string) => encodeURIComponent(params?.[name] ?? ''))
  return api(route.slice(0, space), `${path}${query(search ?? {})}`, body)
}

async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {accept: 'application/json'}
  if (body !== undefined) headers['content-type'] = 'application/json'
  if (method !== 'GET' && method !== 'HEAD' && csrfToken) headers['x-csrf-token'] = csrfToken
  const response = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'same-origin',
    cache: 'no-store',
  })
  const text = await response.text()
  let parsed: any
  try {
    parsed = text ? JSON.parse(text) : undefined
  } catch {
    parsed = undefined
  }
  if (!response.ok) {
    if (response.status === 401) {
      csrfToken = undefined
      for (const listener of loggedOutListeners) listener()
    }
    throw new ApiFailure(response.status, parsed?.code ?? 'error', parsed?.error ?? `${method} ${path} failed with ${response.status}`)
  }
  return parsed as T
}

export function query(params: Record<string, string | number | undefined | null>): string {
  const search = new URLSearchParams()
  for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== null && value !== '') search.set(key, String(value))
  const text = search.toString()
  return text ? `?${text}` : ''
}

export function when(iso: string | null | undefined): string {
  if (!iso) return 'never'
  const date = new Date(iso)
  const seconds = Math.round((Date.now() - date.getTime()) / 1000)
  if (seconds < 60) return 'just now'
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`
  if (seconds < 86_400) return `${Math.round(seconds / 3600)} h ago`
  return date.toISOString().slice(0, 10)
}
