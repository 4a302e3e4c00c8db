import {useEffect, useState} from 'preact/hooks'

import type {ResponseOf} from '../../api/contract.js'
import {call} from '../api.js'
import type {Session} from '../main.js'
import {ErrorNote} from './shared.js'

export function SettingsPage({session, onLoggedOut}: {session: Session; onLoggedOut: () => void}) {
  const [status, setStatus] = useState<ResponseOf<'GET /api/status'>>()
  const [diagnostics, setDiagnostics] = useState<ResponseOf<'GET /api/diagnostics/db'> | null>()
  const [settings, setSettings] = useState<ResponseOf<'GET /api/dashboard/settings'>>()
  const [embedding, setEmbedding] = useState<ResponseOf<'GET /api/embedding/status'> | null>()
  const [error, setError] = useState<unknown>()
  const owner = session.permissions.includes('admin')

  useEffect(() => {
    call('GET /api/status').then(setStatus, setError)
    call('GET /api/embedding/status').then(setEmbedding, () => setEmbedding(null))
    if (owner) {
      call('GET /api/diagnostics/db').then(setDiagnostics, () => setDiagnostics(null))
      call('GET /api/dashboard/settings').then(setSettings, setError)
    }
  }, [])

  return (
    <section aria-labelledby="settings-title">
      <h1 id="settings-title">Settings</h1>
      <ErrorNote error={error} />
      <h2>This device</h2>
      <dl>
        <dt>Name</dt>
        <dd>{session.device.name}</dd>
        <dt>Access</dt>
        <dd>
          {session.role === 'admin'
            ? 'owner (everything)'
            : `limited to ${[session.device.agentId && `agent ${session.device.agentId}`, session.device.project && `project ${session.device.project}`].filter(Boolean).join(', ')}`}
        </dd>
      </dl>
      <button
        type="button"
        onClick={async () => {
          await call('POST /api/session/logout').catch(() => undefined)
          onLoggedOut()
        }}
      >
        Log out this device
      </button>
      {owner && (
        <>
          <h2>Doctor</h2>
          {!settings && <p>Running doctor…</p>}
          {settings && 'error' in settings.doctor && <p class="error">{settings.doctor.error}</p>}
          {settings && 'findings' in settings.doctor && (
            <ul class="list" aria-label="Doctor findings" data-testid="doctor-findings">
              {settings.doctor.findings.length === 0 && <li>No findings: everything doctor checks is fine.</li>}
              {settings.doctor.findings.map((finding) => (
                <li key={finding.code + finding.message} class={`finding ${finding.level}`}>
                  <strong>{finding.level}</strong> {finding.message}
                  {finding.fix && (
                    <>
                      <br />
                      <span class="muted">Fix: </span>
                      <code>{finding.fix}</code>
                    </>
                  )}
                </li>
              ))}
            </ul>
          )}
          <h2>Effective agent.yaml</h2>
          {settings && (
            <pre class="json" data-testid="effective-config">
              {JSON.stringify(settings.config, null, 2)}
            </pre>
          )}
        </>
      )}
      <h2>Daemon</h2>
      {status && <pre class="json">{JSON.stringify(status, null, 2)}</pre>}
      <h2>Embeddings</h2>
      {embedding && <pre class="json">{JSON.stringify(embedding, null, 2)}</pre>}
      {owner && (
        <>
          <h2>Database diagnostics</h2>
          {diagnostics && <pre class="json">{JSON.stringify(diagnostics, null, 2)}</pre>}
        </>
      )}
    </section>
  )
}
