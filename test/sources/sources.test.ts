import {mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import fc from 'fast-check'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {chunkLines} from '../../src/store/sources.js'
import {startTestDaemon, type TestDaemon, sqliteDatabaseOf} from '../helpers/daemon.js'

/** Real daemon, real folder of files in a temp dir: add, search by path:line, edit, reindex, remove. */

let daemon: TestDaemon
let folder: string
let outside: string
const GITHUB_TOKEN = 'ghp_0123456789abcdefghijklmnopqrstuvwxyz'

function write(relative: string, text: string): void {
  const file = path.join(folder, relative)
  mkdirSync(path.dirname(file), {recursive: true})
  writeFileSync(file, text)
}

const filler = (count: number, word: string) => Array.from({length: count}, (_, index) => `// ${word} line ${index}`).join('\n')

async function keyFor(role: 'admin' | 'operator' | 'agent' | 'readonly', extra: Record<string, unknown> = {}): Promise<string> {
  const created = await daemon.request('POST', '/api/auth/api-keys', {body: {name: `sources ${role} ${Math.random()}`, role, ...extra}})
  expect(created.status).toBe(201)
  return created.body.apiKey.key as string
}

async function search(query: string, headers: Record<string, string> = {}, extra: Record<string, unknown> = {}) {
  return daemon.request('POST', '/api/sources/search', {body: {query, ...extra}, headers})
}

beforeAll(async () => {
  daemon = await startTestDaemon({agentYaml: 'sources:\n  scanIntervalSeconds: 0\n'})
  folder = mkdtempSync(path.join(tmpdir(), 'signet-source-'))
  outside = mkdtempSync(path.join(tmpdir(), 'signet-outside-'))
  write('.gitignore', 'build/\n*.log\n')
  write('build/output.js', 'const zebracorn = "ignored build output"\n')
  write('debug.log', 'zebracorn in a log\n')
  write('docs/guide.md', ['# Guide', '', 'Intro text.', '', '## Deploying', '', 'Run the flamingo deploy script after tagging a release.', ''].join('\n'))
  write(
    'src/app.ts',
    [filler(50, 'setup'), '', 'export function chargeInvoice(total: number) {', '  return applyPelicanDiscount(total)', '}', '', filler(10, 'tail')].join('\n'),
  )
  write('src/config.ts', `export const token = '${GITHUB_TOKEN}' // marmoset credentials\n`)
  write('image.png', Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0]), Buffer.from('zebracorn')]).toString('latin1'))
  write('nested/.gitignore', 'secret-notes.txt\n')
  write('nested/secret-notes.txt', 'zebracorn nested ignore\n')
  write('.env', 'API=zebracorn\n')
  writeFileSync(path.join(outside, 'escape.md'), 'zebracorn outside the source\n')
  symlinkSync(outside, path.join(folder, 'linked-dir'))
  symlinkSync(path.join(outside, 'escape.md'), path.join(folder, 'linked-file.md'))
})

afterAll(async () => {
  await daemon.stop()
  rmSync(folder, {recursive: true, force: true})
  rmSync(outside, {recursive: true, force: true})
})

