import {readFileSync} from 'node:fs'

// Read once from package.json so the CLI, daemon and hooks always report the same version.
const packageJson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {version: string}

export const SIGNET_VERSION: string = packageJson.version
