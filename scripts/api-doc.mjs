#!/usr/bin/env node
// Writes docs/api.md from the API contract (src/api/contract.ts): every route, what it is for, the
// permission its handler requires, and its path parameters, query, body and answer, each rendered
// from the route's zod schemas (z.toJSONSchema) as a TypeScript-like type with the rules beside each
// field. The contract is bundled with esbuild and imported, so this needs no build and no database.
// The permission is read from the route modules (src/daemon/routes/*.ts) with the TypeScript parser:
// the `requirePermission(principal, '…')` each handler calls, so the document says what is enforced.
// `--check` exits 1 when docs/api.md is stale. test/docs/api-doc.test.ts runs it, and checks the
// contract against the live app's route table, so a route served without a contract entry fails.
import {mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'

import {build} from 'esbuild'
import ts from 'typescript'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const routesDir = path.join(root, 'src/daemon/routes')
const output = path.join(root, 'docs/api.md')
const METHODS = new Set(['get', 'post', 'put', 'patch', 'delete', 'all'])

/**
 * The contract module, bundled into one temporary ES module and imported, with the zod it was built
 * with (descriptions live in that zod's registry, so its own toJSONSchema must render them).
 */
export async function loadContract() {
  const bundle = await build({
    stdin: {contents: "export * from './src/api/contract.ts'\nexport {z} from 'zod'\n", resolveDir: root, loader: 'ts'},
    bundle: true,
    platform: 'node',
    format: 'esm',
    write: false,
    logLevel: 'silent',
  })
  const dir = mkdtempSync(path.join(tmpdir(), 'signet-api-doc-'))
  try {
    const file = path.join(dir, 'contract.mjs')
    writeFileSync(file, bundle.outputFiles[0].text)
    return await import(pathToFileURL(file).href)
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
}

/** Routes answered before authentication (src/daemon/auth/authenticate.ts OPEN_PATHS, and the dashboard's page routes). */
function openPaths() {
  const source = readFileSync(path.join(root, 'src/daemon/auth/authenticate.ts'), 'utf8')
  const match = source.match(/OPEN_PATHS = new Set\(\[([^\]]*)\]\)/)
  return new Set(match ? [...match[1].matchAll(/'([^']+)'/g)].map((m) => m[1]) : [])
}

/** `METHOD /path` → who may call it, from each registration's handler in src/daemon/routes/*.ts. */
export function permissionsByRoute() {
  const open = openPaths()
  const who = new Map()
  for (const name of readdirSync(routesDir).filter((file) => file.endsWith('.ts'))) {
    const file = path.join(routesDir, name)
    const sourceFile = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true)
    const visit = (node) => {
      if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression)) {
        const method = node.expression.name.getText(sourceFile)
        const [first, ...handlers] = node.arguments
        if (METHODS.has(method) && first && ts.isStringLiteral(first) && first.text.startsWith('/') && handlers.length > 0) {
          const handlerText = handlers.map((h) => h.getText(sourceFile)).join('\n')
          const permissions = [...new Set([...handlerText.matchAll(/requirePermission\([^,]+,\s*'(\w+)'\)/g)].map((m) => m[1]))]
          const dashboardPage = name === 'dashboard.ts' && !first.text.startsWith('/api/')
          who.set(
            `${method.toUpperCase()} ${first.text}`,
            open.has(first.text) || dashboardPage
              ? 'anyone (before authentication)'
              : permissions.length > 0
                ? permissions.map((p) => `\`${p}\``).join(', ')
                : 'any authenticated caller',
          )
        }
      }
      ts.forEachChild(node, visit)
    }
    visit(sourceFile)
  }
  return who
}

const SAFE_INTEGER = 9007199254740991

