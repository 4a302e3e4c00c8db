import {expect} from 'vitest'

import type {Storage} from '../../src/store/storage.js'

/**
 * Some of everything the daemon stores, through the repositories only — with accents, an emoji and a
 * receipt's `why` object, so a copy between backends must keep text and JSON exactly.
 */
export async function populate(storage: Storage) {
  const {memory} = await storage.memories.remember({
    content: 'The staging database listens on port 5433',
    agentId: 'default',
    tags: ['infra'],
    project: 'github.com/acme/api',
    sessionKey: 's-1',
    importance: 0.7,
  })
  for (let i = 0; i < 7; i++)
    await storage.memories.remember({content: `note ${i} about the release train ✈ naïve`, agentId: i % 2 ? 'codex' : 'default', sessionKey: 's-1'})
  await storage.memories.forget((await storage.memories.remember({content: 'forgotten again', agentId: 'default'})).memory.id, 'default')
  for (const [agentId, sessionKey] of [
    ['default', 's-1'],
    ['default', 's-2'],
    ['codex', 's-1'],
    ['codex', 's-3'],
  ]) {
    await storage.sessions.touch({sessionKey, agentId, harness: 'claude-code', machineId: 'laptop', project: 'github.com/acme/api'})
    await storage.sessions.recordSighting({harness: agentId === 'codex' ? 'codex' : 'claude-code', agentId, machineId: 'laptop', event: 'session-start'})
    await storage.presence.see({agentId, harness: 'claude-code', machineId: 'laptop', sessionKey, project: null, event: 'user-prompt-submit'})
  }
  await storage.sessions.addInjected('default', 's-1', [memory.id])
  await storage.transcripts.save({
    sessionKey: 's-1',
    agentId: 'default',
    harness: 'claude-code',
    kind: 'transcript',
    content: 'User: where is staging?\nAssistant: port 5433',
  })
  await storage.receipts.record('default', 's-1', {
    at: new Date().toISOString(),
    memories: [{id: memory.id, score: 0.8, why: {matched: ['staging']}}],
    messageIds: [],
    elapsedMs: 3.25,
  })
  const key = await storage.apiKeys.create({name: 'laptop', role: 'agent', agentId: 'codex', connector: 'codex'})
  await storage.audit.record({event: 'key_created', keyId: key.id, peer: 'local', detail: {name: 'laptop'}})
  const issued = await storage.pairing.issue({connector: 'pi', agentId: 'pi-phone', role: 'agent', project: null}, 600_000)
  await storage.pairing.issue({connector: null, agentId: null, role: 'readonly', project: null}, 600_000)
  const claimed = await storage.pairing.claim(issued.code, (grant) => ({name: 'phone', role: grant.role, agentId: grant.agentId}))
  expect(claimed.status).toBe('ok')
  const sent = await storage.messages.send({from: {agent: 'default'}, to: {address: 'codex', agent: 'codex'}, kind: 'note', body: 'deploy after lunch'})
  await storage.messages.ack(sent.message.id)
  const link = await storage.devices.issueLink({name: 'browser', agentId: null, project: null})
  await storage.devices.login(link.token, 'test-agent')
  await storage.devices.issueLink({name: 'unused', agentId: null, project: 'github.com/acme/api'})
  return {key}
}
