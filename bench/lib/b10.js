// B10, the agent network:
//  (a) delivery to a connected SSE client: A posts a message to B while B holds GET /api/agents/stream;
//      latency = from the start of the POST to B reading the `message` event. Target p50 ≤ 20, p95 ≤ 50 ms.
//  (b) the prompt hook with an empty inbox vs without the feature, B1's method (the real
//      `signet hook user-prompt-submit -H claude-code` spawned, alternating). "Without the feature" is
//      the base build when SIGNET_B10_BASE_ROOT names a built checkout of it (two daemons, same
//      seed, alternating); otherwise the same build with a key lacking the `messages` permission
//      (the inbox probe skipped). Target: ≤ 1 ms more at p50.
//  (c) the daemon-side work the feature adds to every hook (presence upsert + the unread probe),
//      timed in process over many calls, which resolves what spawned runs cannot (their noise is ms).
import {spawn, spawnSync} from 'node:child_process'
import {mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import http from 'node:http'
import path from 'node:path'

import {freePort, makeWorkspace, ROOT, RUN_JS, startDaemon, timeSpawn} from './daemon.js'
import {seedMemories} from './figures.js'
import {ratio, round, summarize} from './stats.js'

function adminHeaders(ws) {
  const token = readFileSync(path.join(ws.workspace, '.daemon', 'admin.token'), 'utf8').trim()
  return {authorization: `Bearer ${token}`}
}

async function mintKey(daemon, ws, body) {
  const created = await daemon.json('POST', '/api/auth/api-keys', body, adminHeaders(ws))
  if (created.status !== 201) throw new Error(`key create → ${created.status} ${JSON.stringify(created.body)}`)
  return created.body.apiKey.key
}

/** An SSE reader on node:http that resolves waiters as events arrive. */
function openStream(url, headers) {
  return new Promise((resolve, reject) => {
    const waiters = []
    const request = http.get(url, {headers: {accept: 'text/event-stream', ...headers}}, (response) => {
      if (response.statusCode !== 200) return reject(new Error(`stream → ${response.statusCode}`))
      let buffer = ''
      response.setEncoding('utf8')
      response.on('data', (chunk) => {
        buffer += chunk
        let end
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end)
          buffer = buffer.slice(end + 2)
          const event = /^event: (.*)$/m.exec(block)?.[1]
          const data = /^data: (.*)$/m.exec(block)?.[1]
          if (!event) continue
          const at = performance.now()
          for (let i = waiters.length - 1; i >= 0; i--) {
            if (waiters[i].match(event, data)) waiters.splice(i, 1)[0].resolve(at)
          }
        }
      })
      resolve({
        next: (match) => new Promise((done) => waiters.push({match, resolve: done})),
        close: () => request.destroy(),
      })
    })
    request.on('error', reject)
  })
}

async function benchSseDelivery(daemon, ws, {reps}) {
  const sender = await mintKey(daemon, ws, {name: 'b10 sender', role: 'agent', agentId: 'b10-a'})
  const recipient = await mintKey(daemon, ws, {name: 'b10 recipient', role: 'agent', agentId: 'b10-b'})
  const stream = await openStream(`${daemon.url}/api/agents/stream`, {authorization: `Bearer ${recipient}`})
  const samples = []
  try {
    for (let i = 0; i < reps + 10; i++) {
      const marker = `b10 message ${i} ${Math.random()}`
      const arrived = stream.next((event, data) => event === 'message' && data?.includes(marker))
      const started = performance.now()
      const sent = await daemon.json('POST', '/api/agents/messages', {to: 'b10-b', body: marker}, {authorization: `Bearer ${sender}`})
      if (sent.status !== 201) throw new Error(`send → ${sent.status} ${JSON.stringify(sent.body)}`)
      const at = await arrived
      if (i >= 10) samples.push(at - started)
      // Stay under the per-sender rate limit (the bench's agent.yaml lifts it, this is belt and braces).
    }
  } finally {
    stream.close()
  }
  return summarize(samples)
}

/** A daemon of another build (the base commit) in its own workspace, for the before/after hook figure. */
async function startDaemonAt(root, ws) {
  const port = await freePort()
  const env = {...ws.env, SIGNET_PORT: String(port)}
  const child = spawn(process.execPath, [path.join(root, 'bin/run.js'), 'daemon', 'run', '--quiet'], {env, stdio: ['ignore', 'ignore', 'pipe']})
  const url = `http://127.0.0.1:${port}`
  const deadline = Date.now() + 20_000
  for (;;) {
    try {
      if ((await fetch(`${url}/health`)).ok) break
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error('base daemon did not start')
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return {
    env: {...env, SIGNET_DAEMON_URL: url},
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', resolve)
        child.kill('SIGTERM')
      }),
  }
}

