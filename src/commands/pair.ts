import {networkInterfaces} from 'node:os'

import {Flags} from '@oclif/core'
import qrcode from 'qrcode-terminal'

import {SignetCommand} from '../cli/base-command.js'
import {parseDaemonUrl} from '../client/daemon-url.js'
import {createDaemonClient, resolveDaemonEndpoint} from '../client/resolve-endpoint.js'
import {isLoopbackAddress} from '../config/network.js'
import {SignetError} from '../errors.js'
import {paint} from '../ui/output.js'
import {type LoginLink, requestLoginLink} from './dashboard.js'

interface PairResponse {
  code: string
  expiresAt: string
  ttlSeconds: number
  connector: string | null
  agentId: string | null
  role: string
  project: string | null
  url: string
}

interface StatusResponse {
  bindHost: string
  port: number
  networkMode: string
}

export interface PairResult extends PairResponse {
  /** The address a remote machine should use (a guess unless --url was given). */
  connectUrl: string
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
    url: Flags.string({description: 'daemon URL as the remote machine sees it (default: guessed from this machine\'s addresses)'}),
    device: Flags.boolean({description: 'pair a phone or another computer with the web dashboard (QR of a one-time login link) instead of a harness', exclusive: ['connector', 'role']}),
    name: Flags.string({description: 'with --device: the name the device is listed under', dependsOn: ['device']}),
  }

  public async run(): Promise<PairResult | DevicePairResult> {
    const ttlSeconds = parseTtl(this.flags.ttl)
    const explicitUrl = this.flags.url === undefined ? undefined : parseDaemonUrl(this.flags.url, '--url')
    const workspace = this.resolveWorkspace().path
    if (this.flags.device) return this.pairDevice(workspace, ttlSeconds, explicitUrl)
    const client = createDaemonClient({workspace, asOwner: true})
    const issued = await client.post<PairResponse>('/api/auth/pair', {
      connector: this.flags.connector,
      agentId: this.flags['agent-id'],
      project: this.flags.project,
      role: this.flags.role,
      ttlSeconds,
    })
    let connectUrl = explicitUrl
    let loopbackOnly = false
    if (!connectUrl) {
      const endpoint = resolveDaemonEndpoint({workspace, asOwner: true})
      if (endpoint.urlSource === 'env') {
        connectUrl = endpoint.url
      } else {
        const status = await client.get<StatusResponse>('/api/status')
        loopbackOnly = isLoopbackAddress(status.bindHost)
        connectUrl = loopbackOnly ? issued.url : guessReachableUrl(status.bindHost, status.port) ?? issued.url
      }
    }
    const uri = `signet://connect?url=${encodeURIComponent(connectUrl)}&code=${encodeURIComponent(issued.code)}`
    const result: PairResult = {...issued, connectUrl, uri}
    if (this.wantsJson) return result

    const minutes = Math.round(ttlSeconds / 60)
    this.log(`Pairing code: ${paint.bold(issued.code)}`)
    this.log(`Expires:      ${issued.expiresAt} (in ${ttlSeconds < 120 ? `${ttlSeconds}s` : `${minutes}m`}; works once)`)
    const grant = [`role ${issued.role}`, issued.connector && `connector ${issued.connector}`, issued.agentId && `agent ${issued.agentId}`, issued.project && `project ${issued.project}`]
    this.log(`Grants:       ${grant.filter(Boolean).join(', ')}`)
    this.log(`Daemon URL:   ${connectUrl}`)
    this.log('')
    qrcode.generate(uri, {small: true}, (qr) => this.log(qr))
    this.log(`On the remote machine run:`)
    this.log(`  signet connect ${issued.connector ?? '<harness>'} --url ${connectUrl} --pair-code ${issued.code}`)
    if (loopbackOnly) {
      this.log(paint.yellow(`warning: the daemon listens on loopback only; set network.mode: tailscale in agent.yaml (and restart) so other machines can reach it`))
    }
    return result
  }

  /** `--device`: a one-time dashboard login link for another device, as a QR code and as text. */
  private async pairDevice(workspace: string, ttlSeconds: number, explicitUrl: string | undefined): Promise<DevicePairResult> {
    const client = createDaemonClient({workspace, asOwner: true})
    const link = await requestLoginLink(client, {name: this.flags.name ?? 'paired device', agentId: this.flags['agent-id'], project: this.flags.project, ttlSeconds})
    let baseUrl = explicitUrl
    let loopbackOnly = false
    if (!baseUrl) {
      const status = await client.get<StatusResponse>('/api/status')
      loopbackOnly = isLoopbackAddress(status.bindHost)
      baseUrl = loopbackOnly ? link.url.slice(0, -link.path.length) : guessReachableUrl(status.bindHost, status.port) ?? link.url.slice(0, -link.path.length)
    }
    const loginUrl = `${baseUrl.replace(/\/+$/, '')}${link.path}`
    const result: DevicePairResult = {...link, loginUrl}
    if (this.wantsJson) return result
    this.log(`Scan with the device's camera (works once, until ${link.expiresAt}):`)
    qrcode.generate(loginUrl, {small: true}, (qr) => this.log(qr))
    this.log(`Or open: ${loginUrl}`)
    const scope = [link.agentId && `agent ${link.agentId}`, link.project && `project ${link.project}`].filter(Boolean).join(', ')
    this.log(`Device "${link.name}" will see ${scope ? `only ${scope}` : 'everything (owner)'}; revoke it with \`signet device revoke <id>\`.`)
    if (loopbackOnly) {
      this.log(paint.yellow(`warning: the daemon listens on loopback only; set network.mode: tailscale in agent.yaml (and restart) so other devices can reach it`))
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
  const seconds = Number(match[1]) * ({s: 1, m: 60, h: 3600}[(match[2] ?? 's').toLowerCase() as 's' | 'm' | 'h'])
  if (seconds < 30 || seconds > 86_400) throw new SignetError(`--ttl must be between 30s and 24h, got ${input}`)
  return seconds
}

/**
 * An address of this machine another machine can probably dial: the bind address itself, or for a
 * wildcard bind a Tailscale address (100.64.0.0/10) first, then any other non-internal IPv4.
 */
function guessReachableUrl(bindHost: string, port: number): string | undefined {
  if (bindHost !== '0.0.0.0' && bindHost !== '::') return `http://${bindHost.includes(':') ? `[${bindHost}]` : bindHost}:${port}`
  const addresses = Object.values(networkInterfaces())
    .flat()
    .filter((entry) => entry && entry.family === 'IPv4' && !entry.internal)
    .map((entry) => entry!.address)
  const tailscale = addresses.find((address) => {
    const [a, b] = address.split('.').map(Number)
    return a === 100 && b >= 64 && b <= 127
  })
  const chosen = tailscale ?? addresses[0]
  return chosen ? `http://${chosen}:${port}` : undefined
}
