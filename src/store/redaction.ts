/**
 * Secret hygiene before anything is stored: transcripts, summaries and memories pass through
 * `redactSecrets`, which replaces credentials with `[REDACTED:<kind>]`.
 *
 * The text is attacker-controlled (any agent key can send a 1 MiB memory or transcript) and the
 * daemon is single-threaded, so redaction must take time linear in the input: one slow regular
 * expression blocks every other request. Every pass below is built so that a failed attempt at
 * one position costs a bounded amount of work, or its scan cannot overlap the next attempt's:
 *
 * - Provider tokens are found by ONE scan for their literal prefixes (`ghp_`, `sk-`, `AKIA`, …);
 *   at each hit, only that prefix's rules run, as sticky (anchored) expressions whose body is
 *   either bounded (`{32}`) or a final greedy run with nothing after it that could fail and make
 *   it backtrack. A rule whose body has an unbounded run in the middle (JWT) only starts at the
 *   beginning of a run of its characters, so two attempts never rescan the same run.
 * - URL userinfo is cut by hand, not by regex: the password may contain `/` and `@`, and ends at
 *   the last `@` before the host.
 * - AWS and Twilio secrets that have no prefix are found as bounded-length runs and judged by
 *   shape, by the key id just before them, or by entropy.
 * - Assignments (`password=…`, `"secret": "…"`, `AccountKey=…`) and `Authorization` schemes
 *   (`Bearer`, `Basic`, `Token`) start at their keyword; what follows is bounded or greedy-final.
 *
 * All passes read the original text and report spans; overlapping spans merge, so a token that
 * two rules see is counted once (the more specific rule names it) and nothing is left half-hidden.
 * The provider formats are facts from the providers' documentation and from the public gitleaks
 * rule list. `test/security/redaction-linearity.test.ts` holds every pass to linear time on
 * adversarial inputs.
 */

export interface RedactionResult {
  text: string
  /** How many secrets were replaced, by kind (never the secrets themselves). */
  redacted: Record<string, number>
}

const marker = (label: string) => `[REDACTED:${label}]`

interface Span {
  start: number
  end: number
  /** Key of `redacted` (what was found). */
  kind: string
  /** What the marker says; the kind unless a rule keeps an older, shorter label. */
  label: string
  /** Lower wins when two spans start together: provider rules (their index) before generic ones (1000+). */
  priority: number
}

/** Characters that continue an identifier: a token prefix preceded by one of these is inside a word. */
const WORD_BEFORE = '(?<![A-Za-z0-9_])'

interface PrefixRule {
  kind: string
  /** Literals a token of this kind starts with. */
  triggers: string[]
  /** Sticky expression for the whole token, tried only where WORD_BEFORE holds. */
  pattern: RegExp
}

/** Every token starts after a non-word character; `boundary` narrows that further. */
function prefixRule(kind: string, trigger: string | string[], body: string, options: {boundary?: string} = {}): PrefixRule {
  return {kind, triggers: Array.isArray(trigger) ? trigger : [trigger], pattern: new RegExp(`${options.boundary ?? ''}${body}`, 'y')}
}

const escapeLiteral = (literal: string) => literal.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&')
const alternatives = (literals: string[]) => literals.map(escapeLiteral).join('|')

const GITLAB_PREFIXES = ['glpat-', 'gldt-', 'glft-', 'glimt-', 'glagent-', 'glsoat-', 'glrt-', 'glcbt-', 'glptt-', 'gloas-', 'GR1348941']
const SLACK_PREFIXES = ['xoxb-', 'xoxp-', 'xoxa-', 'xoxo-', 'xoxs-', 'xoxr-', 'xoxe-', 'xoxe.', 'xapp-']
const AWS_KEY_ID_PREFIXES = ['AKIA', 'ASIA', 'AGPA', 'AIDA', 'AROA', 'ANPA', 'ABIA', 'ACCA']

/**
 * Order matters where rules share a trigger (`sk-ant-` before `sk-`). Bodies end either in a bounded
 * run followed by a word-end check, or in an unbounded greedy run with nothing after it.
 */
