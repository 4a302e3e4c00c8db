import {existsSync} from 'node:fs'
import path from 'node:path'

import {plainBm25Outcomes} from './bm25-baseline.js'
import {syntheticMemories} from './corpus.js'
import {REPO, ROOT, RUN_JS, timeSpawn} from './daemon.js'
import {locomoDir, scoreRecall} from './locomo.js'
import {percentile, prng, ratio, round, summarize} from './stats.js'

/** Seed memories straight into the store (MemoryStore.importMany, one transaction) before the daemon starts. */
export async function seedMemories(workspace, count, {agentId = 'default', seed = 7} = {}) {
  const {openDatabase} = await import(path.join(ROOT, 'dist/store/db.js'))
  const {MemoryStore} = await import(path.join(ROOT, 'dist/store/memories.js'))
  const {workspacePaths} = await import(path.join(ROOT, 'dist/config/paths.js'))
  const contents = syntheticMemories(count, seed)
  const db = openDatabase(workspacePaths(workspace).dbPath)
  const store = new MemoryStore(db)
  const started = performance.now()
  if (typeof store.importMany === 'function') {
    store.importMany(contents.map((content) => ({content, agentId, source: 'import'})))
  } else {
    // builds from before the bulk path existed (SIGNET_BENCH_ROOT on an old checkout)
    db.transaction(() => {
      for (const content of contents) store.remember({content, agentId, source: 'import'})
    })()
  }
  const seconds = (performance.now() - started) / 1000
  db.close()
  return {count, perSecond: Math.round(count / seconds)}
}

/**
 * B3's bulk figure: `count` memories through the product's bulk path, POST /api/memory/import in
 * batches of 5,000 (what `signet import` sends), into the running daemon.
 */
export async function benchImport(daemon, {count, batch = 5000}) {
  const contents = syntheticMemories(count, 1234).map((text) => `b3 bulk ${text}`)
  const started = performance.now()
  let imported = 0
  for (let offset = 0; offset < contents.length; offset += batch) {
    const memories = contents.slice(offset, offset + batch).map((content) => ({content}))
    const {status, body} = await daemon.json('POST', '/api/memory/import', {memories})
    if (status === 404) return {unavailable: 'no POST /api/memory/import in this build'}
    if (status !== 200) throw new Error(`import answered ${status}: ${JSON.stringify(body).slice(0, 200)}`)
    imported += body.imported
  }
  const seconds = (performance.now() - started) / 1000
  return {count, imported, per_sec: Math.round(count / seconds)}
}

/** Questions from LoCoMo make realistic prompts and queries; a fixed list when LoCoMo is absent. */
export function samplePrompts(conversations) {
  const fromLocomo = conversations?.flatMap((conversation) => conversation.questions.map((question) => question.question))
  if (fromLocomo?.length) return fromLocomo
  // Three short prompts make recall look cheaper than real questions do: never fall back quietly.
  process.stderr.write(
    `bench: no LoCoMo questions in ${locomoDir()} (set SIGNET_LOCOMO_DIR); prompts are 3 fixed ones, not comparable with published figures\n`,
  )
  return ['which database port does staging use', 'how do we deploy the api', 'what package manager does the team prefer']
}

/** B1: the prompt hook spawned as Claude Code does, alternating with a bare `node -e ""`. */
export async function benchPromptHook(daemon, {reps, prompts}) {
  if (!existsSync(path.join(ROOT, 'dist/hooks/cli.js'))) return {unavailable: 'dist/hooks/cli.js is not built (signet hook not implemented yet)'}
  const env = {...daemon.env}
  const payload = (prompt) => JSON.stringify({session_id: 'bench-session', transcript_path: '', cwd: REPO, hook_event_name: 'UserPromptSubmit', prompt})
  const probe = await timeSpawn([RUN_JS, 'hook', 'user-prompt-submit', '-H', 'claude-code'], {env, input: payload(prompts[0])})
  if (probe.code !== 0) return {unavailable: `hook exited ${probe.code}: ${probe.stderr.trim().split('\n')[0]}`}
  // Steady state, as on every prompt after the first: the hook's code cache is written, the
  // daemon's statements are prepared and the page cache is warm (hook-prompt-b1.mjs does the same).
  for (let i = 0; i < 10; i++) {
    await timeSpawn(['-e', ''], {env, input: payload(prompts[i])})
    await timeSpawn([RUN_JS, 'hook', 'user-prompt-submit', '-H', 'claude-code'], {env, input: payload(prompts[i])})
  }
  const hook = []
  const reference = []
  let injected = 0
  for (let i = 0; i < reps; i++) {
    // The reference is spawned the same way: same environment, same JSON on stdin.
    const input = payload(prompts[i % prompts.length])
    reference.push((await timeSpawn(['-e', ''], {env, input})).ms)
    const run = await timeSpawn([RUN_JS, 'hook', 'user-prompt-submit', '-H', 'claude-code'], {env, input})
    hook.push(run.ms)
    if (run.stdout.trim()) injected++
  }
  const figure = summarize(hook)
  const ref = summarize(reference)
  return {...figure, ref_p50_ms: ref.p50_ms, ref_p95_ms: ref.p95_ms, ratio_p50: ratio(figure.p50_ms, ref.p50_ms), injected_share: round(injected / reps)}
}

