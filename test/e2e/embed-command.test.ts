import {writeFileSync} from 'node:fs'
import path from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {initWorkspace} from '../../src/config/workspace.js'
import {workspacePaths} from '../../src/config/paths.js'
import {type RunningServer, startServer} from '../../src/daemon/server.js'
import {openDatabase} from '../../src/store/db.js'
import {MemoryStore} from '../../src/store/memories.js'
import {type EmbeddingService, startEmbeddingService} from '../embed/embedding-service.js'
import {runCli} from '../helpers/cli.js'
import {makeTempHome, type TempHome} from '../helpers/temp-home.js'

/** `signet embed status|backfill` ask the running daemon (GET /api/embedding/status, POST /api/embedding/backfill). */

let temp: TempHome
let daemon: RunningServer | undefined
let service: EmbeddingService | undefined

beforeEach(() => {
  temp = makeTempHome()
  initWorkspace(temp.workspace)
  const db = openDatabase(workspacePaths(temp.workspace).dbPath)
  const store = new MemoryStore(db)
  for (let i = 0; i < 300; i++) store.remember({content: `imported note ${i} about the release train`, agentId: 'default'})
  db.close()
})

afterEach(async () => {
  await daemon?.close()
  daemon = undefined
  await service?.close()
  service = undefined
  temp.cleanup()
})

async function startWith(embedding: string[]): Promise<void> {
  writeFileSync(path.join(temp.workspace, 'agent.yaml'), ['version: 1', 'embedding:', ...embedding.map((line) => `  ${line}`), ''].join('\n'))
  daemon = await startServer({workspace: temp.workspace, port: 0})
}

const status = async () => {
  const run = await runCli(['embed', 'status', '--json'], {env: temp.env})
  expect(run.code, run.stderr).toBe(0)
  return JSON.parse(run.stdout)
}

describe('signet embed', () => {
  it('backfill embeds what is missing through the daemon, with progress, and status shows the counts', async () => {
    service = await startEmbeddingService()
    // Failing at first, so the daemon's background indexer has embedded nothing when backfill starts.
    service.failWith = 500
    await startWith(['provider: ollama', `baseUrl: ${service.url}`, 'model: letters'])
    await expect
      .poll(status, {timeout: 10_000})
      .toMatchObject({provider: 'ollama', model: 'letters', indexed: 0, pending: 300, lastError: expect.stringMatching(/500/)})

    service.failWith = undefined
    const run = await runCli(['embed', 'backfill'], {env: temp.env, timeoutMs: 60_000})
    expect(run.code, run.stderr).toBe(0)
    expect(run.stdout).toMatch(/Embedded \d+ memories with ollama\/letters/)
    expect(run.stderr).toMatch(/embedded 0\/300 memories/)
    expect(run.stderr).toMatch(/embedded 300\/300 memories/)

    expect(await status()).toMatchObject({provider: 'ollama', dimensions: 26, indexed: 300, pending: 0})
    const again = await runCli(['embed', 'backfill', '--json'], {env: temp.env})
    expect(JSON.parse(again.stdout)).toMatchObject({embedded: 0, total: 0})
  })

  it('refuses with one actionable line when no provider is configured', async () => {
    await startWith(['provider: none'])
    expect(await status()).toMatchObject({provider: 'none', indexed: 0, pending: 0})
    const run = await runCli(['embed', 'backfill'], {env: temp.env})
    expect(run.code).toBe(1)
    expect(run.stderr.trim().split('\n')).toHaveLength(1)
    expect(run.stderr).toMatch(/embedding\.provider is none/)
  })

  it('stops with a clear line when the embedding service is unreachable', async () => {
    await startWith(['provider: ollama', 'baseUrl: http://127.0.0.1:9'])
    const run = await runCli(['embed', 'backfill'], {env: temp.env})
    expect(run.code).toBe(1)
    expect(run.stderr).toMatch(/backfill stopped: embedding service http:\/\/127\.0\.0\.1:9\/api\/embed is unreachable/)
  })

  it('says to start the daemon instead of opening the database itself', async () => {
    for (const command of [
      ['embed', 'status'],
      ['embed', 'backfill'],
    ]) {
      const run = await runCli(command, {env: temp.env})
      expect(run.code).toBe(1)
      expect(run.stderr).toMatch(/signet daemon start/)
    }
  })
})
