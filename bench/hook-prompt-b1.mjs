#!/usr/bin/env node
// B1 on its own, with the ≥ 200 alternating runs the hook issue asks for (npm run bench runs fewer):
// `signet hook user-prompt-submit -H claude-code` spawned exactly as Claude Code does (JSON on stdin,
// stdout read) against a real daemon process holding 10,000 memories, alternating with `node -e ""`
// spawned the same way.
//   node bench/hook-prompt-b1.mjs [--reps 200] [--memories 10000] [--embedding none|local]
// Needs a build (npm run build). Prints one JSON object.
import {mkdirSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {parseArgs} from 'node:util'

import {makeWorkspace, RUN_JS, startDaemon, timeSpawn} from './lib/daemon.js'
import {samplePrompts, seedMemories} from './lib/figures.js'
import {loadLocomo} from './lib/locomo.js'
import {round, summarize} from './lib/stats.js'

const {values: options} = parseArgs({
  options: {
    reps: {type: 'string', default: '200'},
    memories: {type: 'string', default: '10000'},
    embedding: {type: 'string'},
  },
})
const reps = Number(options.reps)
const log = (line) => process.stderr.write(`${line}\n`)

const ws = await makeWorkspace({embedding: options.embedding})
// A project as harnesses see it: a git checkout with a remote (the project id comes from .git/config).
const repo = path.join(ws.home, 'src', 'api')
mkdirSync(path.join(repo, '.git'), {recursive: true})
writeFileSync(path.join(repo, '.git', 'config'), '[core]\n\tbare = false\n[remote "origin"]\n\turl = git@github.com:acme/api.git\n')
try {
  log(`seeding ${options.memories} memories`)
  await seedMemories(ws.workspace, Number(options.memories))
  const daemon = await startDaemon(ws)
  try {
    await daemon.waitForVectors(900_000)
    const prompts = samplePrompts(loadLocomo())
    const payload = (prompt) =>
      JSON.stringify({
        session_id: `bench-${Math.floor(Math.random() * 1e9)}`,
        transcript_path: '',
        cwd: repo,
        permission_mode: 'default',
        hook_event_name: 'UserPromptSubmit',
        prompt,
      })
    const hookArgs = [RUN_JS, 'hook', 'user-prompt-submit', '-H', 'claude-code']
    const env = {...daemon.env}
    for (let i = 0; i < 10; i++) {
      // warm the page cache and the daemon's prepared statements
      await timeSpawn(['-e', ''], {env, input: payload(prompts[i])})
      const probe = await timeSpawn(hookArgs, {env, input: payload(prompts[i])})
      if (probe.code !== 0 || probe.stderr) throw new Error(`hook failed: ${probe.code} ${probe.stderr}`)
    }
    const hook = []
    const reference = []
    let injected = 0
    for (let i = 0; i < reps; i++) {
      const input = payload(prompts[i % prompts.length])
      reference.push((await timeSpawn(['-e', ''], {env, input})).ms)
      const run = await timeSpawn(hookArgs, {env, input})
      if (run.code !== 0) throw new Error(`hook exited ${run.code}: ${run.stderr}`)
      hook.push(run.ms)
      if (run.stdout.trim()) injected++
      if ((i + 1) % 50 === 0) log(`${i + 1}/${reps}`)
    }
    const figure = summarize(hook)
    const ref = summarize(reference)
    console.log(
      JSON.stringify(
        {
          figure: 'B1 prompt hook, end to end',
          memories: Number(options.memories),
          reps,
          hook: figure,
          node_e: ref,
          ratio_p50: round(figure.p50_ms / ref.p50_ms),
          ratio_p95: round(figure.p95_ms / ref.p95_ms),
          injected_share: round(injected / reps),
          target: 'p95 ≤ 120 ms; p50 ≤ 1.6 × node -e ""',
          machine: {cores: os.cpus().length, cpu: os.cpus()[0]?.model, node: process.version, loadavg: os.loadavg().map((value) => round(value))},
        },
        null,
        2,
      ),
    )
  } finally {
    await daemon.stop()
  }
} finally {
  ws.cleanup()
}