const PREFIX_RULES: PrefixRule[] = [
  // PEM blocks: through the END line, or to the end of the text when the paste was cut short.
  prefixRule(
    'private-key',
    '-----BEGIN ',
    '-----BEGIN (?:[A-Z0-9]{1,20} ){0,4}PRIVATE KEY(?: BLOCK)?-----[\\s\\S]*?(?:-----END (?:[A-Z0-9]{1,20} ){0,4}PRIVATE KEY(?: BLOCK)?-----|$)',
  ),
  prefixRule('private-key', 'PuTTY-User-Key-File-', 'PuTTY-User-Key-File-[\\s\\S]*?(?:Private-MAC: [0-9a-f]{1,128}|$)'),
  prefixRule('private-key', 'AGE-SECRET-KEY-1', 'AGE-SECRET-KEY-1[0-9A-Z]{58}'),
  prefixRule('signet-key', 'sig_sk_', 'sig_sk_[A-Za-z0-9]{6,}_[A-Za-z0-9_-]{20,}'),
  prefixRule('signet-key', 'sig_at_', 'sig_at_[A-Za-z0-9_-]{20,}'),
  prefixRule('anthropic-key', 'sk-', 'sk-ant-[A-Za-z0-9_-]{20,}'),
  // OpenAI and the many providers that copied its `sk-` shape (OpenRouter, DeepSeek, …).
  prefixRule('openai-key', 'sk-', 'sk-(?:proj-|svcacct-|admin-|or-v1-)?[A-Za-z0-9_-]{20,}'),
  prefixRule('stripe-key', ['sk_live_', 'sk_test_', 'rk_live_', 'rk_test_', 'pk_live_', 'pk_test_'], '[a-z]{2}_(?:live|test)_[A-Za-z0-9]{16,}'),
  prefixRule('stripe-key', 'whsec_', 'whsec_[A-Za-z0-9+/=]{24,}'),
  prefixRule('github-token', ['ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_'], 'gh[pousr]_[A-Za-z0-9]{30,}'),
  prefixRule('github-token', 'github_pat_', 'github_pat_[A-Za-z0-9_]{30,}'),
  prefixRule('gitlab-token', GITLAB_PREFIXES, `(?:${alternatives(GITLAB_PREFIXES)})[A-Za-z0-9_-]{20,}`),
  prefixRule('aws-access-key', AWS_KEY_ID_PREFIXES, `(?:${AWS_KEY_ID_PREFIXES.join('|')})[0-9A-Z]{16}(?![A-Za-z0-9_])`),
  prefixRule('slack-token', SLACK_PREFIXES, '(?:xoxe\\.)?(?:xox[abposre]|xapp)-[A-Za-z0-9-]{10,}'),
  prefixRule('slack-webhook', 'https://hooks.slack.com/', 'https://hooks\\.slack\\.com/(?:services|workflows|triggers)/[A-Za-z0-9/_-]{8,}'),
  prefixRule(
    'discord-webhook',
    ['https://discord.com/api/webhooks/', 'https://discordapp.com/api/webhooks/'],
    'https://discord(?:app)?\\.com/api/webhooks/[0-9]{1,30}/[A-Za-z0-9_-]{20,}',
  ),
  prefixRule('google-api-key', 'AIza', 'AIza[0-9A-Za-z_-]{35}'),
  prefixRule('google-oauth-secret', 'GOCSPX-', 'GOCSPX-[A-Za-z0-9_-]{20,}'),
  prefixRule('google-oauth-token', 'ya29.', 'ya29\\.[A-Za-z0-9_-]{20,}'),
  prefixRule('npm-token', 'npm_', 'npm_[A-Za-z0-9]{36}(?![A-Za-z0-9_])'),
  prefixRule('pypi-token', 'pypi-AgE', 'pypi-AgE[A-Za-z0-9_-]{50,}'),
  prefixRule('huggingface-token', 'hf_', 'hf_[A-Za-z0-9]{30,}(?![A-Za-z0-9_])'),
  prefixRule('huggingface-token', 'api_org_', 'api_org_[A-Za-z0-9]{30,}(?![A-Za-z0-9_])'),
  // A JWT: three base64url parts, the first two JSON objects (`eyJ` = `{"`). It starts only where a run
  // of base64url characters starts, so `eyJ-eyJ-eyJ-…` is one attempt, not one per `eyJ`.
  prefixRule('jwt', 'eyJ', 'eyJ[A-Za-z0-9_-]{8,}\\.eyJ[A-Za-z0-9_-]{8,}\\.[A-Za-z0-9_-]{8,}', {boundary: '(?<![A-Za-z0-9_-])'}),
  prefixRule('sendgrid-key', 'SG.', 'SG\\.[A-Za-z0-9_-]{16,32}\\.[A-Za-z0-9_-]{16,64}'),
  prefixRule('twilio-key', 'SK', 'SK[0-9a-fA-F]{32}(?![A-Za-z0-9_])'),
  prefixRule('twilio-account-sid', 'AC', 'AC[0-9a-f]{32}(?![A-Za-z0-9_])'),
  prefixRule('doppler-token', 'dp.', 'dp\\.(?:pt|st|ct|sa|scim|audit)\\.[A-Za-z0-9._-]{40,}'),
  prefixRule('digitalocean-token', ['dop_v1_', 'doo_v1_', 'dor_v1_'], 'do[opr]_v1_[a-f0-9]{64}'),
  prefixRule('shopify-token', ['shpat_', 'shpss_', 'shpca_', 'shppa_'], 'shp(?:at|ss|ca|pa)_[a-fA-F0-9]{32}'),
  prefixRule('linear-key', 'lin_api_', 'lin_api_[A-Za-z0-9]{40}'),
  prefixRule('postman-key', 'PMAK-', 'PMAK-[a-f0-9]{24}-[a-f0-9]{34}'),
  prefixRule('databricks-token', 'dapi', 'dapi[a-f0-9]{32}(?:-[0-9])?(?![A-Za-z0-9_])'),
  prefixRule('vault-token', ['hvs.', 'hvb.'], 'hv[sb]\\.[A-Za-z0-9_-]{24,}'),
  prefixRule('grafana-token', ['glc_', 'glsa_'], 'gl(?:c|sa)_[A-Za-z0-9_+/=]{32,}'),
  prefixRule('supabase-token', 'sbp_', 'sbp_[a-f0-9]{40}'),
  prefixRule('replicate-token', 'r8_', 'r8_[A-Za-z0-9]{37}'),
  prefixRule('groq-key', 'gsk_', 'gsk_[A-Za-z0-9]{48,}'),
  prefixRule('xai-key', 'xai-', 'xai-[A-Za-z0-9]{70,}'),
  prefixRule('perplexity-key', 'pplx-', 'pplx-[A-Za-z0-9]{40,}'),
  prefixRule('sentry-token', ['sntrys_', 'sntryu_'], 'sntry[su]_[A-Za-z0-9+/=_]{40,}'),
  prefixRule('planetscale-token', 'pscale_', 'pscale_(?:tkn|pw|oauth)_[A-Za-z0-9=._-]{32,}'),
  prefixRule('pulumi-token', 'pul-', 'pul-[a-f0-9]{40}'),
  prefixRule('newrelic-key', 'NRAK-', 'NRAK-[A-Z0-9]{27}'),
  prefixRule('notion-token', 'ntn_', 'ntn_[A-Za-z0-9]{40,}'),
  prefixRule('docker-token', 'dckr_pat_', 'dckr_pat_[A-Za-z0-9_-]{27,}'),
  prefixRule('tailscale-key', 'tskey-', 'tskey-[a-z]{1,10}-[A-Za-z0-9]{10,}-[A-Za-z0-9]{20,}'),
  prefixRule('figma-token', 'figd_', 'figd_[A-Za-z0-9_-]{40,}'),
  prefixRule('netlify-token', 'nfp_', 'nfp_[A-Za-z0-9]{36,}'),
  prefixRule('rubygems-key', 'rubygems_', 'rubygems_[a-f0-9]{48}'),
  prefixRule('atlassian-token', 'ATATT3', 'ATATT3[A-Za-z0-9_=-]{100,}'),
  prefixRule('onepassword-token', 'ops_eyJ', 'ops_eyJ[A-Za-z0-9+/=_-]{100,}'),
  prefixRule('langsmith-key', 'lsv2_', 'lsv2_(?:pt|sk)_[a-f0-9]{32}_[a-f0-9]{10}'),
  prefixRule('square-token', ['sq0atp-', 'sq0csp-'], 'sq0(?:atp|csp)-[A-Za-z0-9_-]{22,}'),
  prefixRule('mapbox-token', 'sk.eyJ', 'sk\\.eyJ[A-Za-z0-9_-]{20,}\\.[A-Za-z0-9_-]{20,}'),
  prefixRule('flyio-token', 'fo1_', 'fo1_[A-Za-z0-9_-]{40,}'),
]