async function benchEmptyInboxHook({reps, prompts, memories, log}) {
  const baseRoot = process.env.SIGNET_B10_BASE_ROOT
  const ws = await makeWorkspace()
  writeFileSync(
    path.join(ws.workspace, 'agent.yaml'),
    `${readFileSync(path.join(ws.workspace, 'agent.yaml'), 'utf8')}\nagents:\n  rateLimit: {windowMs: 60000, max: 100000}\n`,
  )
  const baseWs = baseRoot ? await makeWorkspace() : undefined
  const repo = path.join(ws.home, 'src', 'api')
  mkdirSync(path.join(repo, '.git'), {recursive: true})
  writeFileSync(path.join(repo, '.git', 'config'), '[remote "origin"]\n\turl = git@github.com:acme/api.git\n')
  try {
    log(`B10: seeding ${memories} memories`)
    await seedMemories(ws.workspace, memories)
    // The base build's own code must create its database (this build's would migrate it past what the base reads).
    if (baseWs) {
      const script = `import(${JSON.stringify(new URL('./figures.js', import.meta.url).href)}).then((m) => m.seedMemories(${JSON.stringify(baseWs.workspace)}, ${memories}))`
      const seeded = spawnSync(process.execPath, ['--input-type=module', '-e', script], {env: {...process.env, SIGNET_BENCH_ROOT: baseRoot}, encoding: 'utf8'})
      if (seeded.status !== 0) throw new Error(`seeding the base workspace failed: ${seeded.stderr}`)
    }
    const daemon = await startDaemon(ws)
    const base = baseWs ? await startDaemonAt(baseRoot, baseWs) : undefined
    try {
      const withFeature = await mintKey(daemon, ws, {name: 'b10 hook', role: 'agent', agentId: 'default'})
      const envOn = {...daemon.env, SIGNET_API_KEY: withFeature}
      let envOff
      let method
      if (base) {
        envOff = {...base.env}
        method = `base build at ${baseRoot} vs this build, two daemons with the same seed`
      } else {
        const narrowed = await mintKey(daemon, ws, {
          name: 'b10 hook, no messages',
          role: 'agent',
          agentId: 'default',
          permissions: ['recall', 'remember', 'modify', 'forget', 'hooks', 'sessions'],
        })
        envOff = {...daemon.env, SIGNET_API_KEY: narrowed}
        method = 'same daemon: a key with the messages permission vs one without (inbox probe skipped); presence is written in both'
      }
      const args = [RUN_JS, 'hook', 'user-prompt-submit', '-H', 'claude-code']
      const baseArgs = base ? [path.join(baseRoot, 'bin/run.js'), 'hook', 'user-prompt-submit', '-H', 'claude-code'] : args
      const payload = (prompt, i) => JSON.stringify({session_id: `b10-${i % 20}`, cwd: repo, hook_event_name: 'UserPromptSubmit', prompt})
      for (let i = 0; i < 10; i++) {
        await timeSpawn(args, {env: envOn, input: payload(prompts[i], i)})
        await timeSpawn(baseArgs, {env: envOff, input: payload(prompts[i], i)})
      }
      const on = []
      const off = []
      for (let i = 0; i < reps; i++) {
        const input = payload(prompts[i % prompts.length], i)
        // Alternate which goes first so drift in machine load falls on both equally.
        const first = i % 2 === 0
        if (first) off.push((await timeSpawn(baseArgs, {env: envOff, input})).ms)
        const run = await timeSpawn(args, {env: envOn, input})
        if (run.code !== 0) throw new Error(`hook exited ${run.code}: ${run.stderr}`)
        on.push(run.ms)
        if (!first) off.push((await timeSpawn(baseArgs, {env: envOff, input})).ms)
      }
      // The route alone over HTTP (no process spawn, whose noise is milliseconds on a loaded machine):
      // the daemon's own elapsedMs from the receipt, same alternation. Only meaningful on one daemon.
      let route
      if (!base) {
        const routeOn = []
        const routeOff = []
        const call = async (key, i) => {
          const response = await daemon.json(
            'POST',
            '/api/hooks/user-prompt-submit',
            {
              harness: 'claude-code',
              sessionKey: `b10-route-${i % 20}`,
              machineId: 'bench',
              project: 'github.com/acme/api',
              prompt: prompts[i % prompts.length],
            },
            {authorization: `Bearer ${key}`},
          )
          return response.body.receipt.elapsedMs
        }
        const narrowedKey = envOff.SIGNET_API_KEY
        for (let i = 0; i < reps * 5; i++) {
          routeOn.push(await call(withFeature, i))
          routeOff.push(await call(narrowedKey, i))
        }
        const x = summarize(routeOn)
        const y = summarize(routeOff)
        route = {with_feature: x, without_feature: y, extra_p50_ms: round(x.p50_ms - y.p50_ms)}
      }
      const a = summarize(on)
      const b = summarize(off)
      return {
        method,
        route_elapsed: route,
        with_feature: a,
        without_feature: b,
        extra_p50_ms: round(a.p50_ms - b.p50_ms),
        extra_p95_ms: round(a.p95_ms - b.p95_ms),
        ratio_p50: ratio(a.p50_ms, b.p50_ms),
      }
    } finally {
      await daemon.stop()
      await base?.stop()
    }
  } finally {
    ws.cleanup()
    baseWs?.cleanup()
  }
}

