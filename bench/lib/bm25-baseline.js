import {createRequire} from 'node:module'

import {REPO} from './daemon.js'

const require = createRequire(`${REPO}/package.json`)
const Database = require('better-sqlite3')

/**
 * The in-run reference for B7: plain SQLite FTS5 BM25 (porter tokenizer, OR of the
 * question's words, nothing else), one in-memory index per conversation.
 */
export function plainBm25Outcomes(conversations) {
  const outcomes = []
  for (const conversation of conversations) {
    const db = new Database(':memory:')
    db.exec("CREATE VIRTUAL TABLE turns USING fts5(content, dia_id UNINDEXED, tokenize='porter unicode61')")
    const insert = db.prepare('INSERT INTO turns(content, dia_id) VALUES (?, ?)')
    db.transaction(() => {
      for (const turn of conversation.turns) insert.run(turn.content, turn.diaId)
    })()
    const search = db.prepare('SELECT dia_id FROM turns WHERE turns MATCH ? ORDER BY bm25(turns) LIMIT 10')
    for (const question of conversation.questions) {
      const words = [...new Set(question.question.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [])]
      const retrieved = words.length ? search.all(words.map((word) => `"${word}"`).join(' OR ')).map((row) => [row.dia_id]) : []
      outcomes.push({category: question.category, evidence: question.evidence, retrieved})
    }
    db.close()
  }
  return outcomes
}