/**
 * The single scan: every rule's shape up to its first unbounded run, that run cut to its minimum
 * (`eyJ[A-Za-z0-9_-]{8,}\.eyJ…` is scanned as `eyJ[A-Za-z0-9_-]{8}`, a PEM block as its BEGIN line). Each alternative therefore fails
 * in bounded time, and a hit is nearly always a real token, so the full rules run rarely: a text of
 * `SK SK SK …` costs one native scan, not a JavaScript call per `SK`.
 */
const scanShape = (source: string) =>
  source.replace(/(?:\{(\d+),\}|\[\\s\\S\]\*\?)[\s\S]*$/, (_cut, min: string | undefined) => (min === undefined ? '' : `{${min}}`))
const TRIGGER_SCAN = new RegExp(`${WORD_BEFORE}(?:${PREFIX_RULES.map((rule) => scanShape(rule.pattern.source)).join('|')})`, 'g')

/** Rules by the first two characters of their triggers, in rule order (`sk-ant-` before `sk-`). */
const RULES_BY_LEAD = new Map<string, Array<{rule: PrefixRule; priority: number}>>()
for (const [priority, rule] of PREFIX_RULES.entries()) {
  for (const lead of new Set(rule.triggers.map((trigger) => trigger.slice(0, 2)))) {
    const list = RULES_BY_LEAD.get(lead) ?? []
    list.push({rule, priority})
    RULES_BY_LEAD.set(lead, list)
  }
}

