import {renderAgentMessages} from '../hooks/inject-format.js'
import type {AgentEvent, Recipient} from '../store/agent-messages.js'
import type {AgentMessageRepository, PresenceRepository} from '../store/storage.js'
import {ApiError, badRequest, forbidden} from './api-error.js'
import {retryAfterSeconds, SharedRateLimit} from './auth/rate-limit.js'
import type {DaemonContext} from './context.js'

/*
 * The agent network's shared state inside one daemon: the live listeners of the event stream, the
 * per-sender rate limit and the messaging policy; messages, presence and the limit's counters live
 * in the storage. Built once per daemon (the hook routes and the agent routes must share one set of
 * listeners) and torn down when the daemon stops, which ends every open stream. A listener hears of
 * this daemon's events at once; streams also poll the event log (see STREAM_POLL_MS), which is how
 * they learn of messages sent through another daemon on the same backend.
 */

type Listener = (event: AgentEvent) => void

/** How often an open stream reads the event log for events another daemon wrote. */
export const STREAM_POLL_MS = 400

export class AgentNetwork {
  readonly messages: AgentMessageRepository
  readonly presence: PresenceRepository
  readonly limiter: SharedRateLimit
  private readonly listeners = new Set<Listener>()
  private readonly closers = new Set<() => void>()

  constructor(private readonly daemon: DaemonContext) {
    const settings = daemon.config.agents
    this.messages = daemon.storage.messages
    this.presence = daemon.storage.presence
    this.limiter = new SharedRateLimit(daemon.storage.rateLimits, 'agent-messages', settings.rateLimit)
  }

  subscribe(listener: Listener, onClose: () => void): () => void {
    this.listeners.add(listener)
    this.closers.add(onClose)
    return () => {
      this.listeners.delete(listener)
      this.closers.delete(onClose)
    }
  }

  publish(events: readonly AgentEvent[]): void {
    for (const event of events) {
      for (const listener of this.listeners) listener(event)
    }
  }

  /** End every open stream (daemon stop): each stream's close handler finishes its response. */
  close(): void {
    for (const close of [...this.closers]) close()
    this.listeners.clear()
    this.closers.clear()
  }

  /** 429 with Retry-After once a sending agent has used its window. */
  async assertWithinRate(sender: string): Promise<void> {
    const blocked = await this.limiter.blockedFor(sender)
    if (blocked > 0) {
      const seconds = retryAfterSeconds(blocked)
      throw new ApiError(
        429,
        'rate_limited',
        `agent '${sender}' has sent ${this.limiter.settings.max} messages in ${Math.round(this.limiter.settings.windowMs / 1000)} s; retry in ${seconds} s`,
        {},
        {'Retry-After': String(seconds)},
      )
    }
    await this.limiter.hit(sender)
  }

  /**
   * `agent`, `agent@machine`, or a session key (`session:<key>`, or a bare key a hook reported). The
   * recipient's agent must exist as an address; it need not be online (every agent has a durable inbox).
   */
  async resolveRecipient(address: string): Promise<Recipient & {project?: string | null}> {
    if (address.startsWith('session:')) {
      const session = address.slice('session:'.length)
      const owner = await this.presence.agentOfSession(session)
      if (!owner) throw badRequest(`to: no session '${session}' has been seen by this daemon`, 'to')
      return {address, agent: owner.agent, session, project: owner.project}
    }
    if (!(await this.presence.isKnownAgent(address))) {
      const owner = await this.presence.agentOfSession(address)
      if (owner) return {address, agent: owner.agent, session: address, project: owner.project}
      const at = address.lastIndexOf('@')
      if (at > 0 && at < address.length - 1) return {address, agent: address.slice(0, at), machine: address.slice(at + 1)}
    }
    return {address, agent: address}
  }

  /** 403 policy_denied when `agents.messaging` does not let `from` write to `to`. */
  async assertPolicyAllows(from: {agent: string; project?: string | null}, to: Recipient & {project?: string | null}): Promise<void> {
    const settings = this.daemon.config.agents
    if (settings.messaging === 'open') return
    if (settings.messaging === 'same-project') {
      if (!from.project) throw forbidden("agents.messaging is 'same-project': name the project you are sending from (project)", 'policy_denied')
      const recipientProjects = to.session ? (to.project ? [to.project] : []) : await this.presence.projectsOf(to.agent)
      if (!recipientProjects.includes(from.project)) {
        throw forbidden(`agents.messaging is 'same-project': agent '${to.agent}' has not been seen in project '${from.project}'`, 'policy_denied')
      }
      return
    }
    const allowed = settings.allow.some((rule) => {
      const [left, right] = rule.split(/->|→/).map((part) => part.trim())
      if (right === undefined) return left === from.agent || left === '*'
      return (left === '*' || left === from.agent) && (right === '*' || right === to.agent)
    })
    if (!allowed) throw forbidden(`agents.messaging is 'allowlist' and agents.allow has no rule for '${from.agent}' -> '${to.agent}'`, 'policy_denied')
  }

  /**
   * The unread messages for a hook's session, rendered in their fence within `maxChars`, and marked
   * delivered. With an empty inbox this is one index probe and no write.
   */
  async deliver(
    agentId: string,
    where: {machine?: string | null; session?: string | null},
    maxChars: number,
  ): Promise<{text: string; ids: string[]; deferred: number}> {
    if ((await this.messages.unreadFor(agentId, where, 1)).length === 0) return {text: '', ids: [], deferred: 0}
    let text = ''
    const claimed = await this.messages.claimUnread(agentId, where, (unread) => {
      const rendered = renderAgentMessages(unread, {maxChars})
      text = rendered.text
      const shown = new Set(rendered.ids)
      return unread.filter((message) => shown.has(message.id))
    })
    this.publish(claimed.events)
    return {text, ids: claimed.shown.map((message) => message.id), deferred: claimed.deferred}
  }
}

const networks = new WeakMap<DaemonContext, AgentNetwork>()

export function agentNetworkOf(daemon: DaemonContext): AgentNetwork {
  let network = networks.get(daemon)
  if (!network) {
    network = new AgentNetwork(daemon)
    networks.set(daemon, network)
  }
  return network
}

/** Called when the daemon stops: open event streams end instead of holding the server open. */
export function closeAgentNetwork(daemon: DaemonContext): void {
  networks.get(daemon)?.close()
}
