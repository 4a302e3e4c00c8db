import {readFileSync} from 'node:fs'
import path from 'node:path'

import type Conf from 'conf'

import {userConfigDir} from './paths.js'
import {ensurePrivateDir} from './private-files.js'

interface UserConfigShape {
  workspace?: string
}

const USER_CONFIG_NAME = 'config'

/**
 * The per-user settings file (`~/.config/signet/config.json`), written through `conf`.
 * Loaded lazily: `conf` pulls in a JSON-schema validator that costs every command ~100 ms.
 */
export async function openUserConfig(): Promise<Conf<UserConfigShape>> {
  const {default: ConfStore} = await import('conf')
  // The directory also holds credentials, the hook log and the spool: create it owner-only.
  ensurePrivateDir(userConfigDir())
  return new ConfStore<UserConfigShape>({
    projectName: 'signet',
    projectSuffix: '',
    cwd: userConfigDir(),
    configName: USER_CONFIG_NAME,
    configFileMode: 0o600,
  })
}

/**
 * Reading needs no validator: the file is plain JSON that only `saveWorkspace` writes, so read
 * it directly and keep workspace resolution cheap for every command and hook.
 */
export function readSavedWorkspace(): string | undefined {
  try {
    const raw = JSON.parse(readFileSync(path.join(userConfigDir(), `${USER_CONFIG_NAME}.json`), 'utf8')) as UserConfigShape
    return typeof raw.workspace === 'string' && raw.workspace.length > 0 ? raw.workspace : undefined
  } catch {
    return undefined
  }
}

export async function saveWorkspace(workspacePath: string): Promise<void> {
  ;(await openUserConfig()).set('workspace', workspacePath)
}
