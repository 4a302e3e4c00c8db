import {mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {startTestDaemon, type TestDaemon} from '../helpers/daemon.js'
import {seedFiller} from './support/corpus.js'
import {runHook} from './support/run-hook.js'

/*
 * Scope (SPEC §6.3) through the hook path: an agent-scoped or project-scoped key, used by a
 * harness on another machine, never gets another agent's (or project's) memories injected.
 */

let daemon: TestDaemon
let repoDir: string
let agentKey: string
let projectKey: string
let admin: Record<string, string>

beforeAll(async () => {
  daemon = await startTestDaemon({agentYaml: 'auth:\n  mode: team\n'})
  const memories = daemon.context.storage.memories
  await seedFiller(memories, 100)
  await seedFiller(memories, 100, 'pi-laptop')
  await memories.remember({
    content: 'Deploys go through the blue-green pipeline on Fridays (default agent secret)',
    agentId: 'default',
    project: 'github.com/acme/api',
    importance: 0.9,
    pinned: true,
  })
  await memories.remember({content: 'Deploys from the laptop use the staging pipeline first', agentId: 'pi-laptop', project: 'github.com/acme/api'})
  await memories.remember({content: 'Deploys for the mobile app go through the app store pipeline', agentId: 'pi-laptop', project: 'github.com/acme/mobile'})
  writeFileSync(path.join(daemon.workspace, 'MEMORY.md'), '# MEMORY\nDefault agent working memory: the Frankfurt migration.\n')
  repoDir = path.join(daemon.temp.home, 'api')
  mkdirSync(path.join(repoDir, '.git'), {recursive: true})
  writeFileSync(path.join(repoDir, '.git', 'config'), '[remote "origin"]\n\turl = https://github.com/acme/api.git\n')
  // Team mode: the test process is the admin through the admin token.
  admin = {authorization: `Bearer ${readFileSync(path.join(daemon.workspace, '.daemon', 'admin.token'), 'utf8').trim()}`}
  const agent = await daemon.request('POST', '/api/auth/api-keys', {
    body: {name: 'pi laptop', role: 'agent', connector: 'pi', agentId: 'pi-laptop'},
    headers: admin,
  })
  expect(agent.status).toBe(201)
  agentKey = agent.body.apiKey.key
  const scoped = await daemon.request('POST', '/api/auth/api-keys', {
    body: {name: 'mobile only', role: 'agent', agentId: 'pi-laptop', scope: {project: 'github.com/acme/mobile'}},
    headers: admin,
  })
  expect(scoped.status).toBe(201)
  projectKey = scoped.body.apiKey.key
})

afterAll(async () => {
  await daemon.stop()
})

const envWith = (key: string) => ({...daemon.temp.env, SIGNET_DAEMON_URL: daemon.url, SIGNET_API_KEY: key})
const prompt = (sessionId: string) =>
  JSON.stringify({session_id: sessionId, cwd: repoDir, hook_event_name: 'UserPromptSubmit', prompt: 'How do deploys go through the pipeline?'})

describe('hooks with scoped API keys', () => {
  it("an agent-scoped key gets its own agent's memories and never another agent's", async () => {
    const run = await runHook(['user-prompt-submit', '-H', 'claude-code'], {env: envWith(agentKey), input: prompt('scope-1')})
    expect(run.code).toBe(0)
    const context = JSON.parse(run.stdout).hookSpecificOutput.additionalContext as string
    expect(context).toContain('staging pipeline first')
    expect(context).not.toContain('default agent secret')
    expect(context).not.toContain('app store') // other project of the same agent

    const start = await runHook(['session-start', '-H', 'claude-code'], {
      env: envWith(agentKey),
      input: JSON.stringify({session_id: 'scope-2', cwd: repoDir, source: 'startup'}),
    })
    const startContext = JSON.parse(start.stdout).hookSpecificOutput.additionalContext as string
    expect(startContext).toContain('agent "signet"')
    expect(startContext).toContain('staging pipeline first')
    expect(startContext).not.toContain('default agent secret')
    // The shared MEMORY.md is the default agent's working memory: not injected for another agent.
    expect(startContext).not.toContain('Frankfurt migration')
  })

  it('naming another agent is refused (403) and the hook still exits 0 quietly', async () => {
    const run = await runHook(['user-prompt-submit', '-H', 'claude-code', '--agent-id', 'default'], {env: envWith(agentKey), input: prompt('scope-3')})
    expect(run).toMatchObject({code: 0, stdout: ''})
    expect(run.stderr).toMatch(/refused \(403 scope_violation\)/)
  })

  it('a project-scoped key cannot use hooks from another project, and is served inside its own', async () => {
    const outside = await runHook(['user-prompt-submit', '-H', 'codex'], {env: envWith(projectKey), input: prompt('scope-4')})
    expect(outside).toMatchObject({code: 0, stdout: ''})
    expect(outside.stderr).toMatch(/403 scope_violation/)
    const inside = await runHook(['user-prompt-submit', '-H', 'codex', '--project', 'github.com/acme/mobile'], {
      env: envWith(projectKey),
      input: prompt('scope-5'),
    })
    const context = JSON.parse(inside.stdout).hookSpecificOutput.additionalContext as string
    expect(context).toContain('app store pipeline')
    expect(context).not.toContain('staging pipeline first')
  })

  it('session search with a scoped key only sees its own agent', async () => {
    await daemon.request('POST', '/api/hooks/session-end', {
      body: {harness: 'pi', sessionKey: 'default-session', project: 'github.com/acme/api', transcript: 'User: the ocelot rollout is secret'},
      headers: admin,
    })
    const mine = await daemon.request('POST', '/api/sessions/search', {body: {query: 'ocelot'}, headers: {authorization: `Bearer ${agentKey}`}})
    expect(mine.status).toBe(200)
    expect(mine.body.hits).toEqual([])
    const other = await daemon.request('POST', '/api/sessions/search', {
      body: {query: 'ocelot', agentId: 'default'},
      headers: {authorization: `Bearer ${agentKey}`},
    })
    expect(other.status).toBe(403)
    expect(other.body.code).toBe('scope_violation')
  })
})
