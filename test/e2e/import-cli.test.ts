import {writeFileSync} from 'node:fs'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {freePort, runCli} from '../helpers/cli.js'
import {makeTempHome, type TempHome} from '../helpers/temp-home.js'
import {type BackendStorage, useBackend} from '../helpers/test-backend.js'

/*
 * `signet import` end to end: the built CLI against a daemon it started, files in a temp HOME.
 * Large enough to need several batches (the daemon takes at most 5,000 memories or 1 MiB per request).
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

const file = (name: string, text: string) => {
  const target = path.join(temp.home, name)
  writeFileSync(target, text)
  return target
}

describe('signet import and export', () => {
  it('imports 12,000 JSON Lines memories in batches, is idempotent, and they are recallable', async () => {
    const lines = Array.from({length: 12_000}, (_, index) =>
      JSON.stringify({content: `Import fixture ${index}: service-${index % 97} listens on port ${3000 + index}`, tags: ['fixture']}),
    )
    lines.splice(5, 0, '', JSON.stringify('The release train leaves every second Thursday'))
    const jsonl = file('bulk.jsonl', `${lines.join('\n')}\n`)
    const first = await runCli(['import', jsonl, '--json', '--tags', 'bulk'], {env, timeoutMs: 120_000})
    expect(first.stderr).toBe('')
    expect(first.code).toBe(0)
    expect(JSON.parse(first.stdout)).toMatchObject({read: 12_001, imported: 12_001, deduped: 0, batches: 3})

    const again = await runCli(['import', jsonl], {env, timeoutMs: 120_000})
    expect(again.code).toBe(0)
    expect(again.stdout).toMatch(/Imported 0 memories \(12,001 already known\)/)

    const recall = await runCli(['recall', 'when does the release train leave', '--json'], {env})
    const hits = JSON.parse(recall.stdout).results as Array<{content: string; tags: string[]}>
    expect(hits[0]).toMatchObject({content: 'The release train leaves every second Thursday', tags: ['bulk']})
    const status = JSON.parse((await runCli(['daemon', 'status', '--json'], {env})).stdout)
    expect(status.memoryCount).toBe(12_001)
  })

  it('reads a JSON array, applies --project to items without one, and keeps createdAt', async () => {
    const json = file(
      'export.json',
      JSON.stringify({
        memories: [
          {content: 'Checkout uses Stripe webhooks with a 5 minute tolerance', createdAt: '2023-06-01T09:00:00Z'},
          {content: 'Search runs on OpenSearch 2.11', project: 'github.com/acme/search'},
        ],
      }),
    )
    const run = await runCli(['import', json, '--project', 'github.com/acme/shop'], {env})
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(/Imported 2 memories from/)
    const shop = JSON.parse((await runCli(['recall', 'stripe webhook tolerance', '--project', 'github.com/acme/shop', '--json'], {env})).stdout)
    expect(shop.results[0]).toMatchObject({project: 'github.com/acme/shop', createdAt: '2023-06-01T09:00:00.000Z'})
    const search = JSON.parse((await runCli(['recall', 'opensearch version', '--project', 'github.com/acme/search', '--json'], {env})).stdout)
    expect(search.results[0].content).toBe('Search runs on OpenSearch 2.11')
  })

  it('names the file line of a bad memory, and a line that is not JSON, storing nothing of that batch', async () => {
    const bad = await runCli(['import', file('bad.jsonl', '{"content":"a perfectly fine line about caching"}\n{"content":"x","importance":3}\n')], {env})
    expect(bad.code).toBe(1)
    expect(bad.stderr).toMatch(/bad\.jsonl:2: importance: .*/)
    const broken = await runCli(['import', file('broken.jsonl', '{"content":"fine"}\n\n{oops\n')], {env})
    expect(broken.code).toBe(1)
    expect(broken.stderr).toMatch(/broken\.jsonl:3: not JSON/)
    const recall = JSON.parse((await runCli(['recall', 'perfectly fine line about caching', '--json'], {env})).stdout)
    expect(recall.results.map((hit: {content: string}) => hit.content)).not.toContain('a perfectly fine line about caching')
    const missing = await runCli(['import', path.join(temp.home, 'nope.jsonl')], {env})
    expect(missing.code).toBe(1)
    expect(missing.stderr).toMatch(/cannot read .*nope\.jsonl: ENOENT/)
  })

  it('export writes what import reads: a round trip into a second workspace keeps content, tags, project and dates', async () => {
    const exported = path.join(temp.home, 'out.jsonl')
    const run = await runCli(['export', '--project', 'github.com/acme/shop', '--output', exported], {env})
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(/Exported 1 memory of 1 agent to .*out\.jsonl/)
    const toStdout = await runCli(['export', '--tags', 'bulk'], {env, timeoutMs: 60_000})
    expect(toStdout.stdout.trim().split('\n')).toHaveLength(12_001)
    expect(JSON.parse(toStdout.stdout.split('\n')[0])).toMatchObject({content: expect.stringMatching(/^Import fixture 0:/), tags: ['fixture', 'bulk']})

    const asJson = JSON.parse((await runCli(['export', '--project', 'github.com/acme/shop', '--json'], {env})).stdout)
    expect(asJson.memories).toEqual([
      {
        content: 'Checkout uses Stripe webhooks with a 5 minute tolerance',
        type: 'fact',
        tags: [],
        importance: 0.5,
        pinned: false,
        project: 'github.com/acme/shop',
        createdAt: '2023-06-01T09:00:00.000Z',
        agentId: 'default',
      },
    ])

    const other = makeTempHome()
    const otherEnv = {...other.env, SIGNET_PORT: String(await freePort())}
    const otherBackend = await useBackend(other.workspace)
    try {
      expect((await runCli(['daemon', 'start'], {env: otherEnv})).code).toBe(0)
      expect((await runCli(['import', exported], {env: otherEnv})).stdout).toMatch(/Imported 1 memories/)
      const recall = JSON.parse((await runCli(['recall', 'stripe webhook tolerance', '--json'], {env: otherEnv})).stdout)
      expect(recall.results[0]).toMatchObject({
        content: 'Checkout uses Stripe webhooks with a 5 minute tolerance',
        project: 'github.com/acme/shop',
        createdAt: '2023-06-01T09:00:00.000Z',
      })
    } finally {
      await runCli(['daemon', 'stop'], {env: otherEnv})
      await otherBackend.drop()
      other.cleanup()
    }
    expect((await runCli(['import', exported], {env})).stdout).toMatch(/Imported 0 memories \(1 already known\)/)
  })
})
