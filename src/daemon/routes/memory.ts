import {Hono} from 'hono'
import type {z} from 'zod'

import {agentQuery} from '../../api/fields.js'
import {
  importBody,
  listMemoriesQuery as listQuery,
  memoryIdParams as idParam,
  type MemoryView,
  patchMemoryBody as patchBody,
  recallBody,
  rememberBody,
} from '../../api/memory.js'
import type {Memory, RememberInput} from '../../store/memories.js'
import {ApiError, notFound} from '../api-error.js'
import {requirePermission} from '../auth/principal.js'
import {requestScope} from '../auth/scope.js'
import type {AppEnv, DaemonContext} from '../context.js'
import {parseWith, readJsonBody, readQuery} from '../request-validation.js'
import {readHarnessHeader} from '../request-fields.js'
import {respond} from '../respond.js'

/** The public shape of a memory in every response. */
export function presentMemory(memory: Memory): MemoryView {
  return {
    id: memory.id,
    content: memory.content,
    type: memory.type,
    tags: memory.tags,
    importance: memory.importance,
    pinned: memory.pinned,
    agentId: memory.agentId,
    project: memory.project,
    source: memory.source,
    harness: memory.harness,
    createdAt: memory.createdAt,
    updatedAt: memory.updatedAt,
  }
}

type MemoryFields = Pick<z.infer<typeof rememberBody>, 'content' | 'type' | 'tags' | 'importance' | 'pinned' | 'sessionKey' | 'idempotencyKey' | 'createdAt'>

/** What remember and import store for one validated memory: its fields plus provenance (the store redacts). */
function rememberInput(
  fields: MemoryFields,
  context: {agentId: string; project: string | null; source: string; harness: string | null; keyId?: string | null; machineId?: string},
): RememberInput {
  return {
    content: fields.content,
    agentId: context.agentId,
    type: fields.type,
    tags: fields.tags,
    importance: fields.importance,
    pinned: fields.pinned,
    project: context.project,
    source: context.source,
    harness: context.harness,
    keyId: context.keyId ?? null,
    machineId: context.machineId ?? null,
    sessionKey: fields.sessionKey ?? null,
    idempotencyKey: fields.idempotencyKey ?? null,
    createdAt: fields.createdAt ? new Date(fields.createdAt).toISOString() : undefined,
  }
}

