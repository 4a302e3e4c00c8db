import {readFileSync} from 'node:fs'

import {Hono} from 'hono'

import {compactionCompleteBody, type HookCommon, preCompactionBody, promptSubmitBody, sessionEndBody, sessionStartBody} from '../../api/hooks.js'
import type {AgentConfig, HookSettings} from '../../config/agent-config.js'
import {
  clampInject,
  dateLine,
  IDENTITY_SECTION_CAPS,
  MAX_INJECT_CHARS,
  renderIdentitySections,
  renderRecalledNotes,
  renderWorkingMemory,
  statusLine,
} from '../../hooks/inject-format.js'
import {userWords} from '../../hooks/harness-wrappers.js'
import {formatTranscript} from '../../hooks/transcript-format.js'
import {contentHash} from '../../store/content-hash.js'
import {LLM_EXTRACTION_SOURCE, LlmExtractor} from '../../store/llm-extraction.js'
import {extractDurableMemories} from '../../store/memory-extraction.js'
import {writeWorkingMemoryFile} from '../../store/memory-md.js'
import {isStopWord, lightStem, queryTerms} from '../../store/query-terms.js'
import {agentNetworkOf} from '../agent-network.js'
import {DEFAULT_AGENT_ID, type Principal, requirePermission} from '../auth/principal.js'
import {type RequestScope, requestScope} from '../auth/scope.js'
import type {AppEnv, DaemonContext} from '../context.js'
import {readJsonBody} from '../request-validation.js'
import {respond} from '../respond.js'

/** Tunables under `hooks:` in agent.yaml, validated (strictly, with defaults) when the config is loaded. */
export function readHookSettings(config: AgentConfig): HookSettings {
  return config.hooks
}

/** Session-start sources after which the model's context no longer holds what was injected. */
const CONTEXT_RESET_SOURCES = new Set(['compact', 'clear'])

export const SUMMARY_GUIDELINES = [
  'Keep decisions and the reasons for them.',
  'Keep stated user preferences and conventions (tools, style, workflow).',
  'Keep open tasks, next steps and unresolved errors, with file paths and commands.',
  'Keep names of files, functions, services and environments that the work touched.',
  'Drop chit-chat, failed attempts that taught nothing, and long tool output.',
  'Never include secrets: API keys, tokens, passwords, private keys.',
]

const SUMMARY_PROMPT = `Summarise this session so it can continue after compaction and be remembered later.\n${SUMMARY_GUIDELINES.map((line) => `- ${line}`).join('\n')}`

/**
 * The recall query for a prompt: harness wrappers and Signet's own injected blocks removed,
 * content words only (a prompt of only function words — "what is this?" — recalls nothing
 * rather than everything), bounded.
 */
export function promptRecallQuery(prompt: string): string {
  // The hook already sends only the user's words; plugins and older hooks may not.
  const text = userWords(prompt).slice(0, 4000)
  return queryTerms(text)
    .filter((term) => term.length > 1 && !isStopWord(term))
    .join(' ')
}

function projectIdOf(input: HookCommon['project']): string | undefined {
  if (input === undefined) return undefined
  if (typeof input === 'string') return input
  return input.id ?? input.gitRemote ?? undefined
}

function readIfPresent(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8')
  } catch {
    return undefined
  }
}

function elapsed(started: number): number {
  return Math.round((performance.now() - started) * 100) / 100
}