const AWS_KEY_ID_KIND = 'aws-access-key'
const TWILIO_SID_KIND = 'twilio-account-sid'

function scanPrefixRules(text: string, spans: Span[]): void {
  TRIGGER_SCAN.lastIndex = 0
  let match: RegExpExecArray | null
  while ((match = TRIGGER_SCAN.exec(text))) {
    const hit = match.index
    let resumeAt = hit + 1
    for (const {rule, priority} of RULES_BY_LEAD.get(text.slice(hit, hit + 2)) ?? []) {
      if (!rule.triggers.some((trigger) => text.startsWith(trigger, hit))) continue
      rule.pattern.lastIndex = hit
      const found = rule.pattern.exec(text)
      if (!found) continue
      spans.push({start: hit, end: hit + found[0].length, kind: rule.kind, label: rule.kind, priority})
      // Resume after the token: nothing inside a redacted token needs a second look.
      resumeAt = hit + found[0].length
      break
    }
    TRIGGER_SCAN.lastIndex = resumeAt
  }
}

/** Azure AD client secrets: three characters, a digit, `Q~`, then 31-34 more. Found from the `Q~`, which is rare. */
const AZURE_CLIENT_SECRET = /(?<![A-Za-z0-9_~.-])[A-Za-z0-9_~.]{3}[0-9]Q~[A-Za-z0-9_~.-]{31,34}(?![A-Za-z0-9_~.-])/y

