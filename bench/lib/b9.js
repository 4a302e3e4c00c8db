// B9 (BENCHMARKS.md): recall as users ask. A fixed set of coding-agent memories (several
// projects, agents and sessions) and prompts typed the way people type them; the answer ids
// are used only to score, never sent to the daemon.
import {readFileSync} from 'node:fs'
import path from 'node:path'

import {REPO} from './daemon.js'

const SESSION_STEP_MS = 6 * 60_000
const AGENT_ID = 'b9'

export function loadB9(file = path.join(REPO, 'bench/data/b9-coding-recall.json')) {
  const raw = JSON.parse(readFileSync(file, 'utf8'))
  const memories = []
  for (const session of raw.sessions) {
    const start = Date.parse(session.start)
    session.memories.forEach(([id, type, content], index) => {
      memories.push({
        id,
        type,
        content,
        project: session.project ?? undefined,
        sessionKey: session.key,
        harness: session.agent,
        createdAt: new Date(start + index * SESSION_STEP_MS).toISOString(),
      })
    })
  }
  return {memories, prompts: raw.prompts}
}

/**
 * Store every memory through POST /api/memory/remember, then for each prompt:
 * - ranking: POST /api/memory/recall over the whole store (no project filter, limit 10), the
 *   same call `signet recall` makes; recall@5 = share of a prompt's answers in the first 5,
 *   MRR = 1 / rank of the first answer;
 * - injection: POST /api/hooks/user-prompt-submit with the prompt's project and the default
 *   hook thresholds, the decision the prompt hook really makes. For unrelated prompts any
 *   injection is a false one; for the others, the share of answers injected is reported.
 */
export async function benchB9(daemon, data = loadB9()) {
  const toBench = new Map()
  for (const memory of data.memories) {
    const {status, body} = await daemon.json('POST', '/api/memory/remember', {
      content: memory.content,
      type: memory.type,
      project: memory.project,
      sessionKey: memory.sessionKey,
      createdAt: memory.createdAt,
      agentId: AGENT_ID,
    })
    if (status !== 201 && status !== 200) throw new Error(`remember answered ${status}: ${JSON.stringify(body)}`)
    toBench.set(body.id, memory.id)
  }
  await daemon.waitForVectors()
  const perKind = {}
  const related = {n: 0, r5: 0, r10: 0, mrr: 0, injectedShare: 0, anyInjected: 0}
  const unrelated = {n: 0, injecting: 0, injected: 0, examples: []}
  const misses = []
  for (const prompt of data.prompts) {
    const recall = await daemon.json('POST', '/api/memory/recall', {query: prompt.prompt, agentId: AGENT_ID, limit: 10})
    if (recall.status !== 200) throw new Error(`recall answered ${recall.status}: ${JSON.stringify(recall.body)}`)
    const ranked = recall.body.results.map((hit) => toBench.get(hit.id))
    const hook = await daemon.json('POST', '/api/hooks/user-prompt-submit', {
      harness: 'claude-code',
      agentId: AGENT_ID,
      prompt: prompt.prompt,
      ...(prompt.project ? {project: prompt.project} : {}),
    })
    if (hook.status !== 200) throw new Error(`user-prompt-submit answered ${hook.status}: ${JSON.stringify(hook.body)}`)
    const injected = (hook.body.receipt?.ids ?? []).map((id) => toBench.get(id))
    if (prompt.answers.length === 0) {
      unrelated.n++
      if (injected.length > 0) {
        unrelated.injecting++
        unrelated.injected += injected.length
        unrelated.examples.push({id: prompt.id, prompt: prompt.prompt, injected})
      }
      continue
    }
    const answers = new Set(prompt.answers)
    const share = (k) => ranked.slice(0, k).filter((id) => answers.has(id)).length / answers.size
    const first = ranked.findIndex((id) => answers.has(id))
    const rr = first < 0 ? 0 : 1 / (first + 1)
    const injectedShare = injected.filter((id) => answers.has(id)).length / answers.size
    for (const group of [related, (perKind[prompt.kind] ??= {n: 0, r5: 0, r10: 0, mrr: 0, injectedShare: 0, anyInjected: 0})]) {
      group.n++
      group.r5 += share(5)
      group.r10 += share(10)
      group.mrr += rr
      group.injectedShare += injectedShare
      group.anyInjected += injected.length > 0 ? 1 : 0
    }
    if (share(5) < 1) misses.push({id: prompt.id, kind: prompt.kind, prompt: prompt.prompt, answers: prompt.answers, top5: ranked.slice(0, 5), injected})
  }
  const summary = (group) => ({
    n: group.n,
    recall_at_5: round3(group.r5 / group.n),
    recall_at_10: round3(group.r10 / group.n),
    mrr: round3(group.mrr / group.n),
    answers_injected: round3(group.injectedShare / group.n),
    prompts_injecting: round3(group.anyInjected / group.n),
  })
  return {
    memories: data.memories.length,
    prompts: related.n,
    unrelated_prompts: unrelated.n,
    ...summary(related),
    unrelated_injecting: round3(unrelated.injecting / unrelated.n),
    unrelated_memories_injected: unrelated.injected,
    per_kind: Object.fromEntries(Object.entries(perKind).map(([kind, group]) => [kind, summary(group)])),
    unrelated_examples: unrelated.examples,
    misses,
  }
}

function round3(value) {
  return Math.round(value * 1000) / 1000
}