describe('sources: add, search, reindex, remove', () => {
  it('adds a folder and finds the right path:line; ignored, binary, dotenv and linked files are absent', async () => {
    const added = await daemon.request('POST', '/api/sources', {body: {path: folder, name: 'proj'}})
    expect(added.status, JSON.stringify(added.body)).toBe(201)
    expect(added.body.source).toMatchObject({name: 'proj', files: 5, skipped: {binary: 1, 'secret-file': 1}})
    const indexed = sqliteDatabaseOf(daemon).prepare("SELECT path FROM source_files WHERE source = 'proj' ORDER BY path").all() as Array<{path: string}>
    expect(indexed.map((row) => row.path)).toEqual(['.gitignore', 'docs/guide.md', 'nested/.gitignore', 'src/app.ts', 'src/config.ts'])

    const code = await search('pelican discount')
    expect(code.status).toBe(200)
    expect(code.body.hits[0]).toMatchObject({source: 'proj', path: 'src/app.ts'})
    const hit = code.body.hits[0]
    // The function sits on lines 52-54: the chunk holding it must cover them.
    expect(hit.startLine).toBeLessThanOrEqual(53)
    expect(hit.endLine).toBeGreaterThanOrEqual(53)
    expect(hit.snippet).toContain('applyPelicanDiscount')
    expect(hit.line).toBe(53)

    const docs = await search('flamingo deploy')
    expect(docs.body.hits[0]).toMatchObject({path: 'docs/guide.md', startLine: 1, endLine: 7})

    // Only ever matched in files that must not be indexed.
    expect((await search('zebracorn')).body.hits).toEqual([])
  })

  it('redacts a secret in a file before it is stored', async () => {
    const found = await search('marmoset credentials')
    expect(found.body.hits[0].path).toBe('src/config.ts')
    expect(found.body.hits[0].snippet).toContain('[REDACTED')
    expect(JSON.stringify(found.body)).not.toContain(GITHUB_TOKEN)
    const stored = sqliteDatabaseOf(daemon).prepare('SELECT group_concat(content) AS text FROM source_chunks').get() as {text: string}
    expect(stored.text).not.toContain(GITHUB_TOKEN)
  })

  it('lists the source with counts and what was skipped', async () => {
    const listed = await daemon.request('GET', '/api/sources')
    expect(listed.body.scope).toBe('workspace')
    expect(listed.body.sources).toHaveLength(1)
    expect(listed.body.sources[0]).toMatchObject({name: 'proj', files: 5, skipped: {binary: 1, 'secret-file': 1}})
    expect(listed.body.sources[0].skippedExamples.map((example: {path: string}) => example.path).sort()).toEqual(['.env', 'image.png'])
  })

  it('an edited file is re-read on reindex: the new content is found, the old is gone; a deleted file disappears', async () => {
    write('docs/guide.md', ['# Guide', '', 'Run the albatross rollout script instead.', ''].join('\n'))
    // Same size and mtime would look unchanged: move the mtime as any editor does.
    const later = new Date(Date.now() + 5000)
    utimesSync(path.join(folder, 'docs/guide.md'), later, later)
    rmSync(path.join(folder, 'src/config.ts'))
    const reindexed = await daemon.request('POST', '/api/sources/proj/reindex')
    expect(reindexed.status).toBe(200)
    expect(reindexed.body.report).toMatchObject({changed: 1, removed: 1, unchanged: 3})
    expect((await search('albatross rollout')).body.hits[0]).toMatchObject({path: 'docs/guide.md', startLine: 1, endLine: 3})
    expect((await search('flamingo')).body.hits).toEqual([])
    expect((await search('marmoset')).body.hits).toEqual([])
    // Nothing changed: nothing re-read.
    const again = await daemon.request('POST', '/api/sources/proj/reindex')
    expect(again.body.report).toMatchObject({changed: 0, removed: 0, unchanged: 4})
  })

  it('the background scan picks up a change without being asked', async () => {
    const scanning = await startTestDaemon({agentYaml: 'sources:\n  scanIntervalSeconds: 1\n'})
    const dir = mkdtempSync(path.join(tmpdir(), 'signet-source-scan-'))
    try {
      writeFileSync(path.join(dir, 'notes.md'), 'first draft\n')
      expect((await scanning.request('POST', '/api/sources', {body: {path: dir}})).status).toBe(201)
      writeFileSync(path.join(dir, 'later.md'), 'the heron migration plan\n')
      const deadline = Date.now() + 15_000
      let hits: unknown[] = []
      while (Date.now() < deadline && hits.length === 0) {
        await new Promise((resolve) => setTimeout(resolve, 250))
        hits = (await scanning.request('POST', '/api/sources/search', {body: {query: 'heron migration'}})).body.hits
      }
      expect(hits).toMatchObject([{path: 'later.md', startLine: 1, endLine: 1}])
    } finally {
      await scanning.stop()
      rmSync(dir, {recursive: true, force: true})
    }
  })

  it('--include limits the files indexed', async () => {
    const added = await daemon.request('POST', '/api/sources', {body: {path: path.join(folder, 'docs'), name: 'docs-only', include: ['*.txt']}})
    expect(added.status).toBe(201)
    expect(added.body.source.files).toBe(0)
    expect((await search('albatross', {}, {source: 'docs-only'})).body.hits).toEqual([])
    expect((await daemon.request('DELETE', '/api/sources/docs-only')).status).toBe(200)
  })

  it('removing a source drops its chunks', async () => {
    const removed = await daemon.request('DELETE', '/api/sources/proj')
    expect(removed.status).toBe(200)
    expect((await search('albatross rollout')).body.hits).toEqual([])
    expect((sqliteDatabaseOf(daemon).prepare('SELECT count(*) AS n FROM source_chunks').get() as {n: number}).n).toBe(0)
    expect((await daemon.request('DELETE', '/api/sources/proj')).status).toBe(404)
  })
})

