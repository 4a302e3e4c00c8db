import {execFileSync, spawnSync} from 'node:child_process'
import {readFileSync} from 'node:fs'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {createApp} from '../../src/daemon/app.js'
import {startTestDaemon, type TestDaemon} from '../helpers/daemon.js'

const root = path.resolve(import.meta.dirname, '../..')

describe('docs/api.md', () => {
  let daemon: TestDaemon
  beforeAll(async () => {
    daemon = await startTestDaemon()
  })
  afterAll(async () => {
    await daemon?.stop()
  })

  it('documents every route the live app serves', () => {
    const documented = readFileSync(path.join(root, 'docs/api.md'), 'utf8')
    // Middleware registers as ALL /* (or *); everything else is a route a client can call.
    const served = createApp(daemon.context).routes.filter((route) => route.path !== '/*' && route.path !== '*')
    expect(served.length).toBeGreaterThan(40)
    const missing = served.map((route) => `${route.method} ${route.path}`).filter((route) => !documented.includes(`### \`${route}\``))
    expect(missing, 'routes missing from docs/api.md: register them in src/daemon/routes/*.ts and run `npm run docs:api`').toEqual([])
  })

  it('is what scripts/api-doc.mjs generates from the route modules now', () => {
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
