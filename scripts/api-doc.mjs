#!/usr/bin/env node
// Writes docs/api.md from the daemon's route modules (src/daemon/routes/*.ts): every
// `.get/.post/.patch/.put/.delete('/path', …)` registration, the permission its handler requires,
// the zod schemas it validates the body, query and path with (their fields), and the shapes it
// answers with `c.json(…)`. Read with the TypeScript parser, not by running the daemon, so it needs
// no build and no database. `--check` exits 1 when docs/api.md is stale.
// test/docs/api-doc.test.ts checks the result against the live app's route table, so a route added
// anywhere without reaching this file fails the tests.
import {readdirSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import ts from 'typescript'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const routesDir = path.join(root, 'src/daemon/routes')
const output = path.join(root, 'docs/api.md')
const METHODS = new Set(['get', 'post', 'put', 'patch', 'delete', 'all'])

/** Routes answered before authentication (src/daemon/auth/authenticate.ts OPEN_PATHS, and the dashboard's page routes). */
function openPaths() {
  const source = readFileSync(path.join(root, 'src/daemon/auth/authenticate.ts'), 'utf8')
  const match = source.match(/OPEN_PATHS = new Set\(\[([^\]]*)\]\)/)
  return new Set(match ? [...match[1].matchAll(/'([^']+)'/g)].map((m) => m[1]) : [])
}

function zodType(text) {
  const compact = text.replace(/\s*\n\s*/g, '').replace(/\s+/g, ' ')
  const enumMatch = compact.match(/^z\.enum\(\[([^\]]*)\]/)
  if (enumMatch)
    return enumMatch[1]
      .replace(/'/g, '')
      .split(',')
      .map((v) => v.trim())
      .filter(Boolean)
      .join(' \\| ')
  const base = compact.match(/^z\.(?:coerce\.)?(\w+)/)
  if (base) {
    if (base[1] === 'array') return 'array'
    if (base[1] === 'literal') return compact.match(/^z\.literal\(([^)]*)\)/)?.[1] ?? 'literal'
    return base[1]
  }
  // A shared field (agentIdField, projectField …) or a schema declared above: its name.
  return compact.match(/^\w+/)?.[0] ?? '?'
}

/** The fields of a `z.object({…})` (through `.extend`, `.strict`, `.refine` …) bound to `name` in this file. */
function schemaFields(sourceFile, name) {
  let initializer
  const visit = (node) => {
    if (ts.isVariableDeclaration(node) && node.name.getText(sourceFile) === name) initializer = node.initializer
    else ts.forEachChild(node, visit)
  }
  visit(sourceFile)
  if (!initializer) return undefined
  const fields = []
  const collect = (node) => {
    if (ts.isCallExpression(node)) {
      const callee = node.expression.getText(sourceFile).replace(/\s+/g, '')
      const isObject = callee === 'z.object' || callee.endsWith('.extend')
      if (isObject && node.arguments[0] && ts.isObjectLiteralExpression(node.arguments[0])) {
        for (const property of node.arguments[0].properties) {
          const key = property.name?.getText(sourceFile).replace(/^'|'$/g, '')
          if (!key) continue
          const text = ts.isPropertyAssignment(property) ? property.initializer.getText(sourceFile) : key
          const optional = /\.optional\(\)|\.default\(/.test(text)
          fields.push(`${key}${optional ? '?' : ''}: ${zodType(text)}`)
        }
      }
    }
    ts.forEachChild(node, collect)
  }
  collect(initializer)
  return fields
}

/** The comment lines directly above the route registration, joined into one sentence. */
function leadingComment(lines, lineIndex) {
  const comment = []
  for (let i = lineIndex - 1; i >= 0; i--) {
    const line = lines[i].trim()
    if (!(line.startsWith('//') || line.startsWith('*') || line.startsWith('/*'))) break
    comment.unshift(line.replace(/^\/\*\*?|\*\/$|^\*|^\/\//g, '').trim())
  }
  return comment.join(' ').replace(/\s+/g, ' ').replace(/\|/g, '\\|').trim()
}

function jsonAnswers(sourceFile, handler) {
  const answers = []
  const visit = (node) => {
    if (ts.isCallExpression(node) && node.expression.getText(sourceFile) === 'c.json' && node.arguments[0]) {
      const [body, status] = node.arguments
      let shape
      if (ts.isObjectLiteralExpression(body)) {
        shape = `{${body.properties.map((p) => (ts.isSpreadAssignment(p) ? `...${p.expression.getText(sourceFile)}` : p.name?.getText(sourceFile))).join(', ')}}`
      } else {
        shape = body.getText(sourceFile).replace(/\s+/g, ' ')
        if (shape.length > 60) shape = `${shape.slice(0, 57)}…`
      }
      const code = status ? status.getText(sourceFile) : '200'
      // Error envelopes ({error, code}) are documented once, below the table.
      if (!/^\{error, code/.test(shape)) answers.push(`${code} \`${shape.replace(/`/g, "'").replace(/\|/g, '\\|')}\``)
    }
    ts.forEachChild(node, visit)
  }
  visit(handler)
  return [...new Set(answers)]
}

function routesOf(file, open) {
  const text = readFileSync(file, 'utf8')
  const sourceFile = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true)
  const lines = text.split('\n')
  const routes = []
  const visit = (node) => {
    if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression)) {
      const method = node.expression.name.getText(sourceFile)
      const [first, ...handlers] = node.arguments
      if (METHODS.has(method) && first && ts.isStringLiteral(first) && first.text.startsWith('/') && handlers.length > 0) {
        const handlerText = handlers.map((h) => h.getText(sourceFile)).join('\n')
        const permissions = [...handlerText.matchAll(/requirePermission\([^,]+,\s*'(\w+)'\)/g)].map((m) => m[1])
        const schemaRefs = (pattern) => [...handlerText.matchAll(pattern)].map((m) => m[1])
        const describe = (names) =>
          names.map((name) => {
            const fields = schemaFields(sourceFile, name)
            if (!fields) return `\`${name}\``
            return fields.length > 0 ? fields.join(', ') : '`{}` (no fields)'
          })
        const line = sourceFile.getLineAndCharacterOfPosition(node.expression.name.getStart(sourceFile)).line
        const dashboardPage = path.basename(file) === 'dashboard.ts' && !first.text.startsWith('/api/')
        const who =
          open.has(first.text) || dashboardPage
            ? 'anyone (before authentication)'
            : permissions.length > 0
              ? [...new Set(permissions)].map((p) => `\`${p}\``).join(', ')
              : 'any authenticated caller'
        routes.push({
          method: method.toUpperCase(),
          path: first.text,
          file: path.relative(root, file),
          who,
          body: describe(schemaRefs(/readJsonBody\(c,\s*(\w+)/g)),
          query: describe(schemaRefs(/readQuery\(c,\s*(\w+)/g)),
          params: describe(schemaRefs(/parseWith\((\w+),\s*c\.req\.param/g)),
          answers: handlers.flatMap((h) => jsonAnswers(sourceFile, h)),
          note: leadingComment(lines, line),
        })
      }
    }
    ts.forEachChild(node, visit)
  }
  visit(sourceFile)
  return routes
}

export function collectRoutes() {
  const open = openPaths()
  return readdirSync(routesDir)
    .filter((name) => name.endsWith('.ts'))
    .sort()
    .flatMap((name) => routesOf(path.join(routesDir, name), open))
}

export function renderApiDoc(routes = collectRoutes()) {
  const out = [
    '# Daemon HTTP API',
    '',
    '<!-- Generated by `npm run docs:api` (scripts/api-doc.mjs) from src/daemon/routes/*.ts. Do not edit by hand. -->',
    '',
    'Every route the daemon serves, grouped by the module that registers it. **Who** is the permission the',
    'handler requires (`requirePermission`); roles grant permissions as listed in `src/store/roles.ts`',
    '(`ROLE_PERMISSIONS`), and the owner (the CLI over `.daemon/signet.sock`, or the admin token) holds all of them.',
    'Scoped keys are further narrowed to their agent and projects by `src/daemon/auth/scope.ts` (see SECURITY.md).',
    'Fields marked `?` are optional; a type that is a name (e.g. `projectField`) is a shared zod field in',
    '`src/daemon/request-fields.ts`. Bodies are JSON, at most 1 MiB.',
    '',
    'Every failure answers `{error, code}` (plus fields named per error) with the HTTP status: 400 `invalid_request`',
    '(the message names the field), 401 (authentication), 403 `permission_denied` / `scope_violation`, 404 `not_found`,',
    '413 `payload_too_large`, 429 (rate limit), 503 `busy`, 507 `disk_full`, 500 `internal`.',
    '',
  ]
  const byFile = Map.groupBy ? Map.groupBy(routes, (r) => r.file) : routes.reduce((map, r) => map.set(r.file, [...(map.get(r.file) ?? []), r]), new Map())
  for (const [file, group] of byFile) {
    out.push(`## ${path.basename(file, '.ts')} (\`${file}\`)`, '')
    for (const route of group) {
      out.push(`### \`${route.method} ${route.path}\``, '')
      if (route.note) out.push(route.note, '')
      out.push(`- **Who:** ${route.who}`)
      if (route.params.length) out.push(`- **Path:** ${route.params.join('; ')}`)
      if (route.query.length) out.push(`- **Query:** ${route.query.join('; ')}`)
      if (route.body.length) out.push(`- **Body:** ${route.body.join('; ')}`)
      if (route.answers.length) out.push(`- **Answers:** ${route.answers.join('; ')}`)
      out.push('')
    }
  }
  return out.join('\n')
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const text = renderApiDoc()
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
