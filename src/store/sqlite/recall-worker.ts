import {parentPort, workerData} from 'node:worker_threads'

import Database from 'better-sqlite3'

import type {FromRecallWorker, RecallWorkerData, ToRecallWorker} from './recall-workers.js'
import {sqliteRanker} from './recall-workers.js'

/*
 * One recall worker (./recall-workers.ts): a read-only connection to the daemon's database and the
 * shared ranker over it. Recalls run one at a time, each inside one read transaction, so a recall
 * sees one state of the store — every write committed before it began, none committed while it
 * ranks — as in-process recall does between two writes.
 */

const port = parentPort!
const {dbPath} = workerData as RecallWorkerData
const db = new Database(dbPath, {readonly: true, fileMustExist: true})
db.pragma('busy_timeout = 5000')
const ranker = sqliteRanker(db)
const begin = db.prepare('BEGIN')
const commit = db.prepare('COMMIT')

let queue = Promise.resolve()

port.on('message', (message: ToRecallWorker) => {
  if (message.type === 'close') {
    // Close after the recalls already taken: the pool waits for this thread to exit.
    void queue.then(() => {
      db.close()
      port.close()
    })
    return
  }
  queue = queue.then(() => answer(message.id, message.query))
})

async function answer(id: number, query: Extract<ToRecallWorker, {type: 'recall'}>['query']): Promise<void> {
  let reply: FromRecallWorker
  try {
    begin.run()
    try {
      reply = {type: 'result', id, result: await ranker.recall(query)}
    } finally {
      commit.run()
    }
  } catch (error) {
    const code = (error as {code?: unknown}).code
    reply = {type: 'failed', id, error: {message: String((error as Error).message ?? error), ...(typeof code === 'string' ? {code} : {})}}
  }
  port.postMessage(reply)
}

port.postMessage({type: 'ready'} satisfies FromRecallWorker)
