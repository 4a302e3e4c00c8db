import {spawn} from 'node:child_process'
import {hostname} from 'node:os'

import {Flags} from '@oclif/core'

import {SignetCommand} from '../cli/base-command.js'
import type {LoginLinkResponse} from '../api/devices.js'
import type {DaemonClient} from '../client/daemon-client.js'
import {createDaemonClient} from '../client/resolve-endpoint.js'
import {paint} from '../ui/output.js'
import {parseTtl} from './pair.js'

/** A one-time dashboard login link, as `POST /api/devices/login-links` answers it. */
export type LoginLink = LoginLinkResponse

/** Ask the local daemon (as its owner) for a one-time dashboard login link. */
export async function requestLoginLink(
  client: DaemonClient,
  grant: {name: string; agentId?: string; project?: string; ttlSeconds: number},
): Promise<LoginLink> {
  return client.call('POST /api/devices/login-links', {body: grant})
}

/** Hand a URL to the desktop's browser; returns false when there is no opener on this system. */
function openInBrowser(url: string): Promise<boolean> {
  const [command, args] =
    process.platform === 'darwin' ? ['open', [url]] : process.platform === 'win32' ? ['cmd', ['/c', 'start', '""', url]] : ['xdg-open', [url]]
  return new Promise((resolve) => {
    try {
      const child = spawn(command, args as string[], {stdio: 'ignore', detached: true})
      child.once('error', () => resolve(false))
      child.once('spawn', () => {
        child.unref()
        resolve(true)
      })
    } catch {
      resolve(false)
    }
  })
}

export default class Dashboard extends SignetCommand<typeof Dashboard> {
  static override description = "Open the web dashboard in this machine's browser through a one-time login link"
  static override enableJsonFlag = true
  static override examples = ['<%= config.bin %> dashboard', '<%= config.bin %> dashboard --no-open']
  static override flags = {
    open: Flags.boolean({description: 'open the link in the default browser (it is printed either way)', default: true, allowNo: true}),
    ttl: Flags.string({description: 'how long the link stays valid: 90s, 10m (max 24h)', default: '5m'}),
  }

  public async run(): Promise<LoginLink & {opened: boolean}> {
    const ttlSeconds = parseTtl(this.flags.ttl)
    const client = createDaemonClient({workspace: this.resolveWorkspace().path, asOwner: true})
    const link = await requestLoginLink(client, {name: `browser on ${hostname()}`.slice(0, 80), ttlSeconds})
    const opened = this.flags.open && !this.wantsJson ? await openInBrowser(link.url) : false
    if (this.wantsJson) return {...link, opened}
    this.log(`Dashboard login link (works once, until ${link.expiresAt}):`)
    this.log(`  ${paint.bold(link.url)}`)
    this.log(opened ? 'Opened in your browser.' : 'Open it in a browser on this machine.')
    this.log(paint.dim('Signed-in browsers are listed by `signet device list` and revoked with `signet device revoke <id>`.'))
    return {...link, opened}
  }
}
