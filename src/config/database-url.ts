/** A PostgreSQL connection URL (`postgres://` or `postgresql://`), for storage.url and SIGNET_DATABASE_URL. */
export const POSTGRES_URL = /^postgres(?:ql)?:\/\/\S+$/i

/**
 * A PostgreSQL connection URL with its password masked, for logs, errors and status output. The
 * URL itself (agent.yaml `storage.url` or SIGNET_DATABASE_URL) may carry a password; nothing
 * Signet prints or stores outside the setting itself ever does.
 *
 * Handles `postgres://user:secret@host/db`, `?password=secret` in the query string, and libpq
 * keyword strings (`host=x password=secret`). Anything it cannot parse is replaced whole rather
 * than risk printing a secret.
 */
export function redactDatabaseUrl(url: string): string {
  const trimmed = url.trim()
  if (/^postgres(?:ql)?:\/\//i.test(trimmed)) {
    let parsed: URL
    try {
      parsed = new URL(trimmed)
    } catch {
      return 'postgres://(unparsable URL hidden)'
    }
    if (parsed.password) parsed.password = '***'
    for (const key of [...parsed.searchParams.keys()]) {
      if (/pass|secret|token|sslkey/i.test(key)) parsed.searchParams.set(key, '***')
    }
    return parsed.toString()
  }
  if (/^\s*\w+\s*=/.test(trimmed)) return trimmed.replace(/\b(password|passfile|sslpassword)\s*=\s*('(?:[^'\\]|\\.)*'|\S+)/gi, '$1=***')
  return '(database URL hidden)'
}

/** Every spelling of the URL's password in `text` masked: for error messages that may quote the URL. */
export function redactDatabaseSecrets(text: string, url: string | undefined): string {
  if (!url) return text
  let out = text.split(url).join(redactDatabaseUrl(url))
  try {
    const password = new URL(url).password
    if (password.length >= 3) {
      out = out.split(password).join('***')
      const decoded = decodeURIComponent(password)
      if (decoded.length >= 3) out = out.split(decoded).join('***')
    }
  } catch {
    // Not a URL: only the whole-string replacement above applies.
  }
  return out
}
