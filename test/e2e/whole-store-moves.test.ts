import {mkdirSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import Database from 'better-sqlite3'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {freePort, runCli} from '../helpers/cli.js'
import {storedRows} from '../helpers/daemon.js'
import {makeTempHome, type TempHome} from '../helpers/temp-home.js'
import {type BackendStorage, useBackend, withWorkspaceStorage} from '../helpers/test-backend.js'

/*
 * Whole-store moves through the built CLI and a daemon it started: `export` of every agent (the
 * total `status` counts), an export → import round trip that keeps each memory's agent, and
 * imports from the stores people leave (claude-mem's SQLite, mem0's export JSON, basic-memory's
 * Markdown folder), each with a dry run first.
 */

let temp: TempHome
let env: NodeJS.ProcessEnv
let backend: BackendStorage

beforeAll(async () => {
  temp = makeTempHome()
  env = {...temp.env, SIGNET_PORT: String(await freePort())}
  backend = await useBackend(temp.workspace)
  expect((await runCli(['daemon', 'start'], {env})).code).toBe(0)
})

afterAll(async () => {
  await runCli(['daemon', 'stop'], {env})
  await backend?.drop()
  temp.cleanup()
})

const inHome = (name: string) => path.join(temp.home, name)

async function json(args: string[], environment = env) {
  const run = await runCli([...args, '--json'], {env: environment, timeoutMs: 60_000})
  expect(run.stderr).toBe('')
  expect(run.code).toBe(0)
  return JSON.parse(run.stdout)
}

describe('signet export of the whole store', () => {
  it("exports every agent by default, says so, matches status, and round-trips each memory's agent", async () => {
    const seeded: Array<[string, string]> = [
      ['default', 'The staging database listens on port 5433'],
      ['default', 'Deploys go out on Tuesdays'],
      ['reviewer', 'Reviews block on failing lint'],
      ['reviewer', 'Reviewer prefers small pull requests'],
      ['reviewer', 'Reviewer checks migrations twice'],
      ['planner', 'The Q3 plan puts search first'],
      ['planner', 'Planner keeps milestones to two weeks'],
      ['planner', 'Planner tracks risks in the tracker'],
    ]
    const remembered = await Promise.all(seeded.map(([agent, content]) => runCli(['remember', content, '--agent-id', agent], {env})))
    expect(remembered.map((run) => run.code)).toEqual(seeded.map(() => 0))
    const status = await json(['daemon', 'status'])
    expect(status.memoryCount).toBe(8)

    // recall for the default agent finds nothing about reviews, but says where the matches are.
    const recall = await runCli(['recall', 'small pull requests'], {env})
    expect(recall.code).toBe(0)
    expect(recall.stdout).toMatch(/No memories match "small pull requests" for agent 'default'\./)
    // How many match depends on the ranking (keyword-only here); where they are does not.
    expect(recall.stdout).toMatch(/(\d+) memor(y matches|ies match) under other agents: reviewer \(\1\) — add --agent-id reviewer to search there\./)
    expect((await json(['recall', 'small pull requests'])).otherAgents).toEqual([{agentId: 'reviewer', matches: expect.any(Number)}])
    expect((await runCli(['recall', 'small pull requests', '--agent-id', 'planner'], {env})).stdout).not.toMatch(/other agents/)

    const out = inHome('all.jsonl')
    const run = await runCli(['export', '--output', out], {env})
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(/✓ Exported 8 memories of 3 agents to .*all\.jsonl/)
    const toStdout = await runCli(['export'], {env})
    expect(toStdout.stdout.trim().split('\n')).toHaveLength(8)
    expect(toStdout.stderr).toMatch(/Exported 8 memories of 3 agents/)
    const narrowed = await runCli(['export', '--agent-id', 'reviewer'], {env})
    expect(narrowed.stdout.trim().split('\n')).toHaveLength(3)
    expect(narrowed.stderr).toMatch(/Exported 3 memories of agent 'reviewer'/)
    expect((await runCli(['export', '--all-agents', '--agent-id', 'reviewer'], {env})).code).toBe(1)

    const other = makeTempHome()
    const otherEnv = {...other.env, SIGNET_PORT: String(await freePort())}
    const otherBackend = await useBackend(other.workspace)
    try {
      expect((await runCli(['daemon', 'start'], {env: otherEnv})).code).toBe(0)
      const imported = await runCli(['import', out], {env: otherEnv})
      expect(imported.stdout).toMatch(/Imported 8 memories into 3 agents/)
      const back = (await json(['export'], otherEnv)).memories as Array<{agentId: string; content: string}>
      const byAgent = (agent: string) =>
        back
          .filter((memory) => memory.agentId === agent)
          .map((memory) => memory.content)
          .sort()
      for (const agent of ['default', 'reviewer', 'planner']) {
        expect(byAgent(agent)).toEqual(
          seeded
            .filter(([owner]) => owner === agent)
            .map(([, content]) => content)
            .sort(),
        )
      }
      const recall = await json(['recall', 'small pull requests', '--agent-id', 'reviewer'], otherEnv)
      expect(recall.results[0].content).toBe('Reviewer prefers small pull requests')
    } finally {
      await runCli(['daemon', 'stop'], {env: otherEnv})
      await otherBackend.drop()
      other.cleanup()
    }
  }, 180_000)

  it('a key scoped to one agent exports only that agent and its import lands in that agent', async () => {
    const key = (await json(['api-key', 'create', '--name', 'planner-box', '--agent-id', 'planner'])).apiKey.key as string
    const scopedEnv = {...env, SIGNET_API_KEY: key, SIGNET_DAEMON_URL: `http://127.0.0.1:${env.SIGNET_PORT}`}
    const run = await runCli(['export'], {env: scopedEnv})
    expect(run.code).toBe(0)
    expect(run.stdout.trim().split('\n')).toHaveLength(3)
    expect(run.stderr).toMatch(/Exported 3 memories of agent 'planner'/)
    expect((await runCli(['export', '--all-agents'], {env: scopedEnv})).stderr).toMatch(/scoped to agent 'planner'/)

    const foreign = inHome('foreign.jsonl')
    writeFileSync(foreign, `${JSON.stringify({content: 'Planner imported a note meant for reviewer', agentId: 'reviewer'})}\n`)
    expect((await runCli(['import', foreign], {env: scopedEnv})).code).toBe(0)
    const planner = await json(['recall', 'note meant for reviewer', '--agent-id', 'planner'])
    expect(planner.results[0]?.content).toBe('Planner imported a note meant for reviewer')
    const reviewer = await json(['recall', 'note meant for reviewer', '--agent-id', 'reviewer'])
    expect(reviewer.results.map((hit: {content: string}) => hit.content)).not.toContain('Planner imported a note meant for reviewer')
  }, 180_000)
})

describe('signet import --from the stores people leave', () => {
  it('claude-mem: reads observations and session summaries read-only, dry run first', async () => {
    const dbFile = inHome('claude-mem.db')
    const db = new Database(dbFile)
    db.exec(`
      CREATE TABLE sdk_sessions (id INTEGER PRIMARY KEY AUTOINCREMENT, content_session_id TEXT UNIQUE NOT NULL, memory_session_id TEXT UNIQUE,
        project TEXT NOT NULL, started_at TEXT NOT NULL, started_at_epoch INTEGER NOT NULL, status TEXT NOT NULL DEFAULT 'active');
      CREATE TABLE observations (id INTEGER PRIMARY KEY AUTOINCREMENT, memory_session_id TEXT NOT NULL, project TEXT NOT NULL, text TEXT,
        type TEXT NOT NULL, title TEXT, subtitle TEXT, facts TEXT, narrative TEXT, concepts TEXT, files_read TEXT, files_modified TEXT,
        prompt_number INTEGER, created_at TEXT NOT NULL, created_at_epoch INTEGER NOT NULL);
      CREATE TABLE session_summaries (id INTEGER PRIMARY KEY AUTOINCREMENT, memory_session_id TEXT NOT NULL, project TEXT NOT NULL,
        request TEXT, investigated TEXT, learned TEXT, completed TEXT, next_steps TEXT, files_read TEXT, files_edited TEXT, notes TEXT,
        prompt_number INTEGER, created_at TEXT NOT NULL, created_at_epoch INTEGER NOT NULL);
    `)
    const observe =
      db.prepare(`INSERT INTO observations (memory_session_id, project, type, title, narrative, facts, concepts, files_modified, created_at, created_at_epoch)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
    observe.run(
      's1',
      'shop',
      'bugfix',
      'Fixed checkout rounding',
      'Totals were rounded per line instead of per order.',
      '["Round once per order","Use integer cents"]',
      '["money","checkout"]',
      '["src/cart.ts"]',
      '2025-03-01T10:00:00.000Z',
      1740823200000,
    )
    observe.run(
      's1',
      'shop',
      'decision',
      'Chose Postgres advisory locks',
      'Advisory locks serialise the nightly settlement job.',
      '[]',
      '["locking"]',
      '[]',
      '2025-03-02T10:00:00.000Z',
      1740909600000,
    )
    observe.run('s2', 'search', 'discovery', 'OpenSearch needs 4 GB heap', null, '["The cluster OOMs below 4 GB"]', 'not json', null, '', 1741000000000)
    observe.run('s2', 'search', 'change', '', '   ', '[]', '[]', '[]', '2025-03-04T10:00:00.000Z', 1741082400000)
    db.prepare(
      `INSERT INTO session_summaries (memory_session_id, project, request, learned, next_steps, created_at, created_at_epoch) VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ).run('s1', 'shop', 'Fix checkout totals', 'Per-line rounding drifts by a cent', 'Add a property test', '2025-03-01T11:00:00.000Z', 1740826800000)
    db.close()

    const dry = await runCli(['import', '--from', 'claude-mem', dbFile, '--dry-run'], {env})
    expect(dry.code).toBe(0)
    expect(dry.stdout).toMatch(/Dry run: would import 4 memories from .*claude-mem\.db \(nothing written\)/)
    expect(dry.stdout).toMatch(/by type: +bugfix 1, decision 1, discovery 1, summary 1/)
    expect(dry.stdout).toMatch(/by project: shop 3, search 1/)
    expect(dry.stdout).toMatch(/top tags: +claude-mem 4,/)
    expect(dry.stdout).toMatch(/skipped 1: no text/)
    expect(dry.stdout).toMatch(/observations row 4: no text/)
    const dryJson = await json(['import', '--from', 'claude-mem', dbFile, '--dry-run'])
    expect(dryJson.memories).toBe(4)
    expect(dryJson.samples[0]).toMatchObject({
      type: 'bugfix',
      project: 'shop',
      createdAt: '2025-03-01T10:00:00.000Z',
      tags: ['claude-mem', 'money', 'checkout'],
    })
    expect((await json(['recall', 'checkout rounding'])).results.map((hit: {content: string}) => hit.content).join()).not.toMatch(/rounded per line/)

    const real = await json(['import', '--from', 'claude-mem', dbFile])
    expect(real).toMatchObject({from: 'claude-mem', read: 4, skipped: 1, imported: 4, deduped: 0})
    const hit = (await json(['recall', 'checkout rounding per order', '--project', 'shop'])).results[0]
    expect(hit.content).toMatch(
      /^Fixed checkout rounding\nTotals were rounded per line instead of per order\.\n- Round once per order\n- Use integer cents\nFiles: src\/cart\.ts$/,
    )
    expect(hit).toMatchObject({type: 'bugfix', project: 'shop', createdAt: '2025-03-01T10:00:00.000Z'})
    // Provenance: the daemon records which store each memory came from.
    const stored = await withWorkspaceStorage(temp.workspace, async (storage) => (await storedRows(storage, 'memories')).find((row) => row.id === hit.id))
    expect(stored).toMatchObject({source: 'import:claude-mem'})
    const listed = await json(['export', '--project', 'search'])
    expect(listed.memories[0]).toMatchObject({type: 'discovery', createdAt: new Date(1741000000000).toISOString(), tags: ['claude-mem', 'not json']})
    expect((await json(['import', '--from', 'claude-mem', dbFile])).deduped).toBe(4)

    writeFileSync(inHome('not-a-db.db'), 'hello')
    const bad = await runCli(['import', '--from', 'claude-mem', inHome('not-a-db.db')], {env})
    expect(bad.code).toBe(1)
    expect(bad.stderr).toMatch(/not-a-db\.db.*(not a SQLite database|cannot open)/)
  }, 180_000)

  it('mem0: reads {"results": [...]} exports, skips empty items, names a malformed item', async () => {
    const file = inHome('mem0.json')
    writeFileSync(
      file,
      JSON.stringify(
        {
          results: [
            {
              id: 'a1',
              memory: 'Prefers dark roast coffee',
              user_id: 'alex',
              categories: ['food', 'preferences'],
              metadata: {type: 'preference'},
              created_at: '2024-07-01T08:00:00-07:00',
              updated_at: null,
            },
            {
              id: 'a2',
              memory: 'Works at TechCorp as a senior engineer',
              user_id: 'alex',
              categories: ['professional_details'],
              metadata: null,
              created_at: '2024-07-02T08:00:00Z',
            },
            {id: 'a3', memory: '', user_id: 'alex', created_at: '2024-07-03T08:00:00Z'},
            {id: 'a4', memory: 'Lives in Lisbon', metadata: {project: 'relocation', type: 'Personal Info!'}, created_at: 'yesterday'},
          ],
        },
        null,
        2,
      ),
    )
    const dry = await runCli(['import', '--from', 'mem0', file, '--dry-run'], {env})
    expect(dry.code).toBe(0)
    expect(dry.stdout).toMatch(/would import 3 memories/)
    expect(dry.stdout).toMatch(/by type: +fact 2, preference 1/)
    expect(dry.stdout).toMatch(/mem0\.json: item 3: no text/)
    const real = await json(['import', '--from', 'mem0', file])
    expect(real).toMatchObject({read: 3, imported: 3, skipped: 1})
    const hit = (await json(['recall', 'coffee roast'])).results[0]
    expect(hit).toMatchObject({
      content: 'Prefers dark roast coffee',
      type: 'preference',
      tags: ['mem0', 'food', 'preferences'],
      createdAt: '2024-07-01T15:00:00.000Z',
    })
    const lisbon = (await json(['recall', 'Lisbon', '--project', 'relocation'])).results[0]
    expect(lisbon.tags).toEqual(['mem0', 'personal_info!'])

    writeFileSync(inHome('mem0-bad.json'), '{"results": [\n  {"memory": "ok"},\n  {"memory": 42}\n]}')
    const wrongType = await runCli(['import', '--from', 'mem0', inHome('mem0-bad.json')], {env})
    expect(wrongType.code).toBe(1)
    expect(wrongType.stderr).toMatch(/mem0-bad\.json: item 2: "memory" must be text/)
    writeFileSync(inHome('mem0-broken.json'), '{"results": [\n  {"memory": "ok"},\n  {"memory": "oops"\n]}')
    const broken = await runCli(['import', '--from', 'mem0', inHome('mem0-broken.json')], {env})
    expect(broken.code).toBe(1)
    expect(broken.stderr).toMatch(/mem0-broken\.json:4: not valid JSON/)
  }, 180_000)

  it('basic-memory: observations become typed memories, prose one note, relations left out', async () => {
    const folder = inHome('basic-memory')
    mkdirSync(path.join(folder, 'design'), {recursive: true})
    mkdirSync(path.join(folder, '.obsidian'), {recursive: true})
    writeFileSync(path.join(folder, '.obsidian', 'ignored.md'), '- [secret] never imported')
    writeFileSync(
      path.join(folder, 'design', 'auth.md'),
      [
        '---',
        'title: Authentication Design',
        'type: note',
        'tags: [auth, security]',
        'permalink: authentication-design',
        'created: 2024-05-01T09:00:00Z',
        '---',
        '# Authentication Design',
        '',
        'We moved from sessions to tokens in spring.',
        '',
        '## Observations',
        '- [decision] Using JWT tokens for stateless authentication #backend',
        '- [constraint] Tokens expire after 15 minutes (limits exposure)',
        '- [ ] a task box, not an observation',
        '',
        '## Relations',
        '- implements [[API Security Requirements]]',
      ].join('\n'),
    )
    writeFileSync(path.join(folder, 'coffee.md'), '- [method] Pour over gives more clarity than French press #brewing\n')
    writeFileSync(path.join(folder, 'empty.md'), '---\ntitle: Empty\n---\n\n## Relations\n- relates_to [[Coffee]]\n')

    const dry = await runCli(['import', '--from', 'basic-memory', folder, '--dry-run'], {env})
    expect(dry.code).toBe(0)
    expect(dry.stdout).toMatch(/would import 4 memories/)
    expect(dry.stdout).toMatch(/by type: +constraint 1, decision 1, method 1, note 1/)
    expect(dry.stdout).not.toMatch(/secret/)
    const real = await json(['import', '--from', 'basic-memory', folder])
    expect(real).toMatchObject({read: 4, imported: 4})
    const jwt = (await json(['recall', 'JWT stateless authentication'])).results[0]
    expect(jwt).toMatchObject({
      content: 'Authentication Design: Using JWT tokens for stateless authentication #backend',
      type: 'decision',
      tags: ['basic-memory', 'auth', 'security', 'backend'],
      createdAt: '2024-05-01T09:00:00.000Z',
    })
    const note = (await json(['recall', 'moved from sessions to tokens'])).results[0]
    expect(note.content).toMatch(/^Authentication Design\n\nWe moved from sessions to tokens in spring\./)
    expect(note.content).not.toMatch(/JWT|implements|Observations/)

    writeFileSync(path.join(folder, 'broken.md'), '---\ntitle: Broken\ntags: [a, b\n---\nbody\n')
    const broken = await runCli(['import', '--from', 'basic-memory', folder, '--dry-run'], {env})
    expect(broken.code).toBe(1)
    expect(broken.stderr).toMatch(/broken\.md:\d+: frontmatter is not valid YAML/)
  }, 180_000)
})