export function hookRoutes(daemon: DaemonContext) {
  const app = new Hono<AppEnv>()
  const settings = readHookSettings(daemon.config)
  const {sessions, receipts, transcripts, memories} = daemon.storage
  const network = agentNetworkOf(daemon)
  const messagesMaxChars = daemon.config.agents.maxInjectChars
  const llmExtractor = new LlmExtractor(daemon.config.extraction, daemon.logger)

  /**
   * Unread agent messages for this session, in their own fence, marked delivered. They take at most
   * `agents.maxInjectChars` (and never more than `room`); what does not fit waits for the next hook.
   * A caller without the `messages` permission gets none (and none are marked delivered).
   */
  async function deliverMessages(principal: Principal, agentId: string, body: HookCommon, room: number) {
    if (!principal.permissions.includes('messages')) return {text: '', ids: [] as string[], deferred: 0}
    return network.deliver(agentId, {machine: body.machineId, session: body.sessionKey}, Math.min(messagesMaxChars, Math.max(0, room)))
  }

  /**
   * Agent and project this request acts for (403 when a scoped key names another, or uses a session
   * key that another agent or project owns), plus provenance. The session key is the body's, or
   * `fallbackSessionKey`'s for this agent and project when the body has none.
   */
  async function scopeOf(principal: Principal, body: HookCommon, event: string, fallbackSessionKey?: (agentId: string, project: string | undefined) => string) {
    const scope = requestScope(principal, {agentId: body.agentId, project: projectIdOf(body.project)})
    const agentId = scope.agentId
    // Hooks act in one project; a key limited to several must say which (writeProject refuses otherwise).
    const project = scope.writeProject() ?? undefined
    const sessionKey = body.sessionKey ?? fallbackSessionKey?.(agentId, project)
    if (sessionKey) await scope.assertSessionOwner(sessionKey, {otherAgents: () => sessions.ownedByAnotherAgent(sessionKey, agentId)})
    await sessions.recordSighting({harness: body.harness, agentId, machineId: body.machineId, event})
    await network.presence.see({agentId, harness: body.harness, machineId: body.machineId, sessionKey, project, keyId: principal.keyId, event})
    const session = sessionKey
      ? await sessions.touch({sessionKey, agentId, harness: body.harness, machineId: body.machineId, project, keyId: principal.keyId})
      : undefined
    // Checked on the row touch returns (it never changes an existing one), so two first uses racing
    // from different projects cannot both pass: the loser sees the winner's project.
    if (sessionKey && session) await scope.assertSessionOwner(sessionKey, {session: session.session})
    return {scope, agentId, project, session, sessionKey}
  }

  /**
   * The default agent's MEMORY.md is the shared file, for unrestricted callers only: it holds every
   * project's memories. Anyone narrower gets a projection of what their scope may read.
   */
  async function workingMemoryFor(scope: RequestScope, agentId: string, project: string | undefined): Promise<string> {
    if (agentId === DEFAULT_AGENT_ID && !scope.restricted) return readIfPresent(daemon.paths.memoryMd) ?? ''
    return memories.workingMemory(agentId, {project: scope.restricted ? project : undefined})
  }

  async function refreshWorkingMemory(agentId: string): Promise<void> {
    if (!settings.refreshMemoryMd || agentId !== DEFAULT_AGENT_ID) return
    try {
      writeWorkingMemoryFile(daemon.paths.memoryMd, await memories.workingMemory(agentId))
    } catch (error) {
      daemon.logger.warn('MEMORY.md refresh failed', {error: String(error)})
    }
  }

  app.post('/api/hooks/session-start', async (c) => {
    const started = performance.now()
    const principal = c.get('principal')
    requirePermission(principal, 'hooks')
    const body = await readJsonBody(c, sessionStartBody)
    const {scope, agentId, project, session} = await scopeOf(principal, body, 'session-start')
    const agentName = daemon.config.agent.name
    const resetContext = body.source !== undefined && CONTEXT_RESET_SOURCES.has(body.source)

    if (session?.session.contextLoadedAt && !resetContext) {
      // Resumed or re-fired: the context already holds the full inject; say so briefly.
      const stub = `${statusLine({agentName, project, note: 'Session resumed: identity and memories were loaded at its start.'})}\n${dateLine()}`
      const messages = await deliverMessages(principal, agentId, body, MAX_INJECT_CHARS - stub.length - 2)
      const inject = messages.text ? `${stub}\n\n${messages.text}` : stub
      return respond(c, 'POST /api/hooks/session-start', {
        inject,
        sessionKnown: true,
        identity: {name: agentName},
        memories: [],
        receipt: {ids: [], messages: {ids: messages.ids, deferred: messages.deferred, chars: messages.text.length}, elapsedMs: elapsed(started)},
      })
    }
    if (session?.session.contextLoadedAt && resetContext && body.sessionKey) await sessions.clearInjected(agentId, body.sessionKey)

    const paths = daemon.paths
    const fixed = [
      statusLine({agentName, project}),
      dateLine(),
      ...renderIdentitySections({
        agents: readIfPresent(paths.agentsMd),
        soul: readIfPresent(paths.soulMd),
        identity: readIfPresent(paths.identityMd),
        user: readIfPresent(paths.userMd),
      }),
    ]
    const workingMemory = renderWorkingMemory(await workingMemoryFor(scope, agentId, project), IDENTITY_SECTION_CAPS.workingMemory)
    if (workingMemory) fixed.push(workingMemory)
    const budget = settings.sessionStartMaxChars
    const fixedChars = fixed.join('\n\n').length + 2
    // Messages come out of the same budget, capped, so memories keep the rest and the receipt says how it was split.
    const messages = await deliverMessages(principal, agentId, body, budget - fixedChars - 2)
    if (messages.text) fixed.push(messages.text)
    const used = fixed.join('\n\n').length + 2
    // The request's project plus global memories (every project for an unrestricted caller naming none),
    // checked row by row against the scope as well.
    const candidates =
      settings.sessionStartMemories > 0
        ? (
            await memories.contextMemories({
              agentId,
              project,
              limit: settings.sessionStartMemories,
              excludeIds: resetContext ? [] : session?.session.injectedIds,
            })
          ).filter(({memory}) => scope.canRead(memory))
        : []
    const notesTitle = '## Relevant Memories'
    const notes = renderRecalledNotes(
      candidates.map(({memory}) => ({id: memory.id, content: memory.content, createdAt: memory.createdAt})),
      {maxChars: budget - used - notesTitle.length - 1, maxNoteChars: 400, what: 'Memories for this agent and project, by importance and recency.'},
    )
    const sections = notes.text ? [...fixed, `${notesTitle}\n${notes.text}`] : fixed
    const inject = clampInject(sections.join('\n\n'), budget)
    if (body.sessionKey) {
      await sessions.addInjected(agentId, body.sessionKey, notes.ids)
      await sessions.markContextLoaded(agentId, body.sessionKey)
    }
    const shown = new Set(notes.ids)
    return respond(c, 'POST /api/hooks/session-start', {
      inject,
      sessionKnown: session?.known ?? false,
      identity: {name: agentName},
      memories: candidates
        .filter(({memory}) => shown.has(memory.id))
        .map(({memory}) => ({id: memory.id, content: memory.content, type: memory.type, importance: memory.importance, createdAt: memory.createdAt})),
      receipt: {
        ids: notes.ids,
        messages: {ids: messages.ids, deferred: messages.deferred, chars: messages.text.length},
        budget: {total: budget, memoriesChars: Math.max(0, budget - used), messagesChars: messages.text.length},
        elapsedMs: elapsed(started),
      },
    })
  })

  app.post('/api/hooks/user-prompt-submit', async (c) => {
    const started = performance.now()
    const principal = c.get('principal')
    requirePermission(principal, 'hooks')
    const body = await readJsonBody(c, promptSubmitBody)
    const {scope, agentId, session} = await scopeOf(principal, body, 'user-prompt-submit')
    const threshold = settings.promptMinScore
    // Messages first (at most agents.maxInjectChars); memories keep promptMaxChars unless the two
    // together would pass the per-hook ceiling, and then the receipt shows the smaller memory share.
    const messages = await deliverMessages(principal, agentId, body, MAX_INJECT_CHARS)
    const memoryChars = Math.min(settings.promptMaxChars, MAX_INJECT_CHARS - (messages.text ? messages.text.length + 2 : 0))
    const messageReceipt = {ids: messages.ids, deferred: messages.deferred, chars: messages.text.length}
    const query = promptRecallQuery(body.prompt)
    if (!query || settings.promptMaxMemories === 0) {
      if (body.sessionKey)
        await receipts.record(agentId, body.sessionKey, {at: new Date().toISOString(), memories: [], messageIds: messages.ids, elapsedMs: elapsed(started)})
      return respond(c, 'POST /api/hooks/user-prompt-submit', {
        inject: messages.text,
        memoryCount: 0,
        messageCount: messages.ids.length,
        sessionKnown: session?.known ?? false,
        receipt: {ids: [], scores: [], threshold, considered: 0, messages: messageReceipt, elapsedMs: elapsed(started)},
      })
    }
    // The embedder (when one is configured) gets the embedding.promptTimeoutMs budget; past it, lexical only.
    const result = await daemon.storage.recall.recall({
      query,
      agentId,
      ...scope.readFilter({includeGlobal: true}),
      limit: Math.max(settings.promptMaxMemories * 2, 10),
      excludeIds: session?.session.injectedIds,
    })
    // Words count in any form the search matched them in (table equivalents, typo corrections).
    const needed = Math.min(settings.promptMinMatchedTerms, new Set(result.queryTerms.map(lightStem)).size)
    const strong = result.hits.filter((hit) => hit.score >= threshold && hit.why.matchedTerms >= needed).slice(0, settings.promptMaxMemories)
    const notes = renderRecalledNotes(
      strong.map((hit) => ({id: hit.memory.id, content: hit.memory.content, createdAt: hit.memory.createdAt, score: hit.score})),
      {maxChars: memoryChars},
    )
    if (body.sessionKey) await sessions.addInjected(agentId, body.sessionKey, notes.ids)
    const scoreById = new Map(strong.map((hit) => [hit.memory.id, Math.round(hit.score * 1000) / 1000]))
    const whyById = new Map(strong.map((hit) => [hit.memory.id, hit.why]))
    // Stored so the session can later show, turn by turn, what was injected and why.
    if (body.sessionKey) {
      await receipts.record(agentId, body.sessionKey, {
        at: new Date().toISOString(),
        memories: notes.ids.map((id) => ({id, score: scoreById.get(id) ?? null, why: whyById.get(id) ?? null})),
        messageIds: messages.ids,
        elapsedMs: elapsed(started),
      })
    }
    return respond(c, 'POST /api/hooks/user-prompt-submit', {
      inject: [messages.text, notes.text].filter(Boolean).join('\n\n'),
      memoryCount: notes.ids.length,
      messageCount: messages.ids.length,
      sessionKnown: session?.known ?? false,
      receipt: {
        messages: messageReceipt,
        budget: {memoriesChars: memoryChars, messagesChars: messages.text.length},
        ids: notes.ids,
        scores: notes.ids.map((id) => scoreById.get(id) ?? null),
        why: notes.ids.map((id) => whyById.get(id) ?? null),
        threshold,
        minMatchedTerms: needed,
        considered: result.hits.length,
        method: result.method,
        vector: result.vector.status,
        elapsedMs: elapsed(started),
      },
    })
  })

  app.post('/api/hooks/pre-compaction', async (c) => {
    const principal = c.get('principal')
    requirePermission(principal, 'hooks')
    const body = await readJsonBody(c, preCompactionBody)
    const {agentId, project} = await scopeOf(principal, body, 'pre-compaction')
    let snapshot: {id: string} | undefined
    if (body.transcript?.trim() && body.sessionKey) {
      // Compaction is where long sessions lose detail, and SessionEnd may never fire (Ctrl+C):
      // keep what the conversation holds so far.
      snapshot = await transcripts.save({
        sessionKey: body.sessionKey,
        agentId,
        harness: body.harness,
        project,
        kind: 'transcript',
        content: formatTranscript(body.transcript),
        idempotencyKey: body.idempotencyKey,
      })
    }
    return respond(c, 'POST /api/hooks/pre-compaction', {summaryPrompt: SUMMARY_PROMPT, guidelines: SUMMARY_GUIDELINES, transcriptId: snapshot?.id ?? null})
  })

  app.post('/api/hooks/compaction-complete', async (c) => {
    const principal = c.get('principal')
    requirePermission(principal, 'hooks')
    const body = await readJsonBody(c, compactionCompleteBody)
    const {agentId, project} = await scopeOf(principal, body, 'compaction-complete')
    const sessionKey = body.sessionKey ?? 'no-session'
    const saved = await transcripts.save({
      sessionKey,
      agentId,
      harness: body.harness,
      project,
      kind: 'compaction-summary',
      content: body.summary,
      idempotencyKey: body.idempotencyKey,
    })
    const summary = saved.content
    const {memory, deduped} = await memories.remember({
      content: `Session summary (${body.harness}, ${new Date().toISOString().slice(0, 10)}): ${summary}`,
      agentId,
      type: 'summary',
      tags: ['session-summary', 'compaction'],
      importance: 0.6,
      project: project ?? null,
      source: 'compaction',
      harness: body.harness,
      keyId: principal.keyId ?? null,
      machineId: body.machineId ?? null,
      sessionKey,
      idempotencyKey: `summary:${saved.id}`,
    })
    // The harness's context was just rebuilt from the summary: earlier injects are gone from it.
    if (body.sessionKey) await sessions.clearInjected(agentId, body.sessionKey)
    await refreshWorkingMemory(agentId)
    return respond(c, 'POST /api/hooks/compaction-complete', {success: true, memoryId: memory.id, transcriptId: saved.id, deduped: saved.deduped && deduped})
  })

  app.post('/api/hooks/session-end', async (c) => {
    const started = performance.now()
    const principal = c.get('principal')
    requirePermission(principal, 'hooks')
    const body = await readJsonBody(c, sessionEndBody)
    const raw = body.transcript?.trim() ? body.transcript : body.lastAssistantMessage?.trim() ? `Assistant: ${body.lastAssistantMessage}` : undefined
    // Without a session key, one derived from the agent, project and content: the same key for the same
    // report (so a replay dedups), and never one that another agent's or project's report could produce.
    const anonymous = (agentId: string, project: string | undefined) =>
      `anonymous-${contentHash(`${agentId}\n${project ?? ''}\n${body.idempotencyKey ?? body.transcript ?? String(Date.now())}`).slice(0, 16)}`
    // A session-end with nothing said (e.g. `claude mcp list` fires SessionEnd) must not create a
    // session; an existing one is still checked for ownership before it is ended.
    const scoped = await scopeOf(principal, raw ? body : {...body, sessionKey: undefined}, 'session-end', raw ? anonymous : undefined)
    const {agentId, project} = scoped
    let sessionKey = scoped.sessionKey
    if (!raw && body.sessionKey) {
      const existing = await sessions.get(agentId, body.sessionKey)
      await scoped.scope.assertSessionOwner(body.sessionKey, {otherAgents: () => sessions.ownedByAnotherAgent(body.sessionKey!, agentId), session: existing})
      if (existing) {
        sessionKey = body.sessionKey
        // The session did run: its peer entry goes offline like any other session-end.
        await network.presence.see({
          agentId,
          harness: body.harness,
          machineId: body.machineId,
          sessionKey,
          project,
          keyId: principal.keyId,
          event: 'session-end',
        })
      }
    }

    let transcriptId: string | null = null
    let deduped = false
    const memoryIds: string[] = []
    let redactions = 0
    if (raw) {
      // The store redacts what it keeps; memories are extracted from that redacted text.
      const saved = await transcripts.save({
        sessionKey: sessionKey!,
        agentId,
        harness: body.harness,
        project,
        kind: 'transcript',
        content: formatTranscript(raw),
        idempotencyKey: body.idempotencyKey,
      })
      const text = saved.content
      redactions = Object.values(saved.redacted).reduce((sum, n) => sum + n, 0)
      transcriptId = saved.id
      deduped = saved.deduped
      if (!saved.deduped && settings.extractMemories) {
        for (const extracted of extractDurableMemories(text)) {
          const result = await memories.remember({
            content: extracted.content,
            agentId,
            type: extracted.type,
            tags: extracted.tags,
            importance: extracted.importance,
            project: project ?? null,
            source: 'session-end',
            harness: body.harness,
            keyId: principal.keyId ?? null,
            machineId: body.machineId ?? null,
            sessionKey,
          })
          if (!result.deduped) memoryIds.push(result.memory.id)
        }
        // the optional model pass runs after this answer is sent; what it finds arrives later
        llmExtractor.schedule({
          transcript: text,
          store: (memory) =>
            memories.remember({
              ...memory,
              agentId,
              project: project ?? null,
              source: LLM_EXTRACTION_SOURCE,
              harness: body.harness,
              keyId: principal.keyId ?? null,
              machineId: body.machineId ?? null,
              sessionKey,
            }),
        })
      }
    }
    if (sessionKey) await sessions.end(agentId, sessionKey)
    await refreshWorkingMemory(agentId)
    daemon.logger.info('session ended', {
      harness: body.harness,
      agentId,
      transcript: transcriptId !== null,
      deduped,
      memoriesSaved: memoryIds.length,
      redactions,
      ms: elapsed(started),
    })
    return respond(c, 'POST /api/hooks/session-end', {
      sessionKey: sessionKey ?? null,
      transcriptId,
      deduped,
      memoriesSaved: memoryIds.length,
      memoryIds,
      redactions,
    })
  })

  return app
}