/** B2: sequential recall over HTTP, alternating with GET /health as the HTTP floor. */
export async function benchRecall(daemon, {reps, prompts, limit = 10}) {
  const recall = []
  const floor = []
  let vectorUsed = 0
  for (let i = 0; i < 20; i++) await daemon.json('POST', '/api/memory/recall', {query: prompts[i % prompts.length], limit})
  const cpuBefore = daemon.cpuMs()
  for (let i = 0; i < reps; i++) {
    let started = performance.now()
    await daemon.json('GET', '/health')
    floor.push(performance.now() - started)
    started = performance.now()
    const {status, body} = await daemon.json('POST', '/api/memory/recall', {query: prompts[i % prompts.length], limit})
    recall.push(performance.now() - started)
    if (status !== 200) throw new Error(`recall answered ${status}: ${JSON.stringify(body)}`)
    if (body.meta?.vector?.status === 'used') vectorUsed++
  }
  const cpuAfter = daemon.cpuMs()
  const figure = summarize(recall)
  const ref = summarize(floor)
  return {
    ...figure,
    ref_p50_ms: ref.p50_ms,
    ratio_p50: ratio(figure.p50_ms, ref.p50_ms),
    // Daemon CPU per recall (+ one /health): unlike wall time, not inflated by a busy machine.
    daemon_cpu_ms_per_request: cpuBefore === null ? null : round((cpuAfter - cpuBefore) / reps),
    vector_used_share: round(vectorUsed / reps),
  }
}

/** B3: sequential remember over HTTP (the bulk figure comes from seedMemories). */
export async function benchRemember(daemon, {count}) {
  const contents = syntheticMemories(count, 99).map((text) => `b3 ${text}`)
  const times = []
  const reference = []
  let cpuMs = 0
  for (const content of contents) {
    // GET /health on the same connection, alternating: the in-run reference for a loaded machine.
    const h0 = performance.now()
    await daemon.json('GET', '/health')
    reference.push(performance.now() - h0)
    const cpu0 = daemon.cpuMs()
    const t0 = performance.now()
    const {status, body} = await daemon.json('POST', '/api/memory/remember', {content})
    times.push(performance.now() - t0)
    cpuMs += daemon.cpuMs() - cpu0
    if (status !== 201 && status !== 200) throw new Error(`remember answered ${status}: ${JSON.stringify(body)}`)
  }
  const summary = summarize(times)
  const ref = summarize(reference)
  // Sequential rate: one client, one request at a time (the /health requests between are not counted).
  const perSecond = Math.round(count / (times.reduce((sum, ms) => sum + ms, 0) / 1000))
  return {
    ...summary,
    per_sec_http: perSecond,
    health_p50_ms: ref.p50_ms,
    ratio_p50: ratio(summary.p50_ms, ref.p50_ms),
    daemon_cpu_ms_per_remember: Math.round((cpuMs / count) * 100) / 100,
  }
}

/**
 * B4: 32 concurrent clients, each with its own API key, 80 % recall / 20 % remember for
 * `seconds`; then every acknowledged write is read back.
 */
/**
 * The many-connectors load of B4 (and B11's, over several daemons): `keys.length` clients, each
 * with its own key, for `seconds`; each request is a recall of one of `prompts` (80 %) or a
 * remember of one (20 %), drawn from the client's own seeded stream. `daemonFor(index)` and
 * `agentFor(index)` say where each client sends and over which connection pool (undefined: the
 * daemon's shared keep-alive pool). Returns what every request took and what was written, by whom.
 */
