import {useEffect, useState} from 'preact/hooks'

import {api, query, when} from '../api.js'
import {ErrorNote} from './shared.js'

export function SessionsPage({selected}: {selected: string}) {
  const [agentId, setAgentId] = useState('')
  const [list, setList] = useState<any>()
  const [detail, setDetail] = useState<any>()
  const [transcript, setTranscript] = useState<any>()
  const [receipts, setReceipts] = useState<any>()
  const [error, setError] = useState<unknown>()

  useEffect(() => {
    const timer = setTimeout(() => api('GET', `/api/sessions${query({agentId, limit: 200})}`).then(setList, setError), 150)
    return () => clearTimeout(timer)
  }, [agentId])

  useEffect(() => {
    setDetail(undefined)
    setTranscript(undefined)
    setReceipts(undefined)
    if (!selected) return
    const key = encodeURIComponent(selected)
    api('GET', `/api/sessions/${key}${query({agentId})}`).then(setDetail, setError)
    api('GET', `/api/sessions/${key}/transcript${query({agentId})}`).then(setTranscript, () => setTranscript(null))
    api('GET', `/api/sessions/${key}/receipts${query({agentId})}`).then(setReceipts, setError)
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
          {list?.sessions.map((session: any) => (
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
              {detail.transcripts.map((record: any) => (
                <li key={record.id}>
                  {record.kind} · {record.chars} chars · {when(record.createdAt)}
                </li>
              ))}
            </ul>
            <h3>Per-turn receipts</h3>
            <ol class="list" aria-label="Receipts" data-testid="receipts">
              {receipts?.receipts.length === 0 && <li>No prompt of this session has reached Signet's hooks.</li>}
              {receipts?.receipts.map((receipt: any, turn: number) => (
                <li key={`${receipt.at}-${turn}`}>
                  <strong>Turn {turn + 1}</strong>{' '}
                  <span class="muted">
                    {when(receipt.at)} · {receipt.memories.length} memories · {receipt.messageIds.length} messages · {Math.round(receipt.elapsedMs)} ms
                  </span>
                  {receipt.memories.length > 0 && (
                    <ul>
                      {receipt.memories.map((memory: any) => (
                        <li key={memory.id}>
                          <code>{memory.id}</code> score {memory.score === null ? '?' : Number(memory.score).toFixed(2)}
                          {memory.why?.matched?.length ? ` · words: ${memory.why.matched.join(', ')}` : ''}
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