/** The added work on the daemon's hook path, in process on a real SQLite file: presence upsert + unread probe. */
async function benchAddedHookWork({calls}) {
  const {openDatabase} = await import(path.join(ROOT, 'dist/store/db.js'))
  const {PresenceStore} = await import(path.join(ROOT, 'dist/store/presence.js'))
  const {AgentMessageStore} = await import(path.join(ROOT, 'dist/store/agent-messages.js'))
  const ws = await makeWorkspace()
  const db = openDatabase(path.join(ws.workspace, 'b10.db'))
  try {
    const presence = new PresenceStore(db)
    const messages = new AgentMessageStore(db)
    // Other agents' mail in the table, so the probe is an index lookup and not a scan of nothing.
    for (let i = 0; i < 2000; i++)
      messages.send({from: {agent: 'other'}, to: {address: `agent-${i % 50}`, agent: `agent-${i % 50}`}, kind: 'note', body: `filler ${i}`})
    const probe = []
    const upsert = []
    for (let i = 0; i < calls; i++) {
      let t = performance.now()
      messages.unreadFor('default', {machine: 'laptop', session: `s-${i % 20}`}, 1)
      probe.push(performance.now() - t)
      t = performance.now()
      presence.see({
        agentId: 'default',
        harness: 'claude-code',
        machineId: 'laptop',
        sessionKey: `s-${i % 20}`,
        project: 'github.com/acme/api',
        event: 'user-prompt-submit',
      })
      upsert.push(performance.now() - t)
    }
    // Summarised in microseconds (summarize rounds to 0.01 of its unit).
    const p = summarize(probe.map((ms) => ms * 1000))
    const u = summarize(upsert.map((ms) => ms * 1000))
    return {calls, unread_probe_us: {p50: p.p50_ms, p95: p.p95_ms}, presence_upsert_us: {p50: u.p50_ms, p95: u.p95_ms}}
  } finally {
    db.close()
    ws.cleanup()
  }
}

export async function benchAgentNetwork({quick, prompts, log}) {
  const ws = await makeWorkspace()
  writeFileSync(
    path.join(ws.workspace, 'agent.yaml'),
    `${readFileSync(path.join(ws.workspace, 'agent.yaml'), 'utf8')}\nagents:\n  rateLimit: {windowMs: 60000, max: 100000}\n`,
  )
  let delivery
  try {
    const daemon = await startDaemon(ws)
    try {
      log('B10: SSE delivery latency')
      delivery = await benchSseDelivery(daemon, ws, {reps: quick ? 100 : 300})
    } finally {
      await daemon.stop()
    }
  } finally {
    ws.cleanup()
  }
  log('B10: prompt hook, empty inbox, with vs without the feature (alternating)')
  const hook = await benchEmptyInboxHook({reps: quick ? 30 : 100, prompts, memories: quick ? 2000 : 10_000, log})
  log('B10: added daemon work per hook, in process')
  const added = await benchAddedHookWork({calls: quick ? 5000 : 20_000})
  return {
    sse_delivery: delivery,
    p50_ms: delivery.p50_ms,
    p95_ms: delivery.p95_ms,
    empty_inbox_hook: hook,
    added_hook_work: added,
    target: 'delivery p50 ≤ 20, p95 ≤ 50 ms; empty-inbox hook ≤ 1 ms more',
  }
}