export async function runMixedClients({keys, seconds, prompts, label, seed, daemonFor, agentFor = () => undefined}) {
  const latencies = []
  const written = []
  const firstErrors = []
  let errors = 0
  let requests = 0
  const deadline = performance.now() + seconds * 1000
  const client = async (index) => {
    const daemon = daemonFor(index)
    const agent = agentFor(index)
    const random = prng(seed + index)
    const headers = keys[index] ? {authorization: `Bearer ${keys[index]}`} : {}
    for (let n = 0; performance.now() < deadline;) {
      const isWrite = random() < 0.2
      const started = performance.now()
      try {
        const {status, body} = isWrite
          ? await daemon.json(
              'POST',
              '/api/memory/remember',
              {content: `${label} client ${index} write ${n++} ${prompts[Math.floor(random() * prompts.length)]}`},
              headers,
              agent,
            )
          : await daemon.json('POST', '/api/memory/recall', {query: prompts[Math.floor(random() * prompts.length)], limit: 10}, headers, agent)
        latencies.push(performance.now() - started)
        requests++
        if (status >= 300) {
          errors++
          if (firstErrors.length < 3) firstErrors.push(`${status} ${JSON.stringify(body).slice(0, 120)}`)
        } else if (isWrite) written.push({id: body.id, headers, client: index})
      } catch (error) {
        errors++
        requests++
        if (firstErrors.length < 3) firstErrors.push(String(error))
      }
    }
  }
  const started = performance.now()
  await Promise.all(keys.map((_, index) => client(index)))
  return {latencies, written, errors, requests, firstErrors, elapsed: (performance.now() - started) / 1000}
}

export async function benchConcurrency(daemon, {clients = 32, seconds, prompts, round: runIndex = 0}) {
  const keys = []
  for (let i = 0; i < clients; i++) {
    const {status, body} = await daemon.json('POST', '/api/auth/api-keys', {name: `bench-${runIndex}-${i}`, role: 'agent'})
    keys.push(status === 201 ? body.apiKey.key : undefined)
  }
  const keyed = keys.every(Boolean)
  const cpuBefore = daemon.cpuMs()
  const run = await runMixedClients({keys, seconds, prompts, label: `b4 run ${runIndex}`, seed: 1000 + runIndex * 100, daemonFor: () => daemon})
  const cpuUsed = cpuBefore === null ? null : daemon.cpuMs() - cpuBefore
  const {requests, elapsed, errors, written, firstErrors} = run
  let lost = 0
  for (const write of written) {
    const {status} = await daemon.json('GET', `/api/memory/${write.id}`, undefined, write.headers)
    if (status !== 200) lost++
  }
  for (const key of keys.filter(Boolean)) {
    const prefix = key.split('_')[2]
    await daemon.json('DELETE', `/api/auth/api-keys/${prefix}`)
  }
  return {
    ...summarize(run.latencies),
    requests,
    per_sec: Math.round(requests / elapsed),
    daemon_cpu_ms_per_request: cpuUsed === null ? null : round(cpuUsed / Math.max(1, requests)),
    daemon_cpu_share: cpuUsed === null ? null : round(cpuUsed / 1000 / elapsed),
    errors,
    writes: written.length,
    lost_writes: lost,
    own_keys: keyed,
    ...(firstErrors.length ? {first_errors: firstErrors} : {}),
  }
}

/** B5: CLI start, alternating with a bare `node -e ""`. */
/** B5's commands: the ones people type, each timed beside a bare `node -e ""` in the same loop. */
export const CLI_START_COMMANDS = {
  version: ['--version'],
  status_json: ['daemon', 'status', '--json'],
  workspace_status: ['status'],
  recall: ['recall', 'deploy checklist'],
  remember: ['remember', 'bench: the deploy checklist lives in the wiki'],
  api_key_list: ['api-key', 'list'],
  connector_list: ['connector', 'list'],
}

export async function benchCliStart(daemon, {reps}) {
  const samples = Object.fromEntries(Object.keys(CLI_START_COMMANDS).map((name) => [name, []]))
  const reference = []
  // The first run of a build writes the CLI's V8 code cache; users pay that once per upgrade.
  for (const args of Object.values(CLI_START_COMMANDS)) await timeSpawn([RUN_JS, ...args], {env: daemon.env})
  for (let i = 0; i < reps; i++) {
    reference.push((await timeSpawn(['-e', ''], {env: daemon.env})).ms)
    for (const [name, args] of Object.entries(CLI_START_COMMANDS)) samples[name].push((await timeSpawn([RUN_JS, ...args], {env: daemon.env})).ms)
  }
  const ref = summarize(reference)
  const commands = Object.fromEntries(
    Object.entries(samples).map(([name, ms]) => {
      const summary = summarize(ms)
      return [name, {args: CLI_START_COMMANDS[name].join(' '), ...summary, ratio_p50: ratio(summary.p50_ms, ref.p50_ms)}]
    }),
  )
  const slowest = Object.values(commands).reduce((worst, command) => (command.p50_ms > worst.p50_ms ? command : worst))
  return {
    ...commands,
    // `version` and `status` (`daemon status --json`) keep their names from earlier result files.
    status: commands.status_json,
    p50_ms: slowest.p50_ms,
    p95_ms: Math.max(...Object.values(commands).map((command) => command.p95_ms)),
    ref_p50_ms: ref.p50_ms,
    ratio_p50: ratio(slowest.p50_ms, ref.p50_ms),
  }
}

