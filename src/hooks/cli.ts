import {readdirSync} from 'node:fs'
import {hostname} from 'node:os'
import path from 'node:path'

import {userConfigDir} from '../config/paths.js'
import {resolveWorkspace} from '../config/workspace.js'
import {HARNESS_PROFILES} from '../harnesses/registry.js'
import {resolveHookEndpoint, type HookEndpoint} from './endpoint.js'
import {type HookArgs, type HookEvent, hookBudgetMs, parseHookArgs} from './events.js'
import {renderHarnessOutput, type HookAnswer} from './harness-output.js'
import {parseHookPayload, readHookStdin, type HookPayload} from './hook-payload.js'
import {deriveProjectIdentity} from './project-identity.js'
import {HookTransportError, postHookJson} from './transport.js'

/*
 * `signet hook <event> -H <harness>`: the command harness configs call on every lifecycle event.
 * bin/run.js imports this file directly (no oclif) because it runs before every model call.
 * Contract (docs/architecture.md, Hooks): whatever happens, exit 0 within the event's budget, print only what the
 * harness expects, and report problems as one stderr line plus a line in hook.log.
 * Cold paths (transcripts, spool, offline identity) are imported only when needed.
 */

export interface HookIo {
  stdin: NodeJS.ReadStream
  writeStdout(text: string): Promise<void>
}

const STDIN_MAX_WAIT_MS = 1000
/** Left unspent at the end of the budget for writing output and exiting. */
const EXIT_MARGIN_MS = 60

/** Entry point used by bin/run.js: runs the hook and ends the process with code 0. */
export async function runHookCli(argv: string[]): Promise<void> {
  const exit = () => process.exit(0)
  process.on('uncaughtException', (error) => {
    void logLine(`uncaught ${String(error)}`).finally(exit)
  })
  process.on('unhandledRejection', (error) => {
    void logLine(`unhandled ${String(error)}`).finally(exit)
  })
  const io: HookIo = {
    // A getter: the stream is only built when read, after the transport has loaded node:net.
    get stdin() {
      return process.stdin
    },
    writeStdout: (text) =>
      new Promise((resolve) => {
        process.stdout.write(text, () => resolve())
      }),
  }
  try {
    await runHook(argv, io, {armWatchdog: true})
  } catch (error) {
    await logLine(`internal ${String(error)}`)
  }
  exit()
}

/** The hook itself, without process management (exit codes, watchdog, crash handlers). */
export async function runHook(argv: string[], io: HookIo, options: {armWatchdog?: boolean} = {}): Promise<void> {
  const started = Date.now()
  if (process.env.SIGNET_NO_HOOKS === '1' || process.env.SIGNET_BYPASS === '1') return
  const parsed = parseHookArgs(argv)
  if (!parsed.ok) {
    await report({event: argv[0] ?? '?', harness: '?'}, `${parsed.problem}; hook skipped`)
    return
  }
  const args = parsed.args
  const context = {event: args.event, harness: args.harness}
  const budget = hookBudgetMs(args.event, args.harness)
  const deadline = started + budget
  if (options.armWatchdog) {
    // Last line of defence: whatever is still pending at the budget, leave quietly.
    setTimeout(() => {
      void logLine(`${args.event} harness=${args.harness} watchdog: budget of ${budget} ms exhausted, exiting`).finally(() => process.exit(0))
    }, budget).unref()
  }

  // The payload arrives while the endpoint is resolved (synchronous file reads): overlap the two.
  const stdinRead = readHookStdin(Math.min(STDIN_MAX_WAIT_MS, Math.floor(budget / 3)), io.stdin)
  let endpoint: HookEndpoint
  try {
    endpoint = await resolveHookEndpoint({workspaceFlag: args.workspace, harness: args.harness})
  } catch (error) {
    await report(context, `${(error as Error).message}; hook skipped`)
    return
  }
  const raw = await stdinRead
  const payload = parseHookPayload(raw, args.harness)
  if (!payload.valid) await logLine(`${args.event} harness=${args.harness} stdin was not a JSON object (${raw.length} bytes); continuing without it`)

  const request = await buildHookRequest({...args, agentId: args.agentId ?? endpoint.agentId}, payload)
  if (!request) return
  // Writes that must not be lost are on disk before they are sent (a harness may kill the hook).
  const spooled = request.spoolable ? await writeAhead(args, request, endpoint) : undefined
  const timeoutMs = deadline - Date.now() - EXIT_MARGIN_MS
  try {
    if (timeoutMs < 50) throw new HookTransportError('timeout', 'budget spent before the request')
    const post = (built: BuiltRequest) =>
      postHookJson<HookAnswer>({
        url: endpoint.url,
        socketPath: endpoint.socketPath,
        unreachable: endpoint.unreachable,
        apiKey: endpoint.apiKey,
        harness: args.harness,
        path: built.path,
        body: built.body,
        timeoutMs,
      })
    // A harness that injects context only per prompt (Hermes): its first prompt also carries what session start gives
    const opening =
      args.harness !== 'generic' && HARNESS_PROFILES[args.harness].sessionStartWithFirstPrompt && args.event === 'user-prompt-submit' && payload.firstTurn
        ? await buildHookRequest({...args, event: 'session-start', agentId: args.agentId ?? endpoint.agentId}, {...payload, source: 'startup'})
        : undefined
    const [answer, started] = await Promise.all([post(request), opening ? post(opening).catch(() => undefined) : undefined])
    if (started && typeof started.inject === 'string' && started.inject.trim()) {
      answer.inject = [started.inject.trim(), typeof answer.inject === 'string' ? answer.inject.trim() : ''].filter(Boolean).join('\n\n')
    }
    if (spooled) (await import('./spool.js')).confirmSpooled(spooled)
    const output = renderHarnessOutput(args.harness, args.event, answer)
    if (output) await io.writeStdout(output)
  } catch (error) {
    const failure = error instanceof HookTransportError ? error : new HookTransportError('offline', String(error))
    await handleFailure(args, endpoint, request, failure, io, spooled)
    return
  }
  await replaySpoolInBackground(endpoint, deadline, context)
}