describe('sources: scans that race or meet odd files', () => {
  it('a source removed while its scan runs leaves no chunks behind', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'signet-source-race-'))
    try {
      for (let index = 0; index < 200; index++) writeFileSync(path.join(dir, `note-${index}.md`), `kiwi note ${index}\n`)
      daemon.context.sources.add('race', dir, [])
      const scanning = daemon.context.sources.reindex('race')
      // Let the scan get going (it yields between files), then remove the source under it.
      for (let tick = 0; tick < 20; tick++) await new Promise((resolve) => setImmediate(resolve))
      expect(daemon.context.sources.remove('race')).toBe(true)
      await expect(scanning).rejects.toThrow(/removed during the scan/)
      const left = sqliteDatabaseOf(daemon)
        .prepare("SELECT (SELECT count(*) FROM source_chunks WHERE source = 'race') + (SELECT count(*) FROM source_files WHERE source = 'race') AS n")
        .get() as {n: number}
      expect(left.n).toBe(0)
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })

  it('two adds racing for one name: one 201, the rest 409, never a 500', async () => {
    const dirs = Array.from({length: 4}, () => mkdtempSync(path.join(tmpdir(), 'signet-source-twin-')))
    try {
      const answers = await Promise.all(dirs.map((dir) => daemon.request('POST', '/api/sources', {body: {path: dir, name: 'twin'}})))
      expect(answers.map((answer) => answer.status).sort()).toEqual([201, 409, 409, 409])
      expect((await daemon.request('DELETE', '/api/sources/twin')).status).toBe(200)
    } finally {
      for (const dir of dirs) rmSync(dir, {recursive: true, force: true})
    }
  })

  it('odd file names (only dots, a backslash) do not end the scan', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'signet-source-dots-'))
    try {
      writeFileSync(path.join(dir, '.gitignore'), '*.tmp\n')
      writeFileSync(path.join(dir, '...'), 'dots\n')
      writeFileSync(path.join(dir, 'a\\b.md'), 'backslash\n')
      writeFileSync(path.join(dir, 'real.md'), 'the quokka survey\n')
      const added = await daemon.request('POST', '/api/sources', {body: {path: dir, name: 'dots'}})
      expect(added.status).toBe(201)
      expect(added.body.source.error).toBeNull()
      expect((await search('quokka')).body.hits).toMatchObject([{source: 'dots', path: 'real.md'}])
      expect((await daemon.request('DELETE', '/api/sources/dots')).status).toBe(200)
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })
})

