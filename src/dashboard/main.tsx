import {render} from 'preact'
import {useEffect, useState} from 'preact/hooks'

import type {ResponseOf} from '../api/contract.js'
import type {DeviceView} from '../api/devices.js'
import {ApiFailure, call, onLoggedOut, setCsrfToken} from './api.js'
import {CHANGE_EVENT} from './live.js'
import {AgentsPage} from './pages/agents.js'
import {KeysPage} from './pages/keys.js'
import {MemoriesPage} from './pages/memories.js'
import {OverviewPage} from './pages/overview.js'
import {SessionsPage} from './pages/sessions.js'
import {SettingsPage} from './pages/settings.js'

/** `GET /api/session` of a dashboard device: the only caller the page works for. */
export type Session = ResponseOf<'GET /api/session'> & {device: DeviceView; csrfToken: string}

/** Pages live behind `#/name`: one document, so the daemon serves only `/` and nothing path-shaped leaks to it. */
const PAGES = [
  {path: 'overview', label: 'Overview'},
  {path: 'memories', label: 'Memories'},
  {path: 'sessions', label: 'Sessions'},
  {path: 'agents', label: 'Agents'},
  {path: 'keys', label: 'Keys & devices'},
  {path: 'settings', label: 'Settings'},
] as const

function currentRoute(): {page: string; rest: string} {
  const hash = location.hash.replace(/^#\/?/, '')
  const [page, ...rest] = hash.split('/')
  return {page: PAGES.some((entry) => entry.path === page) ? page : 'overview', rest: decodeURIComponent(rest.join('/'))}
}

function App() {
  const [session, setSession] = useState<Session | null | undefined>(undefined)
  const [route, setRoute] = useState(currentRoute)

  useEffect(() => {
    const update = () => setRoute(currentRoute())
    addEventListener('hashchange', update)
    const stop = onLoggedOut(() => setSession(null))
    call('GET /api/session')
      .then((value) => {
        // Only a device session may use the dashboard; whoever else the daemon takes this browser for.
        if (value.device === null || value.csrfToken === null) return setSession(null)
        setCsrfToken(value.csrfToken)
        setSession(value as Session)
      })
      .catch((error) => {
        if (!(error instanceof ApiFailure) || error.status !== 401) console.error(error)
        setSession(null)
      })
    return () => {
      removeEventListener('hashchange', update)
      stop()
    }
  }, [])

  // Live updates: the daemon says "something changed" (no data); pages re-read what they show. A
  // dropped stream may mean this device was revoked: asking for the session settles it (401 → login).
  useEffect(() => {
    if (!session) return
    const events = new EventSource('/api/dashboard/events')
    events.addEventListener('change', () => dispatchEvent(new Event(CHANGE_EVENT)))
    events.onerror = () => {
      call('GET /api/session').catch(() => undefined)
    }
    return () => events.close()
  }, [session])

  useEffect(() => {
    const label = PAGES.find((entry) => entry.path === route.page)?.label
    document.title = label ? `${label} · Signet` : 'Signet'
  }, [route.page])

  if (session === undefined) return <p class="boot">Loading Signet…</p>
  if (session === null) return <LoginNeeded />

  const owner = session.permissions.includes('admin')
  const page = route.page
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <span class="brand">Signet</span>
        <nav aria-label="Pages">
          <ul>
            {PAGES.filter((entry) => owner || entry.path !== 'keys').map((entry) => (
              <li key={entry.path}>
                <a href={`#/${entry.path}`} aria-current={page === entry.path ? 'page' : undefined}>
                  {entry.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <span class="who" title={session.device.id}>
          {session.device.name}
          {session.device.agentId || session.device.project ? ` · ${[session.device.agentId, session.device.project].filter(Boolean).join(' / ')}` : ''}
        </span>
      </header>
      <main id="main" tabIndex={-1}>
        {page === 'overview' && <OverviewPage />}
        {page === 'memories' && <MemoriesPage />}
        {page === 'sessions' && <SessionsPage selected={route.rest} />}
        {page === 'agents' && <AgentsPage session={session} />}
        {page === 'keys' && owner && <KeysPage />}
        {page === 'settings' && <SettingsPage session={session} onLoggedOut={() => setSession(null)} />}
      </main>
    </>
  )
}

function LoginNeeded() {
  return (
    <main id="main" class="login-needed">
      <h1>Log in to Signet</h1>
      <p>This browser has no dashboard session (or it was revoked).</p>
      <p>
        On the machine running Signet, run <code>signet dashboard</code> to open a one-time login link, or <code>signet pair --device</code> and scan the QR
        code with this device.
      </p>
    </main>
  )
}

render(<App />, document.getElementById('app')!)
