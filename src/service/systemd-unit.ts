import {DAEMON_ENV} from '../daemon/memory-settings.js'
import {serviceArguments, type ServiceSpec} from './service-spec.js'

/** systemd expands `%` specifiers and `$` variables even inside quotes: double them to keep them literal. */
function escapeSystemdText(value: string): string {
  return value.replaceAll('%', '%%')
}

/** One ExecStart word: quoted, with `\`, `"`, `%` and `$` escaped (systemd.service "Command lines"). */
export function quoteExecArgument(value: string): string {
  const escaped = value.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('%', '%%').replaceAll('$', '$$$$')
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(value) ? escaped : `"${escaped}"`
}

/** The user unit `signet daemon install` writes on Linux. */
export function renderSystemdUnit(spec: ServiceSpec): string {
  const exec = serviceArguments(spec).map(quoteExecArgument).join(' ')
  return [
    '# Written by `signet daemon install`; remove it with `signet daemon uninstall`.',
    '# Re-run `signet daemon install` after moving Node.js or Signet (paths below are absolute).',
    '[Unit]',
    `Description=Signet memory daemon (${escapeSystemdText(spec.workspace)})`,
    'Documentation=https://github.com/Signet-AI/signetai',
    '',
    '[Service]',
    'Type=simple',
    `ExecStart=${exec}`,
    `WorkingDirectory=${escapeSystemdText(spec.workspace)}`,
    'Environment=NO_COLOR=1',
    ...Object.entries(DAEMON_ENV).map(([name, value]) => `Environment=${name}=${value}`),
    // `daemon run` exits 0 on SIGTERM after draining; anything else is a crash worth a restart.
    'Restart=on-failure',
    'RestartSec=2',
    'TimeoutStopSec=15',
    '',
    '[Install]',
    'WantedBy=default.target',
    '',
  ].join('\n')
}