describe('sources: who may do what', () => {
  it('only admins add, reindex and remove; a readonly or agent key can list and search (without the folder path)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'signet-source-auth-'))
    try {
      writeFileSync(path.join(dir, 'readme.md'), 'the ocelot handbook\n')
      const operator = await keyFor('operator')
      const agent = await keyFor('agent', {agentId: 'alpha'})
      const readonly = await keyFor('readonly')
      const admin = await keyFor('admin')
      for (const key of [operator, agent, readonly]) {
        const refused = await daemon.request('POST', '/api/sources', {body: {path: dir}, headers: {authorization: `Bearer ${key}`}})
        expect(refused.status).toBe(403)
        expect(refused.body.code).toBe('permission_denied')
      }
      const added = await daemon.request('POST', '/api/sources', {body: {path: dir, name: 'handbook'}, headers: {authorization: `Bearer ${admin}`}})
      expect(added.status).toBe(201)
      for (const key of [agent, readonly]) {
        const headers = {authorization: `Bearer ${key}`}
        expect((await search('ocelot', headers)).body.hits).toMatchObject([{source: 'handbook', path: 'readme.md'}])
        const listed = await daemon.request('GET', '/api/sources', {headers})
        expect(listed.status).toBe(200)
        expect(listed.body.sources[0].name).toBe('handbook')
        expect(listed.body.sources[0].root).toBeUndefined()
        expect((await daemon.request('POST', '/api/sources/handbook/reindex', {headers})).status).toBe(403)
        expect((await daemon.request('DELETE', '/api/sources/handbook', {headers})).status).toBe(403)
      }
      expect((await daemon.request('DELETE', '/api/sources/handbook')).status).toBe(200)
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })

  it("refuses the daemon's private folder and never indexes it inside a bigger source", async () => {
    const refused = await daemon.request('POST', '/api/sources', {body: {path: daemon.context.paths.daemonDir}})
    expect(refused.status).toBe(400)
    expect(refused.body.field).toBe('path')
    const workspace = await daemon.request('POST', '/api/sources', {body: {path: daemon.workspace, name: 'whole-workspace'}})
    expect(workspace.status).toBe(201)
    const token = daemon.adminToken()
    const leaked = await search(token)
    expect(JSON.stringify(leaked.body.hits)).not.toContain(token)
    const paths = sqliteDatabaseOf(daemon).prepare("SELECT path FROM source_files WHERE source = 'whole-workspace'").all() as Array<{path: string}>
    expect(paths.filter((row) => row.path.startsWith('.daemon'))).toEqual([])
    expect((await daemon.request('DELETE', '/api/sources/whole-workspace')).status).toBe(200)
  })
})