function scanAzureClientSecrets(text: string, spans: Span[]): void {
  for (let at = text.indexOf('Q~', 4); at !== -1; at = text.indexOf('Q~', at + 2)) {
    AZURE_CLIENT_SECRET.lastIndex = at - 4
    const found = AZURE_CLIENT_SECRET.exec(text)
    if (found) spans.push({start: at - 4, end: at - 4 + found[0].length, kind: 'azure-client-secret', label: 'azure-client-secret', priority: 1000})
  }
}

/**
 * `scheme://user:password@host`. The password may hold `/` and `@` (people paste them unencoded), so
 * the userinfo ends at the last `@` of the authority — unless the part after the colon up to the
 * first `/` is a port number (`localhost:5173/@vite/client`). Each `://` looks no further than the
 * next `://`, whitespace or quote, so consecutive attempts never rescan the same characters.
 */
function scanUrlPasswords(text: string, spans: Span[]): void {
  let from = 0
  for (;;) {
    const sep = text.indexOf('://', from)
    if (sep === -1) return
    from = sep + 3
    if (sep === 0 || !/[A-Za-z0-9+.-]/.test(text[sep - 1])) continue
    const authorityStart = sep + 3
    let colon = -1
    let firstSlashAfterColon = -1
    let firstQueryAfterColon = -1
    let lastAt = -1
    let lastAtBeforeQuery = -1
    let end = authorityStart
    for (; end < text.length; end++) {
      const ch = text[end]
      if (ch === ' ' || ch === '\n' || ch === '\t' || ch === '\r' || ch === '"' || ch === "'" || ch === '`' || ch === '<' || ch === '>') break
      if (ch === ':' && text.startsWith('://', end)) break
      if (colon === -1) {
        // The user name holds none of these; without a colon first there is no password.
        if (ch === ':') colon = end
        else if (ch === '/' || ch === '@' || ch === '?' || ch === '#') break
        continue
      }
      if (ch === '/' && firstSlashAfterColon === -1) firstSlashAfterColon = end
      if ((ch === '?' || ch === '#') && firstQueryAfterColon === -1) firstQueryAfterColon = end
      if (ch === '@') {
        lastAt = end
        if (firstQueryAfterColon === -1) lastAtBeforeQuery = end
      }
    }
    from = Math.max(from, end)
    if (colon === -1 || lastAt === -1) continue
    // `u:p@host/?next=a@b`: an `@` in the query is not the end of the userinfo when one came before it.
    const at = lastAtBeforeQuery !== -1 ? lastAtBeforeQuery : lastAt
    if (at === colon + 1) continue
    if (firstSlashAfterColon !== -1 && firstSlashAfterColon < at && /^[0-9]{1,5}$/.test(text.slice(colon + 1, firstSlashAfterColon))) continue
    spans.push({start: colon + 1, end: at, kind: 'url-password', label: 'password', priority: 1000})
  }
}

