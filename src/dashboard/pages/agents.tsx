import {useEffect, useState} from 'preact/hooks'

import type {ResponseOf} from '../../api/contract.js'
import {call, when} from '../api.js'
import {CHANGE_EVENT} from '../live.js'
import type {Session} from '../main.js'
import {DataTable, ErrorNote} from './shared.js'

/**
 * The agent network: who is around (peers), one agent's inbox and sent messages, and a form that
 * sends as that agent. A device scoped to an agent acts only as it (the daemon refuses any other
 * with scope_violation, so the page does not offer a choice); the owner picks among the agents seen.
 */
export function AgentsPage({session}: {session: Session}) {
  const fixedAgent = session.device.agentId
  const [peers, setPeers] = useState<ResponseOf<'GET /api/agents/peers'>>()
  const [agent, setAgent] = useState(fixedAgent ?? '')
  const [box, setBox] = useState<'in' | 'sent'>('in')
  const [messages, setMessages] = useState<ResponseOf<'GET /api/agents/inbox'>>()
  const [error, setError] = useState<unknown>()
  const [to, setTo] = useState('')
  const [subject, setSubject] = useState('')
  const [body, setBody] = useState('')
  const [sent, setSent] = useState<string>()
  const [tick, setTick] = useState(0)

  useEffect(() => {
    const refresh = () => setTick((value) => value + 1)
    addEventListener(CHANGE_EVENT, refresh)
    return () => removeEventListener(CHANGE_EVENT, refresh)
  }, [])

  useEffect(() => {
    call('GET /api/agents/peers').then((value) => {
      setPeers(value)
      // The owner starts on the first agent seen; a scoped device is already on its own.
      setAgent((current) => current || value.agents[0] || 'default')
    }, setError)
  }, [tick])

  useEffect(() => {
    if (!agent) return
    call('GET /api/agents/inbox', {query: {agentId: agent, box, limit: 100}}).then(setMessages, setError)
  }, [agent, box, tick])

  async function send(event: Event) {
    event.preventDefault()
    setError(undefined)
    setSent(undefined)
    try {
      const result = await call('POST /api/agents/messages', {body: {to, body, subject: subject.trim() || undefined, agentId: agent}})
      setSent(`Sent to ${result.message.to}.`)
      setSubject('')
      setBody('')
      setBox('sent')
      setTick((value) => value + 1)
    } catch (caught) {
      setError(caught)
    }
  }

  const agents: string[] = [...new Set([...(peers?.agents ?? []), agent].filter(Boolean))]
  return (
    <section aria-labelledby="agents-title" class="agents">
      <h1 id="agents-title">Agents</h1>
      <ErrorNote error={error} />
      <h2>Peers</h2>
      {/* Status first: on a phone the table scrolls sideways, and who is around is what matters. */}
      <DataTable columns={['Agent', 'Status', 'Last seen', 'Harness', 'Machine', 'Project']} testId="peers">
        {peers?.peers.length === 0 && (
          <tr>
            <td colSpan={6}>No agent has been seen yet.</td>
          </tr>
        )}
        {peers?.peers.map((peer) => (
          <tr key={`${peer.agent}/${peer.harness}/${peer.machine}/${peer.session}`}>
            <td>{peer.agent}</td>
            <td>
              <span class={`status status-${peer.status}`}>{peer.status}</span>
            </td>
            <td>{when(peer.lastSeen)}</td>
            <td>{peer.harness}</td>
            <td>{peer.machine ?? '—'}</td>
            <td>{peer.project ?? '—'}</td>
          </tr>
        ))}
      </DataTable>

      <h2>Messages</h2>
      <div class="inline">
        {fixedAgent ? (
          <p>
            As agent <strong>{fixedAgent}</strong>
          </p>
        ) : (
          <label class="field">
            <span>Agent</span>
            <select name="agent" value={agent} onChange={(event) => setAgent((event.currentTarget as HTMLSelectElement).value)}>
              {agents.map((name) => (
                <option key={name} value={name}>
                  {name}
                </option>
              ))}
            </select>
          </label>
        )}
        <label class="field">
          <span>Box</span>
          <select name="box" value={box} onChange={(event) => setBox((event.currentTarget as HTMLSelectElement).value as 'in' | 'sent')}>
            <option value="in">Inbox</option>
            <option value="sent">Sent</option>
          </select>
        </label>
      </div>
      <ul class="list" aria-label={box === 'in' ? 'Inbox' : 'Sent messages'} data-testid="messages">
        {messages?.messages.length === 0 && <li>{box === 'in' ? 'No messages for this agent.' : 'This agent has sent nothing.'}</li>}
        {messages?.messages.map((message) => (
          <li key={message.id} data-message-id={message.id}>
            <strong>{message.subject ?? '(no subject)'}</strong>{' '}
            <span class={`status status-${message.state}`} data-testid="message-state">
              {message.state}
            </span>
            <br />
            <span class="muted">
              {box === 'in' ? `from ${message.from.agent}${message.from.machine ? `@${message.from.machine}` : ''}` : `to ${message.to}`} · {message.kind} ·{' '}
              {when(message.createdAt)}
            </span>
            <p class="message-body">{message.body}</p>
          </li>
        ))}
      </ul>

      <h2>Send a message</h2>
      <form class="stack" onSubmit={send}>
        <p class="muted">Sent as {agent || 'default'}.</p>
        <label class="field">
          <span>To</span>
          <input
            name="to"
            required
            value={to}
            placeholder="agent or agent@machine"
            onInput={(event) => setTo((event.currentTarget as HTMLInputElement).value)}
          />
        </label>
        <label class="field">
          <span>Subject</span>
          <input name="subject" value={subject} maxLength={200} onInput={(event) => setSubject((event.currentTarget as HTMLInputElement).value)} />
        </label>
        <label class="field">
          <span>Message</span>
          <textarea name="body" required rows={4} value={body} onInput={(event) => setBody((event.currentTarget as HTMLTextAreaElement).value)} />
        </label>
        <button type="submit">Send</button>
        {sent && (
          <p role="status" class="muted">
            {sent}
          </p>
        )}
      </form>
    </section>
  )
}
