import {useEffect, useState} from 'preact/hooks'

import type {ResponseOf} from '../../api/contract.js'
import {call, when} from '../api.js'
import {CHANGE_EVENT} from '../live.js'
import {ErrorNote} from './shared.js'

export function OverviewPage() {
  const [status, setStatus] = useState<ResponseOf<'GET /api/status'>>()
  const [harnesses, setHarnesses] = useState<ResponseOf<'GET /api/harnesses'>['harnesses']>()
  const [sessions, setSessions] = useState<ResponseOf<'GET /api/sessions'>>()
  const [error, setError] = useState<unknown>()

  useEffect(() => {
    const load = () => {
      call('GET /api/status').then(setStatus, setError)
      call('GET /api/harnesses').then((value) => setHarnesses(value.harnesses), setError)
      call('GET /api/sessions', {query: {limit: 8}}).then(setSessions, setError)
    }
    load()
    addEventListener(CHANGE_EVENT, load)
    return () => removeEventListener(CHANGE_EVENT, load)
  }, [])

  return (
    <section aria-labelledby="overview-title">
      <h1 id="overview-title">Overview</h1>
      <ErrorNote error={error} />
      <div class="cards">
        <div class="card">
          <h2>Daemon</h2>
          {status ? (
            <dl>
              <dt>Status</dt>
              <dd data-testid="health">{status.status}</dd>
              <dt>Version</dt>
              <dd>{status.version}</dd>
              <dt>Up</dt>
              <dd>{Math.round(status.uptime / 60)} min</dd>
              <dt>Auth</dt>
              <dd>
                {status.authMode} · {status.networkMode}
              </dd>
            </dl>
          ) : (
            <p>Loading…</p>
          )}
        </div>
        <div class="card">
          <h2>Counts</h2>
          <dl>
            <dt>Memories</dt>
            <dd data-testid="memory-count">{status?.memoryCount ?? '…'}</dd>
            <dt>Sessions</dt>
            <dd>{sessions?.total ?? '…'}</dd>
            <dt>Embeddings</dt>
            <dd>{status ? `${status.embedding.provider}${status.embedding.model ? ` (${status.embedding.model})` : ''}` : '…'}</dd>
          </dl>
        </div>
      </div>
      <h2>Harnesses</h2>
      {harnesses && harnesses.length === 0 && <p>No harness has been connected yet (signet connect).</p>}
      <ul class="list">
        {harnesses?.map((harness) => (
          <li key={harness.name}>
            <strong>{harness.name}</strong>{' '}
            <span class="muted">
              {harness.configured ? 'configured' : 'seen'} · last seen {when(harness.lastSeen)}
            </span>
          </li>
        ))}
      </ul>
      <h2>Recent sessions</h2>
      {sessions && sessions.sessions.length === 0 && <p>No sessions yet.</p>}
      <ul class="list">
        {sessions?.sessions.map((session) => (
          <li key={session.sessionKey + session.agentId}>
            <a href={`#/sessions/${encodeURIComponent(session.sessionKey)}`}>{session.sessionKey}</a>{' '}
            <span class="muted">
              {session.harness ?? 'unknown harness'} · {session.project ?? 'no project'} · {when(session.startedAt)}
            </span>
          </li>
        ))}
      </ul>
    </section>
  )
}
