import {homedir} from 'node:os'
import path from 'node:path'

import {Flags} from '@oclif/core'

import {SignetCommand} from '../cli/base-command.js'
import {loadAgentConfig} from '../config/agent-config.js'
import type {AuthMode} from '../config/network.js'
import {isWorkspace} from '../config/workspace.js'
import {defaultConnectorContext} from '../connectors/connector.js'
import {allConnectors, connectorFor} from '../connectors/registry.js'
import {SignetError} from '../errors.js'
import {HARNESS_IDS, type HarnessId} from '../harnesses/registry.js'
import {runSetup, type SetupPlan, type SetupResult} from '../setup/run-setup.js'
import {paint, startSpinner} from '../ui/output.js'
import {askCheckbox, askConfirm, askInput, askSelect, canPrompt} from '../ui/prompts.js'

const SCRIPTED_FLAGS =
  '--yes --workspace <dir> --name <agent> --network-mode localhost|tailscale --auth-mode local|hybrid|team --harness <harness> (repeatable) --no-start --service'

function expandHome(input: string): string {
  if (input === '~') return homedir()
  return input.startsWith('~/') ? path.join(homedir(), input.slice(2)) : path.resolve(input)
}

function validAgentName(value: string): true | string {
  const name = value.trim()
  if (name === '') return 'the agent name cannot be empty'
  if (name.length > 64) return 'the agent name is at most 64 characters'
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'the agent name cannot contain control characters'
  return true
}

export default class Setup extends SignetCommand<typeof Setup> {
  static override description =
    'First-run wizard: workspace, agent.yaml, network and auth mode, harness connectors, daemon (and optionally the user service). Re-running changes only what you ask.'
  static override enableJsonFlag = true
  static override examples = [
    '<%= config.bin %> setup',
    '<%= config.bin %> setup --yes --harness claude-code --harness codex',
    '<%= config.bin %> setup --yes --workspace ~/work-agent --name work --network-mode tailscale --auth-mode hybrid',
    '<%= config.bin %> setup --yes --auth-mode team --no-start   # change one setting, leave the rest',
  ]
  static override flags = {
    yes: Flags.boolean({char: 'y', description: 'do not ask: use the flags, keep current values for the rest (required when not on a terminal)'}),
    workspace: Flags.string({description: 'workspace directory (default: the active workspace, ~/.agents)'}),
    name: Flags.string({description: 'agent name written to agent.yaml'}),
    'network-mode': Flags.string({
      description: 'localhost (127.0.0.1 only) or tailscale (0.0.0.0, remote harnesses with API keys); "tailnet" is accepted',
      options: ['localhost', 'tailscale', 'tailnet'],
    }),
    'auth-mode': Flags.string({
      description: 'local (no keys, loopback only), hybrid (keys for remote callers), team (keys for everyone)',
      options: ['local', 'hybrid', 'team'],
    }),
    harness: Flags.string({description: `connect this harness (repeatable or comma-separated): ${HARNESS_IDS.join(', ')}`, multiple: true}),
    start: Flags.boolean({description: 'start the daemon at the end (--no-start to skip)', default: true, allowNo: true}),
    service: Flags.boolean({description: 'also install the daemon as a user service (signet daemon install)'}),
  }

  public async run(): Promise<SetupResult> {
    const harnessFlags = (this.flags.harness ?? [])
      .flatMap((value) => value.split(','))
      .map((value) => value.trim())
      .filter(Boolean)
    const harnesses = [...new Set(harnessFlags.map((value) => connectorFor(value).id))]
    const name = this.flags.name
    if (name !== undefined) {
      const valid = validAgentName(name)
      if (valid !== true) throw new SignetError(`--name: ${valid}`, 'invalid_flags')
    }
    const networkFlag = this.flags['network-mode'] === 'tailnet' ? 'tailscale' : (this.flags['network-mode'] as SetupPlan['networkMode'])
    const workspaceFlag = this.flags.workspace ?? (this.flags.path as string | undefined)

    let plan: SetupPlan
    if (this.flags.yes) {
      plan = {
        workspace: workspaceFlag ? expandHome(workspaceFlag) : this.resolveWorkspace().path,
        agentName: name?.trim(),
        networkMode: networkFlag,
        authMode: this.flags['auth-mode'] as AuthMode | undefined,
        harnesses,
        start: this.flags.start,
        installService: this.flags.service,
      }
    } else {
      if (this.wantsJson || !canPrompt()) {
        throw new SignetError(`setup needs a terminal to ask its questions — for scripts, pass ${SCRIPTED_FLAGS}`, 'not_interactive')
      }
      plan = await this.askPlan({workspaceFlag, name, networkFlag, harnesses})
    }

    const spinner = startSpinner('Setting up Signet…', {enabled: !this.wantsJson})
    let result: SetupResult
    try {
      result = await runSetup(plan, {onStep: (text) => spinner.update(`${text}…`)})
    } finally {
      spinner.stop()
    }
    this.printHuman(result)
    return result
  }