export function memoryRoutes(daemon: DaemonContext) {
  const app = new Hono<AppEnv>()

  app.post('/api/memory/remember', async (c) => {
    const principal = c.get('principal')
    requirePermission(principal, 'remember')
    const body = await readJsonBody(c, rememberBody)
    const scope = requestScope(principal, {agentId: body.agentId, project: body.project})
    const {memory, deduped} = await daemon.storage.memories.remember(
      rememberInput(body, {
        agentId: scope.agentId,
        project: scope.writeProject(),
        source: 'api',
        harness: readHarnessHeader(c),
        keyId: principal.keyId,
        machineId: body.machineId,
      }),
    )
    return respond(c, 'POST /api/memory/remember', {id: memory.id, deduped, memory: presentMemory(memory)}, deduped ? 200 : 201)
  })

  // The bulk path: one transaction for the whole batch, same redaction, scope and dedup as remember.
  app.post('/api/memory/import', async (c) => {
    const principal = c.get('principal')
    requirePermission(principal, 'remember')
    const body = await readJsonBody(c, importBody)
    const harness = readHarnessHeader(c)
    const inputs = body.memories.map((item) => {
      // The owner's file keeps each memory's agent; a scoped key's import lands in its own agent.
      const scope = requestScope(principal, {agentId: principal.scope.agent ? body.agentId : (item.agentId ?? body.agentId), project: item.project})
      return rememberInput(item, {
        agentId: scope.agentId,
        project: scope.writeProject(),
        source: item.origin ? `import:${item.origin}` : 'import',
        harness,
        keyId: principal.keyId,
        machineId: body.machineId,
      })
    })
    const {imported, deduped} = await daemon.storage.memories.importMany(inputs)
    return respond(c, 'POST /api/memory/import', {imported, deduped, received: inputs.length})
  })

  app.post('/api/memory/recall', async (c) => {
    const principal = c.get('principal')
    requirePermission(principal, 'recall')
    const started = performance.now()
    const body = await readJsonBody(c, recallBody)
    const scope = requestScope(principal, {agentId: body.agentId, project: body.project})
    const agentId = scope.agentId
    const result = await daemon.storage.recall.recall({
      query: body.query,
      agentId,
      limit: body.limit,
      ...scope.readFilter(),
      tags: body.tags,
      type: body.type,
      since: body.since ? new Date(body.since).toISOString() : undefined,
      until: body.until ? new Date(body.until).toISOString() : undefined,
    })
    return respond(c, 'POST /api/memory/recall', {
      results: result.hits.map((hit) => ({...presentMemory(hit.memory), score: round(hit.score), source: hit.source, why: hit.why})),
      meta: {
        query: body.query,
        agentId,
        method: result.method,
        total: result.hits.length,
        elapsedMs: round(performance.now() - started),
        vector: result.vector,
      },
    })
  })

  app.get('/api/memories', async (c) => {
    const principal = c.get('principal')
    requirePermission(principal, 'recall')
    const query = readQuery(c, listQuery)
    const allAgents = query.allAgents === 'true' && query.agentId === undefined && principal.scope.agent === undefined
    const scope = requestScope(principal, {agentId: query.agentId, project: query.project})
    const tags = query.tags
      ?.split(',')
      .map((tag) => tag.trim().toLowerCase())
      .filter(Boolean)
    const {memories, total, byAgent} = await daemon.storage.memories.list({
      agentId: allAgents ? undefined : scope.agentId,
      ...scope.readFilter(),
      type: query.type,
      tags,
      limit: query.limit,
      offset: query.offset,
    })
    // How many memories each agent holds (one entry unless allAgents): export's summary, recall's "try --agent-id" hint.
    return respond(c, 'GET /api/memories', {memories: memories.map(presentMemory), total, byAgent, limit: query.limit, offset: query.offset})
  })

  app.get('/api/memory/:id', async (c) => {
    const principal = c.get('principal')
    requirePermission(principal, 'recall')
    const {id} = parseWith(idParam, c.req.param())
    const scope = requestScope(principal, {agentId: readQuery(c, agentQuery).agentId})
    const memory = scope.assertCanRead(await daemon.storage.memories.get(id, scope.agentId), `memory ${id}`)
    return respond(c, 'GET /api/memory/:id', {memory: presentMemory(memory)})
  })

  app.patch('/api/memory/:id', async (c) => {
    const principal = c.get('principal')
    requirePermission(principal, 'modify')
    const {id} = parseWith(idParam, c.req.param())
    const scope = requestScope(principal, {agentId: readQuery(c, agentQuery).agentId})
    const patch = await readJsonBody(c, patchBody)
    scope.assertCanWrite(await daemon.storage.memories.get(id, scope.agentId), `memory ${id}`)
    const destination = patch.project === undefined ? {} : {project: scope.assertCanMoveTo(patch.project)}
    const outcome = await daemon.storage.memories.update(id, scope.agentId, {...patch, ...destination})
    if (outcome.status === 'not_found') throw notFound(`memory ${id} not found`)
    if (outcome.status === 'duplicate') {
      throw new ApiError(409, 'duplicate_content', `another memory (${outcome.existingId}) already has this content`, {
        existingId: outcome.existingId,
      })
    }
    return respond(c, 'PATCH /api/memory/:id', {memory: presentMemory(outcome.memory)})
  })

  app.delete('/api/memory/:id', async (c) => {
    const principal = c.get('principal')
    requirePermission(principal, 'forget')
    const {id} = parseWith(idParam, c.req.param())
    const scope = requestScope(principal, {agentId: readQuery(c, agentQuery).agentId})
    scope.assertCanWrite(await daemon.storage.memories.get(id, scope.agentId), `memory ${id}`)
    await daemon.storage.memories.forget(id, scope.agentId)
    return respond(c, 'DELETE /api/memory/:id', {id, deleted: true})
  })

  return app
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000
}
