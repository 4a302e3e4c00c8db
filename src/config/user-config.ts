import Conf from 'conf'

import {userConfigDir} from './paths.js'

interface UserConfigShape {
  workspace?: string
}

/**
 * The per-user settings file (`~/.config/signet/config.json`), managed by `conf`.
 * Created lazily because `conf` is only needed by commands that read or save settings.
 */
export function openUserConfig(): Conf<UserConfigShape> {
  return new Conf<UserConfigShape>({
    projectName: 'signet',
    projectSuffix: '',
    cwd: userConfigDir(),
    configName: 'config',
  })
}

export function readSavedWorkspace(): string | undefined {
  const saved = openUserConfig().get('workspace')
  return typeof saved === 'string' && saved.length > 0 ? saved : undefined
}

export function saveWorkspace(workspacePath: string): void {
  openUserConfig().set('workspace', workspacePath)
}
