import {useEffect, useState} from 'preact/hooks'

import {api} from '../api.js'
import type {Session} from '../main.js'
import {ErrorNote} from './shared.js'

export function SettingsPage({session, onLoggedOut}: {session: Session; onLoggedOut: () => void}) {
  const [status, setStatus] = useState<any>()
  const [diagnostics, setDiagnostics] = useState<any>()
  const [settings, setSettings] = useState<any>()
  const [embedding, setEmbedding] = useState<any>()
  const [error, setError] = useState<unknown>()
  const owner = session.permissions.includes('admin')

  useEffect(() => {
    api('GET', '/api/status').then(setStatus, setError)
    api('GET', '/api/embedding/status').then(setEmbedding, () => setEmbedding(null))
    if (owner) {
      api('GET', '/api/diagnostics/db').then(setDiagnostics, () => setDiagnostics(null))
      api('GET', '/api/dashboard/settings').then(setSettings, setError)
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
        <dd>{session.role === 'admin' ? 'owner (everything)' : `limited to ${[session.device.agentId && `agent ${session.device.agentId}`, session.device.project && `project ${session.device.project}`].filter(Boolean).join(', ')}`}</dd>
      </dl>
      <button
        type="button"
        onClick={async () => {
          await api('POST', '/api/session/logout').catch(() => undefined)
          onLoggedOut()
        }}
      >
        Log out this device
      </button>
      {owner && (
        <>
          <h2>Doctor</h2>
          {!settings && <p>Running doctor…</p>}
          {settings?.doctor?.error && <p class="error">{settings.doctor.error}</p>}
          {settings?.doctor?.findings && (
            <ul class="list" aria-label="Doctor findings" data-testid="doctor-findings">
              {settings.doctor.findings.length === 0 && <li>No findings: everything doctor checks is fine.</li>}
              {settings.doctor.findings.map((finding: any) => (
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
          {settings && <pre class="json" data-testid="effective-config">{JSON.stringify(settings.config, null, 2)}</pre>}
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
