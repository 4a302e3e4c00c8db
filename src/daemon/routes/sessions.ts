import {Hono} from 'hono'

import {agentQuery} from '../../api/fields.js'
import {
  listSessionsQuery as listQuery,
  type PromptReceiptView,
  sessionKeyParams as keyParam,
  sessionSearchBody as searchBody,
  type SessionView,
} from '../../api/sessions.js'
import type {SessionRecord} from '../../store/sessions.js'
import {notFound} from '../api-error.js'
import {requirePermission} from '../auth/principal.js'
import {requestScope} from '../auth/scope.js'
import type {AppEnv, DaemonContext} from '../context.js'
import {parseWith, readJsonBody, readQuery} from '../request-validation.js'
import {respond} from '../respond.js'

/** Stored sessions and their transcripts (docs/api.md, sessions): full-text search, list, and one session's text. */
export function sessionRoutes(daemon: DaemonContext) {
  const app = new Hono<AppEnv>()
  const {sessions, transcripts, receipts} = daemon.storage

  app.post('/api/sessions/search', async (c) => {
    const started = performance.now()
    const principal = c.get('principal')
    requirePermission(principal, 'sessions')
    const body = await readJsonBody(c, searchBody)
    const scope = requestScope(principal, {agentId: body.agentId ?? body.agent_id, project: body.project})
    const hits = await transcripts.search({
      query: body.query,
      agentId: scope.agentId,
      ...scope.sessionFilter(),
      sessionKey: body.sessionKey,
      excludeSessionKey: body.currentSessionKey ?? body.current_session_key,
      limit: body.limit,
    })
    return respond(c, 'POST /api/sessions/search', {
      query: body.query,
      hits,
      count: hits.length,
      elapsedMs: Math.round((performance.now() - started) * 100) / 100,
    })
  })

  app.get('/api/sessions', async (c) => {
    const principal = c.get('principal')
    requirePermission(principal, 'sessions')
    const query = readQuery(c, listQuery)
    const scope = requestScope(principal, {agentId: query.agentId, project: query.project})
    const {sessions: rows, total} = await sessions.list({agentId: scope.agentId, ...scope.sessionFilter(), limit: query.limit, offset: query.offset})
    return respond(c, 'GET /api/sessions', {sessions: rows.map(presentSession), total, limit: query.limit, offset: query.offset})
  })

  app.get('/api/sessions/:key', async (c) => {
    const principal = c.get('principal')
    requirePermission(principal, 'sessions')
    const {key} = parseWith(keyParam, c.req.param())
    const scope = requestScope(principal, {agentId: readQuery(c, agentQuery).agentId})
    const session = await sessions.get(scope.agentId, key)
    if (!session || !scope.canReadSession(session)) throw notFound(`session ${key} not found`)
    const stored = (await transcripts.forSession(scope.agentId, key))
      .filter((record) => scope.canReadSession(record))
      .map((record) => ({id: record.id, kind: record.kind, createdAt: record.createdAt, chars: record.content.length}))
    return respond(c, 'GET /api/sessions/:key', {session: presentSession(session), transcripts: stored})
  })

  app.get('/api/sessions/:key/receipts', async (c) => {
    const principal = c.get('principal')
    requirePermission(principal, 'sessions')
    const {key} = parseWith(keyParam, c.req.param())
    const scope = requestScope(principal, {agentId: readQuery(c, agentQuery).agentId})
    const session = await sessions.get(scope.agentId, key)
    // Receipts of a session the caller may not read look exactly like those of a missing one.
    if (!session || !scope.canReadSession(session)) throw notFound(`session ${key} not found`)
    // The store keeps each receipt's `why` as the JSON it was given (a recall's RecallWhy, or null).
    return respond(c, 'GET /api/sessions/:key/receipts', {sessionKey: key, receipts: (await receipts.forSession(scope.agentId, key)) as PromptReceiptView[]})
  })

  app.get('/api/sessions/:key/transcript', async (c) => {
    const principal = c.get('principal')
    requirePermission(principal, 'sessions')
    const {key} = parseWith(keyParam, c.req.param())
    const scope = requestScope(principal, {agentId: readQuery(c, agentQuery).agentId})
    const record = (await transcripts.forSession(scope.agentId, key)).filter((row) => row.kind === 'transcript' && scope.canReadSession(row)).pop()
    if (!record) throw notFound(`no transcript stored for session ${key}`)
    return respond(c, 'GET /api/sessions/:key/transcript', {
      sessionKey: key,
      agentId: scope.agentId,
      harness: record.harness,
      project: record.project,
      createdAt: record.createdAt,
      content: record.content,
    })
  })

  return app
}

function presentSession(session: SessionRecord): SessionView {
  return {
    sessionKey: session.sessionKey,
    agentId: session.agentId,
    harness: session.harness,
    machineId: session.machineId,
    project: session.project,
    startedAt: session.startedAt,
    endedAt: session.endedAt,
    injectedCount: session.injectedIds.length,
  }
}
