import type {ApiKeyView, CreatedApiKeyView} from '../api/auth.js'
import {API_KEY_ID_PATTERN, API_KEY_PATTERN, API_KEY_PREFIX_PATTERN} from '../store/api-keys.js'
import {SignetError} from '../errors.js'
import {paint, renderTable} from './output.js'

/** An API key as the daemon returns it (the record plus its status, never the hash), and as created (with the raw key, once). */
export type {ApiKeyView, CreatedApiKeyView}

/**
 * The block `signet api-key create` prints (scripts parse it; docs/architecture.md, CLI conventions): header, aligned
 * `label: value` lines, blank line, the warning. `agent:` and `project:` follow
 * `connector:` only for a scoped key; `extra` lines come last.
 */
export function renderCreatedKey(header: string, key: CreatedApiKeyView, extra: Array<[string, string]> = []): string {
  const rows: Array<[string, string]> = [
    ['name', key.name],
    ['id', key.id],
    ['prefix', key.prefix],
    ['key', key.key],
    ['role', key.role],
    ['connector', key.connector ?? '-'],
    // Scope lines only when the key is scoped, so the block of an unscoped key stays exactly as scripts know it.
    ...(key.scope?.agent ? [['agent', key.scope.agent] as [string, string]] : []),
    ...(key.scope?.project ? [['project', key.scope.project] as [string, string]] : []),
    ...extra,
  ]
  return [
    header,
    '',
    ...rows.map(([label, value]) => `  ${`${label}:`.padEnd(11)}${value}`),
    '',
    paint.yellow('Save this key now. It will not be shown again.'),
  ].join('\n')
}

export function renderKeyList(keys: ApiKeyView[]): string {
  if (keys.length === 0) return 'No API keys.'
  const statusColour = (status: string) => (status === 'active' ? paint.green(status) : status === 'revoked' ? paint.red(status) : paint.yellow(status))
  return renderTable(keys, [
    {header: 'ID', value: (key) => key.id},
    {header: 'PREFIX', value: (key) => key.prefix},
    {header: 'STATUS', value: (key) => statusColour(key.status)},
    {header: 'NAME', value: (key) => key.name, maxWidth: 32},
    {header: 'ROLE', value: (key) => key.role},
    {header: 'CONNECTOR', value: (key) => key.connector ?? '-'},
    {header: 'AGENT', value: (key) => key.scope.agent ?? key.agentId ?? '-'},
    {header: 'LAST USED', value: (key) => shortTime(key.lastUsedAt)},
  ])
}

function shortTime(iso: string | null): string {
  return iso ? iso.replace(/\.\d+Z$/, 'Z') : '-'
}

/**
 * The id or prefix to put in the URL. A pasted raw key is reduced to its prefix here, so the
 * secret itself never travels in a request line (where proxies and logs would keep it).
 */
export function keyReference(input: string): string {
  const value = input.trim()
  const raw = API_KEY_PATTERN.exec(value)
  if (raw) return raw[1]
  if (API_KEY_ID_PATTERN.test(value) || API_KEY_PREFIX_PATTERN.test(value)) return value
  throw new SignetError(`"${value.length > 24 ? `${value.slice(0, 24)}…` : value}" is not an API key id (key_…) or 12-hex prefix — see \`signet api-key list\``)
}

/** `--expires-at` as ISO, refusing anything Date cannot read or that is already past. */
export function parseExpiresAt(input: string | undefined): string | undefined {
  if (input === undefined) return undefined
  const time = Date.parse(input)
  if (Number.isNaN(time)) throw new SignetError(`--expires-at "${input}" is not a date — use ISO 8601, e.g. 2026-12-31T00:00:00Z`)
  if (time <= Date.now()) throw new SignetError(`--expires-at ${input} is in the past`)
  return new Date(time).toISOString()
}
