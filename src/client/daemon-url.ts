import {SignetError} from '../errors.js'

export const DEFAULT_DAEMON_PORT = 3850

/**
 * Validate a client-side daemon URL (SIGNET_DAEMON_URL or --url): a bare http(s) origin.
 * Paths, queries, fragments and credentials are refused rather than silently dropped.
 */
export function parseDaemonUrl(raw: string, label = 'SIGNET_DAEMON_URL'): string {
  const value = raw.trim()
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new SignetError(`${label}="${value}" is not a URL — expected an origin like http://127.0.0.1:3850`, 'invalid_daemon_url')
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new SignetError(`${label} must use http or https, not ${url.protocol.replace(':', '')}`, 'invalid_daemon_url')
  }
  if (url.username || url.password) {
    throw new SignetError(`${label} must not contain credentials — put the key in SIGNET_API_KEY instead`, 'invalid_daemon_url')
  }
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash || /[?#]/.test(value)) {
    throw new SignetError(`${label} must be a bare origin like https://host:3850 (no path, query or fragment), got "${value}"`, 'invalid_daemon_url')
  }
  return url.origin
}
