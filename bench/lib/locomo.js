import {existsSync, readdirSync, readFileSync} from 'node:fs'
import path from 'node:path'

import {REPO} from './daemon.js'

/** LoCoMo conversations: `../shared/bench/locomo` beside the repo, or SIGNET_LOCOMO_DIR. */
export function locomoDir() {
  return process.env.SIGNET_LOCOMO_DIR ?? path.resolve(REPO, '../shared/bench/locomo')
}

const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december']

/** "1:56 pm on 8 May, 2023" → ISO string (UTC). */
export function parseSessionDate(text) {
  const match = /(\d{1,2}):(\d{2})\s*(am|pm)\s+on\s+(\d{1,2})\s+([A-Za-z]+),?\s+(\d{4})/i.exec(text)
  if (!match) throw new Error(`unrecognised LoCoMo session date: ${text}`)
  const month = MONTHS.indexOf(match[5].toLowerCase())
  if (month < 0) throw new Error(`unrecognised month in ${text}`)
  const hour = (Number(match[1]) % 12) + (match[3].toLowerCase() === 'pm' ? 12 : 0)
  return new Date(Date.UTC(Number(match[6]), month, Number(match[4]), hour, Number(match[2]))).toISOString()
}

/**
 * Every conversation as turns (`speaker: text`, dated by their session) and the questions of
 * categories 1–4 that have evidence. Evidence is kept apart from the question text: the
 * runner only ever sends `question` to the daemon.
 */
export function loadLocomo(dir = locomoDir()) {
  if (!existsSync(dir)) return undefined
  const conversations = []
  for (const file of readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .sort()) {
    const raw = JSON.parse(readFileSync(path.join(dir, file), 'utf8'))
    const sample = raw.conversation ?? raw
    const turns = []
    for (let session = 1; ; session++) {
      const key = `session_${session}`
      if (!(key in sample) && !(`${key}_date_time` in sample)) break
      const list = sample[key]
      if (!Array.isArray(list) || list.length === 0) continue
      const createdAt = parseSessionDate(sample[`${key}_date_time`])
      for (const turn of list) turns.push({diaId: turn.dia_id, session, content: `${turn.speaker}: ${turn.text}`, createdAt})
    }
    const questions = (raw.qa ?? [])
      .filter((qa) => [1, 2, 3, 4].includes(qa.category) && Array.isArray(qa.evidence) && qa.evidence.length > 0)
      .map((qa) => ({question: qa.question, category: qa.category, evidence: qa.evidence}))
    conversations.push({name: file.replace(/\.json$/, ''), turns, questions})
  }
  return conversations
}

/** recall@k = share of a question's evidence ids among the first k results, averaged. */
export function scoreRecall(outcomes) {
  const groups = {}
  const add = (key, r5, r10) => {
    groups[key] ??= {n: 0, r5: 0, r10: 0}
    groups[key].n++
    groups[key].r5 += r5
    groups[key].r10 += r10
  }
  for (const {category, evidence, retrieved} of outcomes) {
    const share = (k) => {
      const seen = new Set(retrieved.slice(0, k).flat())
      return evidence.filter((id) => seen.has(id)).length / new Set(evidence).size
    }
    add('all', share(5), share(10))
    add(`c${category}`, share(5), share(10))
  }
  const out = {}
  for (const [key, group] of Object.entries(groups)) {
    out[key] = {n: group.n, recall_at_5: round3(group.r5 / group.n), recall_at_10: round3(group.r10 / group.n)}
  }
  return out
}

function round3(value) {
  return Math.round(value * 1000) / 1000
}
