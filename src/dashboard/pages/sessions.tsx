import {useEffect, useState} from 'preact/hooks'

import type {ResponseOf} from '../../api/contract.js'
import {call, when} from '../api.js'
import {ErrorNote} from './shared.js'

export function SessionsPage({selected}: {selected: string}) {
  const [agentId, setAgentId] = useState('')
  const [list, setList] = useState<ResponseOf<'GET /api/sessions'>>()
  const [detail, setDetail] = useState<ResponseOf<'GET /api/sessions/:key'>>()
  const [transcript, setTranscript] = useState<ResponseOf<'GET /api/sessions/:key/transcript'> | null>()
  const [receipts, setReceipts] = useState<ResponseOf<'GET /api/sessions/:key/receipts'>>()
  const [error, setError] = useState<unknown>()

  useEffect(() => {
    const timer = setTimeout(() => call('GET /api/sessions', {query: {agentId: agentId || undefined, limit: 200}}).then(setList, setError), 150)
    return () => clearTimeout(timer)
  }, [agentId])

  useEffect(() => {
    setDetail(undefined)
    setTranscript(undefined)
    setReceipts(undefined)
    if (!selected) return
    const request = {params: {key: selected}, query: {agentId: agentId || undefined}}
    call('GET /api/sessions/:key', request).then(setDetail, setError)
    call('GET /api/sessions/:key/transcript', request).then(setTranscript, () => setTranscript(null))
    call('GET /api/sessions/:key/receipts', request).then(setReceipts, setError)
  }, [selected, agentId])

  return (
    <section aria-labelledby="sessions-title" class="sessions">
      <h1 id="sessions-title">Sessions</h1>
      <label class="field">
        <span>Agent</span>
        <input name="agentId" value={agentId} placeholder="default" onInput={(event) => setAgentId((event.currentTarget as HTMLInputElement).value)} />
      </label>
      <ErrorNote error={error} />
      <div class="split">
        <ul class="list" aria-label="Sessions">
          {list?.sessions.length === 0 && <li>No sessions stored for this agent.</li>}
          {list?.sessions.map((session) => (
            <li key={session.sessionKey}>
              <a href={`#/sessions/${encodeURIComponent(session.sessionKey)}`} aria-current={session.sessionKey === selected ? 'true' : undefined}>
                {session.sessionKey}
              </a>
              <br />
              <span class="muted">
                {session.harness ?? 'unknown'} · {session.project ?? 'no project'} · {when(session.startedAt)}
              </span>
            </li>
          ))}
        </ul>
        {detail && (
          <article class="session-detail" aria-labelledby="session-title">
            <h2 id="session-title">{detail.session.sessionKey}</h2>
            <dl>
              <dt>Harness</dt>
              <dd>{detail.session.harness ?? 'unknown'}</dd>
              <dt>Project</dt>
              <dd>{detail.session.project ?? 'none'}</dd>
              <dt>Started</dt>
              <dd>{detail.session.startedAt}</dd>
              <dt>Ended</dt>
              <dd>{detail.session.endedAt ?? 'still open'}</dd>
              <dt>Memories injected</dt>
              <dd data-testid="injected-count">{detail.session.injectedCount}</dd>
            </dl>
            <h3>Stored records</h3>
            <ul class="list">
              {detail.transcripts.map((record) => (
                <li key={record.id}>
                  {record.kind} · {record.chars} chars · {when(record.createdAt)}
                </li>
              ))}
            </ul>
            <h3>Per-turn receipts</h3>
            <ol class="list" aria-label="Receipts" data-testid="receipts">
              {receipts?.receipts.length === 0 && <li>No prompt of this session has reached Signet's hooks.</li>}
              {receipts?.receipts.map((receipt, turn) => (
                <li key={`${receipt.at}-${turn}`}>
                  <strong>Turn {turn + 1}</strong>{' '}
                  <span class="muted">
                    {when(receipt.at)} · {receipt.memories.length} memories · {receipt.messageIds.length} messages · {Math.round(receipt.elapsedMs)} ms
                  </span>
                  {receipt.memories.length > 0 && (
                    <ul>
                      {receipt.memories.map((memory) => (
                        <li key={memory.id}>
                          <code>{memory.id}</code> score {memory.score === null ? '?' : Number(memory.score).toFixed(2)}
                          {memory.why?.matched.length ? ` · words: ${memory.why.matched.join(', ')}` : ''}
                        </li>
                      ))}
                    </ul>
                  )}
                </li>
              ))}
            </ol>
            <h3>Transcript</h3>
            {transcript === null && <p>No transcript stored for this session.</p>}
            {transcript && (
              <pre class="transcript" tabIndex={0} aria-label="Transcript">
                {transcript.content}
              </pre>
            )}
          </article>
        )}
      </div>
    </section>
  )
}
