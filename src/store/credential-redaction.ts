/**
 * Signet credentials — `sig_sk_…` API keys and `sig_at_…` admin tokens — sometimes arrive where a
 * caller controls the text: a key pasted into a URL path, a query, a header value. Anything written
 * to the daemon log or the audit trail goes through this first, so no credential is ever stored
 * (see SECURITY.md). The underscores may be percent-encoded in a path.
 *
 * The logged text is attacker-controlled, so the pattern must stay linear: it starts only at a literal
 * `sig_sk_`/`sig_at_` and ends in one greedy run with nothing after it, so no attempt can fail after a
 * long run and backtrack (test/security/redaction-linearity.test.ts holds it to that).
 */
const CREDENTIAL_PATTERN = /sig(?:_|%5f)(sk|at)(?:_|%5f)[A-Za-z0-9_%-]+/gi

export function redactCredentials(text: string): string {
  return text.replace(CREDENTIAL_PATTERN, (_match, kind: string) => `sig_${kind.toLowerCase()}_[redacted]`)
}
