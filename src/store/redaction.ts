/**
 * Secret hygiene before anything is stored (SPEC §7.3): transcripts, summaries and memories pass
 * through `redactSecrets`, which replaces credentials with `[REDACTED:<kind>]`. Patterns favour
 * formats with a recognisable shape (provider prefixes, PEM blocks, URL userinfo); the generic
 * `password=…` rule only fires on an explicit secret-looking assignment.
 */

export interface RedactionResult {
  text: string
  /** How many secrets were replaced, by kind (never the secrets themselves). */
  redacted: Record<string, number>
}

interface SecretPattern {
  kind: string
  pattern: RegExp
  /** Replace the whole match, or only the named group `secret` inside it. */
  replace?: (match: string, groups: Record<string, string | undefined>) => string
}

const marker = (kind: string) => `[REDACTED:${kind}]`

/** Order matters: specific prefixes (sk-ant-) before general ones (sk-). */
const SECRET_PATTERNS: SecretPattern[] = [
  {kind: 'private-key', pattern: /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----|$)/g},
  {kind: 'signet-key', pattern: /\bsig_sk_[A-Za-z0-9]{6,}_[A-Za-z0-9_-]{20,}/g},
  {kind: 'anthropic-key', pattern: /\bsk-ant-[A-Za-z0-9_-]{20,}/g},
  {kind: 'openai-key', pattern: /\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}/g},
  {kind: 'stripe-key', pattern: /\b(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{16,}/g},
  {kind: 'github-token', pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})/g},
  {kind: 'gitlab-token', pattern: /\bglpat-[A-Za-z0-9_-]{20,}/g},
  {
    // A secret access key pasted with its key id (CSV exports, `aws configure` output), before the id is
    // redacted: 40 base64 characters in mixed case with a digit (a hex digest has no capitals).
    kind: 'aws-secret-key',
    pattern: /(?<id>\b(?:AKIA|ASIA)[0-9A-Z]{16}\b)(?<gap>[\s\S]{0,200}?)(?<![A-Za-z0-9/+=])(?=[A-Za-z0-9/+]{0,39}[A-Z])(?=[A-Za-z0-9/+]{0,39}[a-z])(?=[A-Za-z0-9/+]{0,39}[0-9])(?<secret>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])/g,
    replace: (_match, groups) => `${groups.id}${groups.gap}${marker('aws-secret-key')}`,
  },
  {kind: 'aws-access-key', pattern: /\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA)[0-9A-Z]{16}\b/g},
  {
    kind: 'aws-secret-key',
    pattern: /(?<name>aws_?secret_?(?:access_?)?key(?:_id)?["']?\s*[:=]\s*["']?)(?<secret>[A-Za-z0-9/+=]{40})/gi,
    replace: (_match, groups) => `${groups.name}${marker('aws-secret-key')}`,
  },
  {
    // Bare: 40 base64 characters with upper and lower case, a digit and a / or + — the shape of an AWS
    // secret key (and of little else in prose or code; hex digests have no / or +).
    kind: 'aws-secret-key',
    pattern: /(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/g,
    // The character-class checks run on the few 40-character runs only (as lookaheads they tripled the cost per MB).
    replace: (match) => (/[A-Z]/.test(match) && /[a-z]/.test(match) && /[0-9]/.test(match) && /[/+]/.test(match) ? marker('aws-secret-key') : match),
  },
  {kind: 'slack-token', pattern: /\bxox[abposr]-[A-Za-z0-9-]{10,}/g},
  {kind: 'slack-webhook', pattern: /https:\/\/hooks\.slack\.com\/services\/[A-Za-z0-9/_-]+/g},
  {kind: 'google-api-key', pattern: /\bAIza[0-9A-Za-z_-]{35}/g},
  {kind: 'npm-token', pattern: /\bnpm_[A-Za-z0-9]{36}\b/g},
  {kind: 'huggingface-token', pattern: /\bhf_[A-Za-z0-9]{30,}\b/g},
  {kind: 'jwt', pattern: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g},
  {
    kind: 'bearer-token',
    pattern: /(?<name>\b(?:Bearer|Token)\s+)(?<secret>[A-Za-z0-9._~+/=-]{16,})/g,
    replace: (match, groups) => (groups.secret?.startsWith('[REDACTED') ? match : `${groups.name}${marker('bearer-token')}`),
  },
  {
    kind: 'url-password',
    pattern: /(?<scheme>\b[a-z][a-z0-9+.-]*:\/\/)(?<user>[^\s:/@]*):(?<secret>[^\s@/]+)@/gi,
    replace: (_match, groups) => `${groups.scheme}${groups.user}:${marker('password')}@`,
  },
  {
    kind: 'password',
    pattern: /(?<name>\b(?:password|passwd|pwd|secret|client_secret|api[_-]?key|access[_-]?token|auth[_-]?token|refresh[_-]?token)["']?\s*[:=]\s*["']?)(?<secret>[^\s"',;]{8,})/gi,
    replace: (match, groups) => (groups.secret?.startsWith('[REDACTED') ? match : `${groups.name}${marker('secret')}`),
  },
]

/**
 * Every pattern above needs one of these substrings (case-insensitively a superset), so text without
 * any is returned untouched after one scan instead of one per pattern: most memories and
 * transcript lines hold no secret. Adding a pattern means adding its marker here (the redaction
 * tests redact one sample of every kind, so a missing marker fails them).
 */
const MAY_HOLD_SECRET =
  /-----BEGIN |sig_sk_|sk-|_live_|_test_|gh[pousr]_|github_pat_|glpat-|AKIA|ASIA|AGPA|AIDA|AROA|ANPA|aws_?secret|xox[abposr]-|hooks\.slack\.com|AIza|npm_|hf_|eyJ|Bearer|Token|:\/\/|passw|pwd|secret|api[_-]?key|access[_-]?token|auth[_-]?token|refresh[_-]?token|[A-Za-z0-9/+]{40}/i

export function redactSecrets(text: string): RedactionResult {
  const redacted: Record<string, number> = {}
  // Short texts only: a long transcript nearly always holds some marker, and the scan would be waste.
  if (text.length < 4096 && !MAY_HOLD_SECRET.test(text)) return {text, redacted}
  let result = text
  for (const {kind, pattern, replace} of SECRET_PATTERNS) {
    pattern.lastIndex = 0
    result = result.replace(pattern, (...matchArgs: unknown[]) => {
      const match = matchArgs[0] as string
      const last = matchArgs[matchArgs.length - 1]
      const groups = (typeof last === 'object' && last !== null ? last : {}) as Record<string, string | undefined>
      const replacement = replace ? replace(match, groups) : marker(kind)
      if (replacement !== match) redacted[kind] = (redacted[kind] ?? 0) + 1
      return replacement
    })
  }
  return {text: result, redacted}
}

/** Convenience for callers that only need the clean text. */
export function redactText(text: string): string {
  return redactSecrets(text).text
}