/** hook-log is loaded only when there is something to log: the success path never pays for it. */
async function logLine(line: string): Promise<void> {
  const {appendHookLog} = await import('./hook-log.js')
  appendHookLog(`${new Date().toISOString()} ${line}`)
}

async function report(context: {event: string; harness: string}, message: string): Promise<void> {
  const {reportHookProblem} = await import('./hook-log.js')
  reportHookProblem(context, message)
}

interface BuiltRequest {
  path: string
  body: Record<string, unknown>
  /** Writes that must survive an unreachable daemon go to the spool. */
  spoolable: boolean
}

async function buildHookRequest(args: HookArgs, payload: HookPayload): Promise<BuiltRequest | undefined> {
  const identity = await deriveProjectIdentity(payload.cwd ?? process.cwd())
  const common: Record<string, unknown> = {
    harness: args.harness,
    machineId: hostname(),
    project: {id: args.project ?? identity.id, cwd: identity.cwd, gitRoot: identity.gitRoot, gitRemote: identity.gitRemote},
  }
  if (args.agentId) common.agentId = args.agentId
  if (payload.sessionKey) common.sessionKey = payload.sessionKey
  const route = `/api/hooks/${args.event}`
  switch (args.event) {
    case 'session-start':
      return {path: route, body: {...common, source: payload.source}, spoolable: false}
    case 'user-prompt-submit':
      // Nothing to recall for an empty prompt; skipping the request keeps the hook free.
      if (!payload.prompt?.trim()) return undefined
      return {path: route, body: {...common, prompt: payload.prompt}, spoolable: false}
    case 'pre-compaction': {
      const transcript = await loadTranscript(payload)
      const body = {...common, trigger: payload.trigger, transcript}
      return {path: route, body: await withIdempotencyKey(args.event, body, transcript), spoolable: transcript !== undefined}
    }
    case 'compaction-complete': {
      const summary = args.summary ?? payload.summary
      if (!summary?.trim()) {
        await logLine(`compaction-complete harness=${args.harness} no summary in stdin or --summary; nothing to store`)
        return undefined
      }
      return {path: route, body: await withIdempotencyKey(args.event, {...common, summary}, summary), spoolable: true}
    }
    case 'session-end': {
      const transcript = await loadTranscript(payload)
      const body = {...common, reason: payload.reason, transcript, lastAssistantMessage: payload.lastAssistantMessage}
      return {path: route, body: await withIdempotencyKey(args.event, body, transcript ?? payload.lastAssistantMessage ?? ''), spoolable: true}
    }
  }
}

/** The same write always carries the same key, so retries and replays are stored once. */
async function withIdempotencyKey(event: HookEvent, body: Record<string, unknown>, content: string | undefined): Promise<Record<string, unknown>> {
  const {createHash} = await import('node:crypto')
  const project = (body.project as {id?: string} | undefined)?.id ?? ''
  const key = createHash('sha256')
    .update([event, body.agentId ?? '', body.sessionKey ?? '', project, content ?? ''].join('\u0000'))
    .digest('hex')
    .slice(0, 40)
  return {...body, idempotencyKey: `${event}:${key}`}
}

async function loadTranscript(payload: HookPayload): Promise<string | undefined> {
  if (!payload.transcriptPath && !payload.transcript) return undefined
  const {readTranscriptFile, prepareTranscript} = await import('./transcript-file.js')
  if (payload.transcriptPath) {
    const fromFile = readTranscriptFile(payload.transcriptPath)
    if (fromFile) return fromFile
    // Harnesses write transcripts asynchronously; a missing file is worth a log line, not a failure.
    if (!payload.transcript) await logLine(`transcript ${payload.transcriptPath} is missing, empty or not a regular file; sending the event without it`)
  }
  return payload.transcript ? prepareTranscript(payload.transcript) : undefined
}

