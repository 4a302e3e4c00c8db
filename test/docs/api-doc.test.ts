import {execFileSync, spawnSync} from 'node:child_process'
import {readFileSync} from 'node:fs'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {API_CONTRACT, type RouteDefinition} from '../../src/api/contract.js'
import {createApp} from '../../src/daemon/app.js'
import {startTestDaemon, type TestDaemon} from '../helpers/daemon.js'

const root = path.resolve(import.meta.dirname, '../..')

describe('docs/api.md and the API contract', () => {
  let daemon: TestDaemon
  beforeAll(async () => {
    daemon = await startTestDaemon()
  })
  afterAll(async () => {
    await daemon?.stop()
  })

  it('has a contract entry (src/api) for every route the live app serves, and serves every entry', () => {
    // Middleware registers as ALL /* (or *); everything else is a route a client can call.
    const served = new Set(
      createApp(daemon.context)
        .routes.filter((route) => route.path !== '/*' && route.path !== '*')
        .map((route) => `${route.method} ${route.path}`),
    )
    expect(served.size).toBeGreaterThan(40)
    const contracted = new Set(Object.keys(API_CONTRACT))
    expect(
      [...served].filter((route) => !contracted.has(route)),
      'routes served without a contract entry: add them to src/api/*.ts',
    ).toEqual([])
    expect(
      [...contracted].filter((route) => !served.has(route)),
      'contract entries no route serves',
    ).toEqual([])
  })

  it('documents every route with its schemas', () => {
    const documented = readFileSync(path.join(root, 'docs/api.md'), 'utf8')
    for (const [route, definition] of Object.entries(API_CONTRACT) as Array<[string, RouteDefinition]>) {
      const section = documented.split(`### \`${route}\``)[1]?.split('\n### ')[0]
      expect(section, `${route} is missing from docs/api.md: run \`npm run docs:api\``).toBeDefined()
      if (definition.body) expect(section, route).toContain('Body:')
      if (definition.query) expect(section, route).toContain('Query:')
      if (definition.response) expect(section, route).toContain('Answer:')
    }
  })

  it('is what scripts/api-doc.mjs generates from the contract now', () => {
    // Exits 1 with "docs/api.md is out of date" when a route, permission or schema changed without `npm run docs:api`.
    expect(() => execFileSync(process.execPath, [path.join(root, 'scripts/api-doc.mjs'), '--check'], {encoding: 'utf8', stdio: 'pipe'})).not.toThrow()
  })
})

describe('the repo explains itself', () => {
  it('no source comment cites a document outside the repo (SPEC §, any §, SPEC.md, BENCHMARKS, DESIGN.md)', () => {
    // git grep exits 1 when nothing matches; --untracked also reads files not yet committed.
    const grep = spawnSync('git', ['grep', '--untracked', '-n', '-E', '§|SPEC\\.md|BENCHMARKS|DESIGN\\.md|signet-reference', '--', 'src', 'scripts', 'bin'], {
      cwd: root,
      encoding: 'utf8',
    })
    expect(grep.status === 0 || grep.status === 1, grep.stderr).toBe(true)
    const offenders = grep.stdout.trim()
    expect(offenders, 'cite SECURITY.md, docs/architecture.md, docs/api.md or bench/README.md, or explain inline').toBe('')
  })
})