describe('sources: bad input names the field', () => {
  const cases: Array<[string, string, unknown, string]> = [
    ['POST', '/api/sources', {}, 'path'],
    ['POST', '/api/sources', {path: 'relative/dir'}, 'path'],
    ['POST', '/api/sources', {path: '/definitely/not/here'}, 'path'],
    ['POST', '/api/sources', {path: '/etc/hostname'}, 'path'],
    ['POST', '/api/sources', {path: '/'}, 'path'],
    ['POST', '/api/sources', {path: 42}, 'path'],
    ['POST', '/api/sources', {path: '/tmp', name: '../evil'}, 'name'],
    ['POST', '/api/sources', {path: '/tmp', name: 'a\u202Eb'}, 'name'],
    ['POST', '/api/sources', {path: '/tmp', include: 'src/*.ts'}, 'include'],
    ['POST', '/api/sources', {path: '/tmp', include: ['']}, 'include.0'],
    ['POST', '/api/sources', {path: '/tmp', include: ['ok\u0000']}, 'include.0'],
    ['POST', '/api/sources', {path: '/tmp', surprise: true}, 'surprise'],
    ['POST', '/api/sources/search', {}, 'query'],
    ['POST', '/api/sources/search', {query: '   '}, 'query'],
    ['POST', '/api/sources/search', {query: 'x', limit: 0}, 'limit'],
    ['POST', '/api/sources/search', {query: 'x', limit: 'ten'}, 'limit'],
    ['POST', '/api/sources/search', {query: 'x', source: 'no/such'}, 'source'],
    ['POST', '/api/sources/search', {query: 'x'.repeat(2001)}, 'query'],
    ['POST', '/api/sources/bad%20name/reindex', {}, 'name'],
    ['DELETE', '/api/sources/bad%20name', undefined, 'name'],
  ]

  it.each(cases.map(([method, route, body, field]) => [method, route, JSON.stringify(body ?? null).slice(0, 60), body, field] as const))(
    '%s %s %s → 400 naming %s',
    async (method, route, _label, body, field) => {
      const response = await daemon.request(method, route, {body})
      expect(response.status, JSON.stringify(response.body)).toBe(400)
      expect(response.body.field).toBe(field)
      expect(response.body.error).toContain(field.split('.')[0])
    },
  )

  it('hostile bodies on every source route come back as 4xx naming a field, never 5xx', async () => {
    const hostile = fc.oneof(
      fc.string({maxLength: 80}),
      fc.string({unit: 'grapheme', maxLength: 40}),
      fc.integer(),
      fc.constant(null),
      fc.array(fc.string({maxLength: 10}), {maxLength: 3}),
      fc.object({maxDepth: 1}),
    )
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('path', 'name', 'include', 'query', 'limit', 'source'), hostile, async (key, value) => {
        // A missing folder: nothing is ever indexed, whatever else the body says.
        const safe = key === 'path' && typeof value === 'string' && value.startsWith('/') ? `/nonexistent${value}` : value
        const add = await daemon.request('POST', '/api/sources', {body: {path: '/nonexistent/signet-fuzz', [key]: safe}})
        expect(add.status, JSON.stringify(add.body)).toBeGreaterThanOrEqual(400)
        expect(add.status).toBeLessThan(500)
        expect(typeof add.body.field).toBe('string')
        const found = await daemon.request('POST', '/api/sources/search', {body: {query: 'anything', [key]: value}})
        expect(found.status, JSON.stringify(found.body)).toBeLessThan(500)
        if (found.status === 400) expect(found.body.error).toContain(found.body.field)
      }),
      {numRuns: 150},
    )
    expect((await daemon.request('GET', '/health')).status).toBe(200)
  })

  it('operators of FTS syntax in a query are words, not syntax', async () => {
    for (const query of ['"unterminated', 'NEAR(a b', 'a AND OR NOT', '*', 'path:src', '^start']) {
      const response = await search(query)
      expect(response.status, query).toBe(200)
    }
  })

  it('unknown sources are 404, a second source on the same folder or name is 409', async () => {
    expect((await daemon.request('POST', '/api/sources/nope/reindex')).status).toBe(404)
    expect((await search('x', {}, {source: 'nope'})).status).toBe(404)
    const dir = mkdtempSync(path.join(tmpdir(), 'signet-source-dup-'))
    try {
      expect((await daemon.request('POST', '/api/sources', {body: {path: dir, name: 'dup'}})).status).toBe(201)
      const sameName = await daemon.request('POST', '/api/sources', {body: {path: folder, name: 'dup'}})
      expect(sameName.status).toBe(409)
      expect(sameName.body.field).toBe('name')
      const sameDir = await daemon.request('POST', '/api/sources', {body: {path: dir, name: 'other'}})
      expect(sameDir.status).toBe(409)
      expect(sameDir.body.field).toBe('path')
    } finally {
      await daemon.request('DELETE', '/api/sources/dup')
      rmSync(dir, {recursive: true, force: true})
    }
  })
})

describe('chunkLines', () => {
  it('cuts long files into chunks of at most 80 lines, at blank lines or headings, with 1-based ranges', () => {
    const text = Array.from({length: 200}, (_, index) => (index % 45 === 44 ? '' : `line ${index + 1}`)).join('\n')
    const chunks = chunkLines(text)
    for (const chunk of chunks) expect(chunk.endLine - chunk.startLine + 1).toBeLessThanOrEqual(80)
    expect(chunks[0]).toMatchObject({startLine: 1, endLine: 44})
    expect(chunks.at(-1)!.endLine).toBe(200)
    const covered = chunks.flatMap((chunk) => chunk.text.split('\n'))
    expect(covered.filter((line) => line !== '')).toHaveLength(200 - 4)
    const markdown = ['# A', ...Array.from({length: 9}, () => 'text'), '# B', 'more'].join('\n')
    expect(chunkLines(markdown).map((chunk) => [chunk.startLine, chunk.endLine])).toEqual([
      [1, 10],
      [11, 12],
    ])
  })
})