function describeFailure(failure: HookTransportError, endpoint: HookEndpoint): string {
  switch (failure.kind) {
    case 'offline':
      return endpoint.socketPath || endpoint.unreachable
        ? `daemon not running for ${endpoint.workspace} (${failure.message})`
        : `daemon not reachable at ${endpoint.url} (${failure.message})`
    case 'timeout':
      return `daemon at ${endpoint.url} timed out (${failure.message})`
    case 'invalid-json':
      return `daemon at ${endpoint.url} sent an unreadable answer (${failure.message})`
    case 'http':
      if (failure.status === 401) return `daemon at ${endpoint.url} rejected the credentials (401) — set SIGNET_API_KEY to a valid key`
      if (failure.status === 403) return `daemon at ${endpoint.url} refused (403 ${failure.code}) — this key may not use hooks for this agent/project`
      return `daemon at ${endpoint.url} failed (${failure.message})`
  }
}

async function writeAhead(args: HookArgs, request: BuiltRequest, endpoint: HookEndpoint): Promise<string | undefined> {
  try {
    const {spoolWrite, spoolTargetFor} = await import('./spool.js')
    return await spoolWrite(
      {path: request.path, harness: args.harness, body: request.body as SpoolBody, target: await spoolTargetFor(endpoint)},
      {claimed: true},
    )
  } catch (error) {
    await logLine(`${args.event} harness=${args.harness} could not write ahead to the spool (${(error as Error).message}); sending anyway`)
    return undefined
  }
}

async function handleFailure(
  args: HookArgs,
  endpoint: HookEndpoint,
  request: BuiltRequest,
  failure: HookTransportError,
  io: HookIo,
  spooled: string | undefined,
): Promise<void> {
  const context = {event: args.event, harness: args.harness}
  const problem = describeFailure(failure, endpoint)
  // A 4xx about the body itself will fail the same way later; everything else is worth keeping.
  const retryable = failure.kind !== 'http' || failure.status === undefined || failure.status >= 500 || [401, 403, 408, 429].includes(failure.status)
  if (request.spoolable) {
    try {
      const spool = await import('./spool.js')
      if (!retryable) {
        if (spooled) spool.rejectSpooled(spooled)
        await report(context, `${problem}; the write was refused and kept in ${spool.spoolDir()}/rejected`)
        return
      }
      if (spooled) spool.releaseSpooled(spooled)
      else await spool.spoolWrite({path: request.path, harness: args.harness, body: request.body as SpoolBody, target: await spool.spoolTargetFor(endpoint)})
      await report(
        context,
        `${problem}; saved to the local spool (${spool.pendingSpoolEntries().length} pending) — delivered on the next hook call or \`signet sync\``,
      )
    } catch (error) {
      await report(context, `${problem}; could not spool the write either (${(error as Error).message})`)
    }
    return
  }
  if (args.event === 'session-start' && (failure.kind === 'offline' || failure.kind === 'timeout')) {
    const {buildOfflineSessionInject} = await import('./identity-fallback.js')
    const inject = buildOfflineSessionInject(endpoint.workspace ?? localWorkspace(args.workspace))
    if (inject) {
      const output = renderHarnessOutput(args.harness, args.event, {inject})
      if (output) await io.writeStdout(output)
      await report(context, `${problem}; injected the local identity files only`)
      return
    }
  }
  await report(context, `${problem}; hook skipped`)
}

type SpoolBody = Record<string, unknown> & {idempotencyKey: string}

function localWorkspace(flag: string | undefined): string | undefined {
  try {
    return resolveWorkspace({flag}).path
  } catch {
    return undefined
  }
}

/** After a successful call the daemon is up: deliver what the spool holds, within what is left of the budget. */
async function replaySpoolInBackground(endpoint: HookEndpoint, deadline: number, context: {event: string; harness: string}): Promise<void> {
  if (!spoolMayHaveEntries()) return
  const {pendingSpoolEntries, replaySpool} = await import('./spool.js')
  if (pendingSpoolEntries().length === 0) return
  // A key stored for this harness is only for this harness's writes; env and the local daemon serve every harness.
  const onlyHarness = endpoint.urlSource === 'credentials' ? context.harness : undefined
  const report = await replaySpool(endpoint, {deadline: deadline - EXIT_MARGIN_MS, harness: onlyHarness})
  if (report.delivered === 0 && report.rejected === 0 && report.remaining === 0) return // all for other daemons
  await logLine(
    `${context.event} harness=${context.harness} spool replay: ${report.delivered} delivered, ${report.rejected} rejected, ${report.remaining} pending` +
      (report.forOtherDaemons ? `, ${report.forOtherDaemons} waiting for another daemon` : '') +
      (report.stoppedBy ? ` (stopped: ${report.stoppedBy})` : ''),
  )
}

/**
 * One readdir of spoolDir() (src/hooks/spool.ts), done here so that the usual case — an empty
 * spool — never loads the spool module on the prompt path (~2 ms measured).
 */
function spoolMayHaveEntries(): boolean {
  try {
    return readdirSync(path.join(userConfigDir(), 'spool')).some((name) => name.endsWith('.json') || name.includes('.claim-'))
  } catch {
    return false
  }
}