  private async askPlan(given: {workspaceFlag?: string; name?: string; networkFlag?: SetupPlan['networkMode']; harnesses: HarnessId[]}): Promise<SetupPlan> {
    this.log(paint.bold('Signet setup') + paint.dim(' — Enter keeps the value shown.'))
    const workspace = expandHome(given.workspaceFlag ?? (await askInput('Workspace directory', {default: this.resolveWorkspace().path})))
    const existing = isWorkspace(workspace) ? loadAgentConfig(workspace) : undefined
    const agentName = given.name?.trim() ?? (await askInput('Agent name', {default: existing?.agent.name ?? 'signet', validate: validAgentName})).trim()
    const networkMode =
      given.networkFlag ??
      (await askSelect<'localhost' | 'tailscale'>(
        'Who can reach the daemon?',
        [
          {value: 'localhost', name: 'localhost — only harnesses on this machine (binds 127.0.0.1)'},
          {value: 'tailscale', name: 'tailnet — also harnesses on other machines of your tailnet (binds 0.0.0.0)'},
        ],
        existing?.network.mode ?? 'localhost',
      ))
    const authFlag = this.flags['auth-mode'] as AuthMode | undefined
    const authMode =
      authFlag ??
      (await askSelect<AuthMode>(
        'Auth mode',
        [
          ...(networkMode === 'localhost' ? [{value: 'local' as const, name: 'local — no API keys; only this machine can connect'}] : []),
          {value: 'hybrid', name: 'hybrid — this machine needs no key, every remote caller needs an API key'},
          {value: 'team', name: 'team — every caller needs an API key, even on this machine (the local CLI uses the admin token)'},
        ],
        existing && !(networkMode === 'tailscale' && existing.auth.mode === 'local') ? existing.auth.mode : networkMode === 'tailscale' ? 'hybrid' : 'local',
      ))

    let harnesses = given.harnesses
    if (harnesses.length === 0) {
      const spinner = startSpinner('Looking for harnesses on this machine…')
      const ctx = defaultConnectorContext()
      const found = await Promise.all(allConnectors().map(async (connector) => ({connector, detection: await connector.detect(ctx).catch(() => undefined)})))
      spinner.stop()
      harnesses = await askCheckbox<HarnessId>(
        'Connect these harnesses (space toggles, enter confirms)',
        found.map(({connector, detection}) => ({
          value: connector.id,
          name: `${connector.displayName}${detection?.detected ? paint.green(` (found${detection.version ? `: ${detection.version.split('\n')[0]}` : ''})`) : paint.dim(' (not found)')}`,
          checked: Boolean(detection?.detected) || Boolean(existing?.harnesses.includes(connector.id)),
        })),
      )
    }
    const start = this.flags.start === false ? false : await askConfirm('Start the daemon now?', true)
    const serviceSupported = process.platform === 'linux' || process.platform === 'darwin'
    const installService =
      this.flags.service ||
      (serviceSupported && start
        ? await askConfirm(`Also run it as a user service that starts at login (${process.platform === 'linux' ? 'systemd --user' : 'launchd'})?`, false)
        : false)
    return {workspace, agentName, networkMode, authMode, harnesses, start, installService}
  }

  private printHuman(result: SetupResult): void {
    const ok = paint.green('✓')
    const where = [result.workspace.created ? 'created' : 'existing', result.workspace.saved ? 'saved as the active workspace' : ''].filter(Boolean).join(', ')
    this.log(`${ok} Workspace ${result.workspace.path} ${paint.dim(`(${where})`)}`)
    // A new workspace's agent.yaml was just written with the answers: "created", whatever the edit step reports.
    this.log(
      result.workspace.created
        ? `${ok} agent.yaml created`
        : result.agentYaml.changed.length > 0
          ? `${ok} agent.yaml: ${result.agentYaml.changed.join(', ')} updated`
          : `${ok} agent.yaml unchanged`,
    )
    for (const file of result.workspace.starterFiles) this.log(paint.dim(`  created ${file}`))
    this.log(paint.dim(`  agent ${result.config.name}, network ${result.config.networkMode}, auth ${result.config.authMode}, port ${result.config.port}`))
    for (const harness of result.harnesses) {
      if (harness.error) {
        this.log(`${paint.red('✗')} ${harness.harness}: ${harness.error}`)
        continue
      }
      const changed = harness.files.filter((file) => file.action !== 'unchanged' && file.action !== 'absent')
      this.log(`${ok} ${harness.harness} connected${changed.length === 0 ? paint.dim(' (already up to date)') : ''}`)
      for (const file of changed) this.log(paint.dim(`  ${file.action} ${file.path}`))
      for (const note of harness.notes) this.log(`  ${paint.yellow('note:')} ${note}`)
    }
    const {daemon} = result
    if (daemon.action === 'not-started') this.log(`${paint.dim('○')} Daemon not started`)
    else if (daemon.action === 'already-running') this.log(`${ok} Daemon already running at ${daemon.url} (pid ${daemon.pid})`)
    else this.log(`${ok} Daemon ${daemon.action} at ${daemon.url} (pid ${daemon.pid})`)
    if (result.service) {
      this.log(
        result.service.enabled
          ? `${ok} User service installed and enabled (${result.service.file})`
          : `${paint.yellow('!')} User service written to ${result.service.file} but not enabled: ${result.service.managerUnavailable}`,
      )
      for (const stepLine of result.service.manualSteps) this.log(`    ${stepLine}`)
    }
    for (const warning of [...result.warnings, ...(result.service?.warnings ?? [])]) this.log(paint.yellow(`! ${warning}`))
    this.log(paint.dim('Next:'))
    for (const next of result.nextSteps) this.log(`  ${next}`)
  }
}