const BASE64_RUN_40 = /(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/g
const HEX_RUN_32 = /(?<![A-Za-z0-9_])[0-9a-f]{32}(?![A-Za-z0-9_])/g
/** How far after a key id (AKIA…, AC…) its secret may sit: a CSV row, `aws configure` output, a JSON object. */
const PAIR_WINDOW = 200

/**
 * Bits per character above which a 40-character run is taken for a generated key: 99.6% of random
 * alphanumeric keys reach it, camel-cased identifiers with a digit stay near 4.2.
 */
const RANDOM_KEY_ENTROPY = 4.4

function shannonEntropy(token: string): number {
  const counts = new Map<string, number>()
  for (const ch of token) counts.set(ch, (counts.get(ch) ?? 0) + 1)
  let entropy = 0
  for (const count of counts.values()) {
    const p = count / token.length
    entropy -= p * Math.log2(p)
  }
  return entropy
}

/** Whether any span of `kind` ends within PAIR_WINDOW before `position` (`ends` is ascending; `cursor` walks it). */
function pairedAfter(ends: number[], cursor: {i: number}, position: number): boolean {
  while (cursor.i < ends.length && ends[cursor.i] < position - PAIR_WINDOW) cursor.i++
  return cursor.i < ends.length && ends[cursor.i] <= position
}

/**
 * AWS secret access keys have no prefix: 40 base64 characters. A run of exactly 40 is one when it
 * mixes cases and digits and either follows its key id, holds a `/` or `+` (hex digests and
 * identifiers do not), or is as random as a generated key (entropy a camel-cased name never reaches).
 * Twilio auth tokens are 32 hex characters, told from a digest only by the account SID before them.
 */
function scanUnprefixedSecrets(text: string, spans: Span[]): void {
  const awsIdEnds = spans
    .filter((s) => s.kind === AWS_KEY_ID_KIND)
    .map((s) => s.end)
    .sort((a, b) => a - b)
  const awsCursor = {i: 0}
  BASE64_RUN_40.lastIndex = 0
  let match: RegExpExecArray | null
  while ((match = BASE64_RUN_40.exec(text))) {
    const token = match[0]
    if (!/[A-Z]/.test(token) || !/[a-z]/.test(token) || !/[0-9]/.test(token)) continue
    const paired = pairedAfter(awsIdEnds, awsCursor, match.index)
    if (paired || /[/+]/.test(token) || shannonEntropy(token) >= RANDOM_KEY_ENTROPY) {
      spans.push({start: match.index, end: match.index + 40, kind: 'aws-secret-key', label: 'aws-secret-key', priority: 1050})
    }
  }
  const sidEnds = spans
    .filter((s) => s.kind === TWILIO_SID_KIND)
    .map((s) => s.end)
    .sort((a, b) => a - b)
  if (sidEnds.length === 0) return
  const sidCursor = {i: 0}
  HEX_RUN_32.lastIndex = 0
  while ((match = HEX_RUN_32.exec(text))) {
    if (pairedAfter(sidEnds, sidCursor, match.index)) {
      spans.push({start: match.index, end: match.index + 32, kind: 'twilio-auth-token', label: 'twilio-auth-token', priority: 1050})
    }
  }
}

/**
 * `Authorization: Basic <base64(user:password)>`, `Bearer <token>`, `Token <token>`. Basic is
 * confirmed by decoding (printable `user:password`), so "basic understanding" stays; Bearer takes
 * any token-shaped run of 16+; Token (GitHub's scheme) needs a digit, as prose after "token" rarely has one.
 */
const AUTH_SCHEME = /(?<![A-Za-z0-9_])(?<scheme>[Bb]earer|BEARER|[Bb]asic|BASIC|Token|token)[ \t]+(?<credential>[A-Za-z0-9._~+/=-]{8,})/g

function isBasicCredential(credential: string): boolean {
  if (credential.length % 4 !== 0 || credential.length > 4096 || !/^[A-Za-z0-9+/]+={0,2}$/.test(credential)) return false
  const decoded = Buffer.from(credential, 'base64').toString('latin1')
  return /^[\x20-\x7e]+$/.test(decoded) && decoded.indexOf(':') > 0
}

function scanAuthSchemes(text: string, spans: Span[]): void {
  AUTH_SCHEME.lastIndex = 0
  let match: RegExpExecArray | null
  while ((match = AUTH_SCHEME.exec(text))) {
    const {scheme, credential} = match.groups as {scheme: string; credential: string}
    const scheme0 = scheme.toLowerCase()
    const ok =
      scheme0 === 'basic' ? isBasicCredential(credential) : scheme0 === 'bearer' ? credential.length >= 16 : credential.length >= 16 && /[0-9]/.test(credential)
    if (!ok) continue
    const start = match.index + match[0].length - credential.length
    spans.push({
      start,
      end: start + credential.length,
      kind: scheme0 === 'basic' ? 'basic-auth' : 'bearer-token',
      label: scheme0 === 'basic' ? 'basic-auth' : 'bearer-token',
      priority: 1060,
    })
  }
}

/**
 * A name that says "secret" at its end, an assignment operator, and a value: `password = "…"`,
 * `"client_secret": "…"`, `DB_PASSWORD=…`, `AccountKey=…;`, `&sig=…`. The scan starts at the
 * keyword (any prefix may precede it: `TWILIO_AUTH_TOKEN`, `clientSecret`); values are bounded when
 * quoted and greedy-final when bare, so no attempt backtracks over a long run.
 */
const ASSIGNMENT =
  /(?:password|passwd|passphrase|pwd|secret|secret[_-]?key|secret[_-]?access[_-]?key|api[_-]?key|apikey|access[_-]?key|private[_-]?key|token|credentials?|accountkey|sharedaccesskey|sig)(?:\\?["'])?[ \t]*(?<op>=>|:=|[:=])[ \t]*(?:\\?"(?<dq>[^"\r\n]{6,256})"|\\?'(?<sq>[^'\r\n]{6,256})'|(?<bare>[^\s"'`,;&<>(){}[\]\\]{8,}))/gi

/** Values that name where a secret comes from rather than holding one. */
const REFERENCE_VALUE = /^(?:\$|%|process\.env\b|os\.environ|env\.|secrets\.|\/|~\/|\.\.?\/|\*+$|x+$|<|\[REDACTED)/i

function scanAssignments(text: string, spans: Span[]): void {
  ASSIGNMENT.lastIndex = 0
  let match: RegExpExecArray | null
  while ((match = ASSIGNMENT.exec(text))) {
    const groups = match.groups as {op: string; dq?: string; sq?: string; bare?: string}
    const quoted = groups.dq ?? groups.sq
    let valueEnd = match.index + match[0].length - (quoted === undefined ? 0 : 1)
    let value = quoted ?? groups.bare ?? ''
    // A JSON string inside a JSON string (tool input in a transcript): `\"value\"` ends in a backslash.
    if (quoted !== undefined && value.endsWith('\\')) {
      value = value.slice(0, -1)
      valueEnd -= 1
    }
    const start = valueEnd - value.length
    if (REFERENCE_VALUE.test(value) || !/[A-Za-z0-9]/.test(value)) continue
    if (groups.bare !== undefined) {
      // `token = makeToken(user)`: a call, not a value.
      if (text[valueEnd] === '(') continue
      // `token: TokenStore`, `password: string`: a type annotation or YAML reference, not a value. Secrets have digits or symbols.
      if (groups.op === ':' && /^[A-Za-z_.]+$/.test(value)) continue
    }
    spans.push({start, end: valueEnd, kind: 'password', label: 'secret', priority: 1070})
  }
}

export function redactSecrets(text: string): RedactionResult {
  const spans: Span[] = []
  scanPrefixRules(text, spans)
  scanUnprefixedSecrets(text, spans)
  scanAzureClientSecrets(text, spans)
  scanUrlPasswords(text, spans)
  scanAuthSchemes(text, spans)
  scanAssignments(text, spans)
  const redacted: Record<string, number> = {}
  if (spans.length === 0) return {text, redacted}

  spans.sort((a, b) => a.start - b.start || a.priority - b.priority || b.end - a.end)
  const parts: string[] = []
  let cursor = 0
  let open: Span | undefined
  const flush = () => {
    if (!open) return
    parts.push(text.slice(cursor, open.start), marker(open.label))
    redacted[open.kind] = (redacted[open.kind] ?? 0) + 1
    cursor = open.end
    open = undefined
  }
  for (const span of spans) {
    // Overlapping spans are one secret seen by two rules: keep the first one's name, cover both.
    if (open && span.start < open.end) {
      open.end = Math.max(open.end, span.end)
      continue
    }
    flush()
    open = span
  }
  flush()
  parts.push(text.slice(cursor))
  return {text: parts.join(''), redacted}
}

/** Convenience for callers that only need the clean text. */
export function redactText(text: string): string {
  return redactSecrets(text).text
}
