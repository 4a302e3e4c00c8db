import path from 'node:path'

import {DAEMON_ENV} from '../daemon/memory-settings.js'
import {LAUNCHD_LABEL, serviceArguments, type ServiceSpec} from './service-spec.js'

function xml(value: string): string {
  return value.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;')
}

/** The launch agent `signet daemon install` writes on macOS. */
export function renderLaunchdPlist(spec: ServiceSpec): string {
  const args = serviceArguments(spec)
    .map((arg) => `    <string>${xml(arg)}</string>`)
    .join('\n')
  const environment = Object.entries({NO_COLOR: '1', ...DAEMON_ENV})
    .map(([name, value]) => `    <key>${xml(name)}</key>\n    <string>${xml(value)}</string>`)
    .join('\n')
  return `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<!-- Written by \`signet daemon install\`; remove it with \`signet daemon uninstall\`. -->
<plist version="1.0">
<dict>
  <key>Label</key>
  <string>${LAUNCHD_LABEL}</string>
  <key>ProgramArguments</key>
  <array>
${args}
  </array>
  <key>WorkingDirectory</key>
  <string>${xml(spec.workspace)}</string>
  <key>EnvironmentVariables</key>
  <dict>
${environment}
  </dict>
  <key>RunAtLoad</key>
  <true/>
  <!-- Restart after a crash, not after a clean stop. -->
  <key>KeepAlive</key>
  <dict>
    <key>SuccessfulExit</key>
    <false/>
  </dict>
  <key>ThrottleInterval</key>
  <integer>5</integer>
  <key>ProcessType</key>
  <string>Background</string>
  <key>StandardOutPath</key>
  <string>${xml(path.join(spec.logsDir, 'launchd.out.log'))}</string>
  <key>StandardErrorPath</key>
  <string>${xml(path.join(spec.logsDir, 'launchd.err.log'))}</string>
</dict>
</plist>
`
}