/**
 * B7: LoCoMo through the public HTTP API. Each conversation gets its own fresh daemon and
 * workspace (as the plain-BM25 reference gets its own index, so term statistics match); each
 * turn is remembered (the session date as created_at) and each question recalled with
 * limit 10. Only the question text is sent; evidence ids are used afterwards, for scoring.
 * `startForConversation` returns a started daemon and is responsible for cleanup via stop().
 */
export async function benchLocomo(startForConversation, conversations, {onProgress} = {}) {
  const outcomes = []
  const latencies = []
  const vectorStatus = {}
  let vectors
  for (const conversation of conversations) {
    const daemon = await startForConversation(conversation)
    try {
      const agentId = `locomo-${conversation.name}`
      const memoryToTurns = new Map()
      for (const turn of conversation.turns) {
        const {status, body} = await daemon.json('POST', '/api/memory/remember', {
          content: turn.content,
          agentId,
          createdAt: turn.createdAt,
          // Each LoCoMo session is one conversation, as a harness's hooks record it.
          sessionKey: `${conversation.name}-session-${turn.session}`,
        })
        if (status !== 201 && status !== 200) throw new Error(`remember answered ${status}: ${JSON.stringify(body)}`)
        const ids = memoryToTurns.get(body.id) ?? []
        ids.push(turn.diaId)
        memoryToTurns.set(body.id, ids)
      }
      vectors = await daemon.waitForVectors()
      for (const question of conversation.questions) {
        const started = performance.now()
        const {status, body} = await daemon.json('POST', '/api/memory/recall', {query: question.question, agentId, limit: 10})
        latencies.push(performance.now() - started)
        if (status !== 200) throw new Error(`recall answered ${status}: ${JSON.stringify(body)}`)
        const key = body.meta?.vector?.status ?? 'none'
        vectorStatus[key] = (vectorStatus[key] ?? 0) + 1
        outcomes.push({
          conversation: conversation.name,
          category: question.category,
          evidence: question.evidence,
          retrieved: body.results.map((hit) => memoryToTurns.get(hit.id) ?? []),
        })
      }
      onProgress?.(`${conversation.name}: ${conversation.turns.length} turns, ${conversation.questions.length} questions`)
    } finally {
      await daemon.stop()
    }
  }
  const scores = scoreRecall(outcomes)
  const baseline = scoreRecall(plainBm25Outcomes(conversations))
  const perCategory = {}
  for (const key of ['c1', 'c2', 'c3', 'c4']) {
    if (scores[key]) {
      perCategory[key.slice(1)] = {
        ...scores[key],
        baseline_recall_at_5: baseline[key]?.recall_at_5 ?? null,
        baseline_recall_at_10: baseline[key]?.recall_at_10 ?? null,
      }
    }
  }
  // Hold-out: ranking constants are tuned on the first three conversations and confirmed on the
  // other two, so a gain that only fits the conversations it was tuned on shows up here.
  const names = conversations.map((conversation) => conversation.name)
  const split = {}
  for (const [label, members] of [
    ['tune', names.slice(0, 3)],
    ['confirm', names.slice(3)],
  ]) {
    const part = outcomes.filter((outcome) => members.includes(outcome.conversation))
    if (part.length === 0) continue
    const partScores = scoreRecall(part)
    split[label] = {
      conversations: members,
      ...partScores.all,
      per_category: Object.fromEntries(['c1', 'c2', 'c3', 'c4'].filter((key) => partScores[key]).map((key) => [key.slice(1), partScores[key]])),
    }
  }
  return {
    recall_at_5: scores.all.recall_at_5,
    recall_at_10: scores.all.recall_at_10,
    split,
    baseline_recall_at_5: baseline.all.recall_at_5,
    baseline_recall_at_10: baseline.all.recall_at_10,
    ratio_recall_at_10: ratio(scores.all.recall_at_10, baseline.all.recall_at_10),
    questions: scores.all.n,
    per_category: perCategory,
    embedding: {provider: vectors?.provider ?? 'none', model: vectors?.model ?? null, vector_status: vectorStatus},
    ...summarize(latencies),
  }
}

export {percentile}
