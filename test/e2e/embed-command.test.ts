import {writeFileSync} from 'node:fs'
import path from 'node:path'

import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {initWorkspace} from '../../src/config/workspace.js'
import {workspacePaths} from '../../src/config/paths.js'
import {openDatabase} from '../../src/store/db.js'
import {MemoryStore} from '../../src/store/memories.js'
import {runCli} from '../helpers/cli.js'
import {makeTempHome, type TempHome} from '../helpers/temp-home.js'

let temp: TempHome

beforeEach(() => {
  temp = makeTempHome()
  initWorkspace(temp.workspace)
  const db = openDatabase(workspacePaths(temp.workspace).dbPath)
  const store = new MemoryStore(db)
  for (let i = 0; i < 300; i++) store.remember({content: `imported note ${i} about the release train`, agentId: 'default'})
  db.close()
})

afterEach(() => temp.cleanup())

const setProvider = (provider: string) =>
  writeFileSync(path.join(temp.workspace, 'agent.yaml'), `version: 1\nembedding:\n  provider: ${provider}\n`)

describe('signet embed', () => {
  it('backfill embeds what is missing, with progress, and status shows the counts', async () => {
    setProvider('local')
    const before = await runCli(['embed', 'status', '--json'], {env: temp.env})
    expect(before.code).toBe(0)
    expect(JSON.parse(before.stdout)).toMatchObject({provider: 'local', indexed: 0, pending: 300})

    const run = await runCli(['embed', 'backfill'], {env: temp.env})
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(/Embedded 300 memories with local\/glove-30k-100d/)
    expect(run.stderr).toMatch(/embedded 0\/300 memories/)
    expect(run.stderr).toMatch(/embedded 300\/300 memories/)

    const after = await runCli(['embed', 'status', '--json'], {env: temp.env})
    expect(JSON.parse(after.stdout)).toMatchObject({provider: 'local', dimensions: 100, indexed: 300, pending: 0})
    const again = await runCli(['embed', 'backfill', '--json'], {env: temp.env})
    expect(JSON.parse(again.stdout)).toMatchObject({embedded: 0, total: 0})
  })

  it('refuses with one actionable line when no provider is configured', async () => {
    setProvider('none')
    const run = await runCli(['embed', 'backfill'], {env: temp.env})
    expect(run.code).toBe(1)
    expect(run.stderr.trim().split('\n')).toHaveLength(1)
    expect(run.stderr).toMatch(/embedding\.provider is none/)
  })

  it('stops with a clear line when the embedding service is unreachable, keeping what was stored', async () => {
    setProvider('ollama')
    const run = await runCli(['embed', 'backfill', '--base-url', 'http://127.0.0.1:9'], {env: temp.env})
    expect(run.code).toBe(1)
    expect(run.stderr).toMatch(/backfill stopped: embedding service http:\/\/127\.0\.0\.1:9\/api\/embed is unreachable/)
  })
})