/** The rules of one JSON-schema node, for the comment beside its field. */
function rules(schema) {
  const notes = []
  const range = (min, max, unit = '') => {
    if (min !== undefined && max !== undefined) return min === max ? `${min}${unit}` : `${min}–${max}${unit}`
    if (min !== undefined) return `≥ ${min}${unit}`
    return `≤ ${max}${unit}`
  }
  if (schema.minLength !== undefined || schema.maxLength !== undefined) notes.push(range(schema.minLength, schema.maxLength, ' chars'))
  const min = schema.minimum === -SAFE_INTEGER ? undefined : schema.minimum
  const max = schema.maximum === SAFE_INTEGER ? undefined : schema.maximum
  if (min !== undefined || max !== undefined) notes.push(range(min, max))
  if (schema.minItems !== undefined || schema.maxItems !== undefined) notes.push(range(schema.minItems, schema.maxItems, ' items'))
  // A list of scalars shows its items' own rules (a list of objects shows them on the object's fields).
  const items = schema.type === 'array' && schema.items && schema.items.type !== 'object' ? rules(schema.items) : []
  if (items.length > 0) notes.push(`each ${items.join(', ')}`)
  if (schema.format === 'uuid') notes.push('a UUID')
  else if (schema.pattern && !schema.format) notes.push(`matches \`${schema.pattern}\``)
  if (schema.default !== undefined) notes.push(`default ${JSON.stringify(schema.default)}`)
  if (schema.description) notes.push(schema.description)
  return notes
}

/** A union's members, with a nullable member folded into `| null`. */
function members(schema) {
  if (schema.anyOf) return schema.anyOf
  if (schema.oneOf) return schema.oneOf
  if (Array.isArray(schema.type)) return schema.type.map((type) => ({...schema, type}))
  return undefined
}

/**
 * A JSON-schema node as TypeScript-like text: one line for scalars, several (indented by `indent`)
 * for objects, with each field's rules as a `//` comment. In a request (`io` input) an object that
 * refuses unknown fields says so.
 */
function renderType(schema, io, indent = '') {
  const union = members(schema)
  if (union) {
    const rendered = union.map((member) => renderType(member, io, indent))
    return rendered.join(rendered.some((text) => text.includes('\n')) ? `\n${indent}| ` : ' | ')
  }
  if (schema.const !== undefined) return JSON.stringify(schema.const)
  if (schema.enum) return schema.enum.map((value) => JSON.stringify(value)).join(' | ')
  switch (schema.type) {
    case 'string':
    case 'number':
    case 'integer':
    case 'boolean':
    case 'null':
      return schema.type
    case 'array': {
      const item = renderType(schema.items ?? {}, io, indent)
      return item.includes('\n') || item.includes(' | ') ? `Array<${item}>` : `${item}[]`
    }
    case 'object': {
      const properties = Object.entries(schema.properties ?? {})
      if (properties.length === 0) {
        if (schema.additionalProperties && typeof schema.additionalProperties === 'object') {
          const value = renderType(schema.additionalProperties, io, indent)
          const keys = schema.propertyNames?.enum
          return keys ? `{[key in ${keys.map((key) => JSON.stringify(key)).join(' | ')}]?: ${value}}` : `{[key: string]: ${value}}`
        }
        return io === 'input' && schema.additionalProperties === false ? '{}  // no fields' : '{}'
      }
      const required = new Set(schema.required ?? [])
      const inner = `${indent}  `
      const lines = properties.map(([name, property]) => {
        const notes = rules(property)
        const type = renderType(property, io, inner)
        return `${inner}${name}${required.has(name) ? '' : '?'}: ${type}${notes.length > 0 ? `  // ${notes.join('; ')}` : ''}`
      })
      if (io === 'input' && schema.additionalProperties === false) lines.push(`${inner}// no other fields (400 when one is sent)`)
      return `{\n${lines.join('\n')}\n${indent}}`
    }
    default:
      return 'unknown'
  }
}

