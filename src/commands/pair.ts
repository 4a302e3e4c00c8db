import {Flags} from '@oclif/core'
import qrcode from 'qrcode-terminal'

import type {BodyOf, ResponseOf} from '../api/contract.js'
import {SignetCommand} from '../cli/base-command.js'
import {candidateUrls, type CandidateUrl} from '../cli/reachable-urls.js'
import {parseDaemonUrl} from '../client/daemon-url.js'
import {createDaemonClient, resolveDaemonEndpoint} from '../client/resolve-endpoint.js'
import {loadAgentConfig} from '../config/agent-config.js'
import {isLoopbackAddress} from '../config/network.js'
import {SignetError} from '../errors.js'
import {paint} from '../ui/output.js'
import {type LoginLink, requestLoginLink} from './dashboard.js'

type PairResponse = ResponseOf<'POST /api/auth/pair'>

export interface PairResult extends PairResponse {
  /** The address a remote machine should use. */
  connectUrl: string
  /** Why that address: --url, SIGNET_DAEMON_URL, or which candidate came first. */
  chosenBecause: string
  /** Every address a remote machine might use, best first, so the user can pick another with --url. */
  candidates: CandidateUrl[]
  uri: string
}

export default class Pair extends SignetCommand<typeof Pair> {
  static override description = 'Print a one-time pairing code (and QR) that a remote machine exchanges for a scoped API key'
  static override enableJsonFlag = true
  static override examples = [
    '<%= config.bin %> pair --connector pi --agent-id pi-laptop',
    '<%= config.bin %> pair --connector codex --ttl 30m --url http://devbox.tailnet.ts.net:3850',
  ]
  static override flags = {
    connector: Flags.string({description: 'harness the remote machine will connect (pi, codex, …)'}),
    'agent-id': Flags.string({description: 'scope the minted key to this agent'}),
    project: Flags.string({description: 'scope the minted key to this project'}),
    role: Flags.string({description: 'role of the minted key', options: ['agent', 'readonly', 'operator'], default: 'agent'}),
    ttl: Flags.string({description: 'how long the code stays valid: 90s, 10m, 2h (max 24h)', default: '10m'}),
    url: Flags.string({description: 'daemon URL as the remote machine sees it (default: the first of the addresses listed; network.hostnames come first)'}),
    device: Flags.boolean({
      description: 'pair a phone or another computer with the web dashboard (QR of a one-time login link) instead of a harness',
      exclusive: ['connector', 'role'],
    }),
    name: Flags.string({description: 'with --device: the name the device is listed under', dependsOn: ['device']}),
  }

  public async run(): Promise<PairResult | DevicePairResult> {
    const ttlSeconds = parseTtl(this.flags.ttl)
    const explicitUrl = this.flags.url === undefined ? undefined : parseDaemonUrl(this.flags.url, '--url')
    const workspace = this.resolveWorkspace().path
    if (this.flags.device) return this.pairDevice(workspace, ttlSeconds, explicitUrl)
    const client = createDaemonClient({workspace, asOwner: true})
    const issued = await client.call('POST /api/auth/pair', {
      body: {
        connector: this.flags.connector,
        agentId: this.flags['agent-id'],
        project: this.flags.project,
        role: this.flags.role as BodyOf<'POST /api/auth/pair'>['role'],
        ttlSeconds,
      },
    })
    const status = await client.call('GET /api/status')
    const loopbackOnly = isLoopbackAddress(status.bindHost)
    const candidates = loopbackOnly ? [] : candidateUrls(status.bindHost, status.port, loadAgentConfig(workspace).network.hostnames)
    let connectUrl: string
    let chosenBecause: string
    const endpoint = explicitUrl ? undefined : resolveDaemonEndpoint({workspace, asOwner: true})
    if (explicitUrl) {
      connectUrl = explicitUrl
      chosenBecause = 'given with --url'
    } else if (endpoint?.urlSource === 'env') {
      connectUrl = endpoint.url
      chosenBecause = 'SIGNET_DAEMON_URL'
    } else if (candidates.length > 0) {
      connectUrl = candidates[0].url
      chosenBecause = `${candidates[0].source}, the first candidate`
    } else {
      connectUrl = issued.url
      chosenBecause = loopbackOnly ? 'the daemon listens on loopback only' : 'no other address found'
    }
    const uri = `signet://connect?url=${encodeURIComponent(connectUrl)}&code=${encodeURIComponent(issued.code)}`
    const result: PairResult = {...issued, connectUrl, chosenBecause, candidates, uri}
    if (this.wantsJson) return result

    const minutes = Math.round(ttlSeconds / 60)
    this.log(`Pairing code: ${paint.bold(issued.code)}`)
    this.log(`Expires:      ${issued.expiresAt} (in ${ttlSeconds < 120 ? `${ttlSeconds}s` : `${minutes}m`}; works once)`)
    const grant = [
      `role ${issued.role}`,
      issued.connector && `connector ${issued.connector}`,
      issued.agentId && `agent ${issued.agentId}`,
      issued.project && `project ${issued.project}`,
    ]
    this.log(`Grants:       ${grant.filter(Boolean).join(', ')}`)
    this.log(`Daemon URL:   ${connectUrl} ${paint.dim(`(${chosenBecause})`)}`)
    const others = candidates.filter((candidate) => candidate.url !== connectUrl)
    if (others.length > 0) {
      // Only the user knows which network the remote machine is on: show the rest, and how to pick one.
      this.log(paint.dim('Other addresses (choose one with --url if the remote machine cannot reach the one above):'))
      const width = Math.max(...others.map((candidate) => candidate.url.length))
      for (const candidate of others) this.log(paint.dim(`  ${candidate.url.padEnd(width)}  ${candidate.source}`))
    }
    this.log('')
    qrcode.generate(uri, {small: true}, (qr) => this.log(qr))
    this.log(`On the remote machine run:`)
    this.log(`  signet connect ${issued.connector ?? '<harness>'} --url ${connectUrl} --pair-code ${issued.code}`)
    if (loopbackOnly) {
      this.log(
        paint.yellow(`warning: the daemon listens on loopback only; set network.mode: tailscale in agent.yaml (and restart) so other machines can reach it`),
      )
    }
    return result
  }

