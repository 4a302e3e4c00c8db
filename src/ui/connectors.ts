import {homedir} from 'node:os'

import type {FileChange} from '../config/atomic-file.js'
import type {ConnectOutcome} from '../connectors/connect-harness.js'
import type {ConnectorStatus, InstallResult} from '../connectors/connector.js'
import type {DaemonReachability} from '../connectors/daemon-reachability.js'
import {paint, renderTable} from './output.js'

/** `~/…` instead of the full home path: shorter, and the same on every machine. */
export function tildify(file: string): string {
  const home = homedir()
  return file === home || file.startsWith(home + '/') ? '~' + file.slice(home.length) : file
}

const ACTION_WORD: Record<FileChange['action'], string> = {
  created: 'created',
  updated: 'updated',
  unchanged: 'unchanged',
  removed: 'removed',
  absent: 'absent',
}

export function renderFileChanges(files: FileChange[]): string[] {
  return files
    .filter((file) => file.action !== 'absent')
    .map((file) => {
      const word = ACTION_WORD[file.action].padEnd(9)
      const colored = file.action === 'unchanged' ? paint.dim(word) : file.action === 'removed' ? paint.yellow(word) : paint.green(word)
      return `  ${colored} ${tildify(file.path)}${file.backup ? paint.dim(`  (original kept in ${tildify(file.backup)})`) : ''}`
    })
}

const STORAGE_WORD = {keychain: 'in the OS keychain', file: 'in the credentials file (mode 0600)', none: 'no key (the daemon trusts this machine)'}

export function renderConnectOutcome(displayName: string, outcome: ConnectOutcome): string {
  const changed = outcome.install.files.some((file) => file.action === 'created' || file.action === 'updated')
  const lines = [`${paint.green('✓')} ${displayName} connector ${changed ? 'installed' : 'already installed (nothing to change)'}`]
  lines.push(...renderFileChanges(outcome.install.files))
  const connection = outcome.connection
  if (connection) {
    const who = connection.authenticatedAs?.keyId
      ? ` as ${connection.authenticatedAs.name ?? connection.authenticatedAs.keyId} (${connection.authenticatedAs.role})`
      : ''
    lines.push(`  ${connection.paired ? 'paired with' : 'connected to'} ${connection.url}${who}`)
    lines.push(
      `  key stored ${STORAGE_WORD[connection.apiKeyStorage]}${connection.apiKeyStorage === 'none' ? '' : paint.dim(` — ${tildify(connection.credentialsFile)}`)}`,
    )
    if (connection.agentId) lines.push(`  agent: ${connection.agentId}`)
  }
  for (const warning of outcome.warnings) lines.push(`  ${paint.yellow('!')} ${warning}`)
  for (const note of outcome.install.notes) lines.push(`  ${paint.dim('→')} ${note}`)
  return lines.join('\n')
}

export function renderUninstall(displayName: string, result: InstallResult): string {
  const removed = result.files.some((file) => file.action === 'removed' || file.action === 'updated')
  const lines = [`${paint.green('✓')} ${displayName} connector ${removed ? 'removed' : 'was not installed (nothing to remove)'}`]
  lines.push(...renderFileChanges(result.files))
  return lines.join('\n')
}

const STATE_WORD: Record<ConnectorStatus['state'], string> = {installed: 'installed', partial: 'partial', 'not-installed': 'not installed'}

function paintState(state: ConnectorStatus['state']): string {
  if (state === 'installed') return paint.green(STATE_WORD[state])
  return state === 'partial' ? paint.yellow(STATE_WORD[state]) : paint.dim(STATE_WORD[state])
}

export function renderDaemonLine(daemon: DaemonReachability): string {
  const mark = daemon.reachable ? paint.green('✓') : paint.red('✗')
  return `${mark} daemon ${daemon.url} ${paint.dim(`(${daemon.source})`)}: ${daemon.detail}`
}

export function renderStatus(displayName: string, status: ConnectorStatus, daemon: DaemonReachability): string {
  const lines = [
    `${displayName}: ${paintState(status.state)}${status.version ? paint.dim(`  (${status.version})`) : status.detected ? '' : paint.dim('  (harness not found on this machine)')}`,
  ]
  for (const file of status.files) lines.push(`  ${file.present ? paint.green('✓') : paint.dim('·')} ${file.what}  ${paint.dim(tildify(file.path))}`)
  for (const problem of status.problems) lines.push(`  ${paint.yellow('!')} ${problem}`)
  lines.push(renderDaemonLine(daemon))
  return lines.join('\n')
}

export function renderConnectorList(statuses: Array<{displayName: string; status: ConnectorStatus}>, daemon: DaemonReachability): string {
  const table = renderTable(statuses, [
    {header: 'HARNESS', value: (row) => row.status.harness},
    {header: 'NAME', value: (row) => row.displayName},
    {header: 'DETECTED', value: (row) => (row.status.version ? row.status.version.split('\n')[0] : row.status.detected ? 'yes' : 'no'), maxWidth: 28},
    {header: 'CONNECTOR', value: (row) => STATE_WORD[row.status.state]},
    {header: 'PROBLEMS', value: (row) => (row.status.problems.length === 0 ? '-' : row.status.problems[0]), maxWidth: 60},
  ])
  return `${table}\n\n${renderDaemonLine(daemon)}`
}