function typeBlock(z, schema, io) {
  const json = z.toJSONSchema(schema, {io, unrepresentable: 'any'})
  const notes = rules(json)
  return ['```ts', `${renderType(json, io)}${notes.length > 0 ? `  // ${notes.join('; ')}` : ''}`, '```']
}

export async function renderApiDoc() {
  const contract = await loadContract()
  const {z} = contract
  const who = permissionsByRoute()
  const out = [
    '# Daemon HTTP API',
    '',
    '<!-- Generated by `npm run docs:api` (scripts/api-doc.mjs) from the API contract, src/api/*.ts. Do not edit by hand. -->',
    '',
    'Every route the daemon serves, as the API contract (`src/api/contract.ts`) defines it: the daemon validates',
    'requests with these schemas and its answers are typed (and, in the tests, checked) against them; the',
    "client's `call(route, …)` is typed from them. **Who** is the permission the handler requires",
    '(`requirePermission`); roles grant permissions as listed in `src/store/roles.ts` (`ROLE_PERMISSIONS`), and the',
    'owner (the CLI over `.daemon/signet.sock`, or the admin token) holds all of them. Scoped keys are further',
    'narrowed to their agent and projects by `src/daemon/auth/scope.ts` (see SECURITY.md).',
    '',
    'Types are written TypeScript-style: `?` marks an optional field, `// …` gives the rules a field must meet',
    '(lengths, ranges, patterns, defaults). Bodies are JSON, at most 1 MiB; times are ISO 8601 in UTC. Query',
    'values are text on the wire (`limit=5`, `allAgents=true`). Requests may carry `X-Signet-Harness: <harness>`,',
    'recorded as provenance on what they write.',
    '',
    'Every failure answers the error envelope with the HTTP status: 400 `invalid_request` (the message names the',
    'field), 401 (authentication), 403 `permission_denied` / `scope_violation`, 404 `not_found`, 409 (a conflict',
    'named by `code`), 413 `payload_too_large`, 429 (rate limit), 503 `busy` / `database_replaced`, 507',
    '`disk_full`, 500 `internal`.',
    '',
    ...typeBlock(z, contract.errorEnvelope, 'output'),
    '',
  ]
  for (const area of contract.API_AREAS) {
    out.push(`## ${area.title}`, '')
    for (const [key, route] of Object.entries(area.routes)) {
      out.push(`### \`${key}\``, '', route.summary, '')
      out.push(`- **Who:** ${who.get(key) ?? '(no handler registered)'}`)
      if (route.kind === 'page') out.push('- **Answers:** HTML, a file or a redirect (not JSON)')
      if (route.kind === 'json-rpc') out.push('- **Answers:** JSON-RPC 2.0 (MCP)')
      if (route.kind === 'events') out.push('- **Answers:** `text/event-stream`')
      if (route.kind === 'lines') out.push('- **Answers:** `application/x-ndjson`, one JSON object per line')
      if (route.response) out.push(`- **Answers:** ${(route.status ?? [200]).join(' or ')}`)
      out.push('')
      const parts = [
        ['Path parameters', route.params, 'input'],
        ['Query', route.query, 'input'],
        ['Body', route.body, 'input'],
        ['Answer', route.response, 'output'],
      ]
      for (const [label, schema, io] of parts) {
        if (schema) out.push(`${label}:`, '', ...typeBlock(z, schema, io), '')
      }
      for (const [event, schema] of Object.entries(route.events ?? {})) {
        out.push(route.kind === 'lines' ? `Line \`${event}\`:` : `Event \`${event}\`, data:`, '', ...typeBlock(z, schema, 'output'), '')
      }
    }
  }
  return `${out.join('\n').trimEnd()}\n`
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const text = await renderApiDoc()
  if (process.argv.includes('--check')) {
    let current = ''
    try {
      current = readFileSync(output, 'utf8')
    } catch {}
    if (current !== text) {
      console.error('docs/api.md is out of date: run `npm run docs:api`')
      process.exit(1)
    }
  } else {
    writeFileSync(output, text)
    console.log(`wrote ${path.relative(root, output)}`)
  }
}