  /** `--device`: a one-time dashboard login link for another device, as a QR code and as text. */
  private async pairDevice(workspace: string, ttlSeconds: number, explicitUrl: string | undefined): Promise<DevicePairResult> {
    const client = createDaemonClient({workspace, asOwner: true})
    const link = await requestLoginLink(client, {
      name: this.flags.name ?? 'paired device',
      agentId: this.flags['agent-id'],
      project: this.flags.project,
      ttlSeconds,
    })
    let baseUrl = explicitUrl
    let loopbackOnly = false
    if (!baseUrl) {
      const status = await client.call('GET /api/status')
      loopbackOnly = isLoopbackAddress(status.bindHost)
      const candidates = loopbackOnly ? [] : candidateUrls(status.bindHost, status.port, loadAgentConfig(workspace).network.hostnames)
      baseUrl = candidates[0]?.url ?? link.url.slice(0, -link.path.length)
    }
    const loginUrl = `${baseUrl.replace(/(?<!\/)\/+$/, '')}${link.path}`
    const result: DevicePairResult = {...link, loginUrl}
    if (this.wantsJson) return result
    this.log(`Scan with the device's camera (works once, until ${link.expiresAt}):`)
    qrcode.generate(loginUrl, {small: true}, (qr) => this.log(qr))
    this.log(`Or open: ${loginUrl}`)
    const scope = [link.agentId && `agent ${link.agentId}`, link.project && `project ${link.project}`].filter(Boolean).join(', ')
    this.log(`Device "${link.name}" will see ${scope ? `only ${scope}` : 'everything (owner)'}; revoke it with \`signet device revoke <id>\`.`)
    if (loopbackOnly) {
      this.log(
        paint.yellow(`warning: the daemon listens on loopback only; set network.mode: tailscale in agent.yaml (and restart) so other devices can reach it`),
      )
    }
    return result
  }
}

export interface DevicePairResult extends LoginLink {
  /** The link as the device should open it (the daemon's address as other machines see it). */
  loginUrl: string
}

/** `90s`, `10m`, `2h` or plain seconds → seconds, within what the daemon accepts. */
export function parseTtl(input: string): number {
  const match = /^(\d+)\s*(s|m|h)?$/i.exec(input.trim())
  if (!match) throw new SignetError(`--ttl "${input}" is not a duration — use e.g. 90s, 10m or 2h`)
  const seconds = Number(match[1]) * {s: 1, m: 60, h: 3600}[(match[2] ?? 's').toLowerCase() as 's' | 'm' | 'h']
  if (seconds < 30 || seconds > 86_400) throw new SignetError(`--ttl must be between 30s and 24h, got ${input}`)
  return seconds
}
