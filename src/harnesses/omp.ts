import path from 'node:path'

import {absoluteOverride, expandHome, type HarnessEnvironment, type HarnessProfile} from './profile.js'
import {PI_EXTENSION_EVENTS} from './pi.js'

const PROFILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/

/**
 * The agent dir is `~/.omp/agent`; a named profile (`OMP_PROFILE`, else the legacy `PI_PROFILE`)
 * moves it to `~/.omp/profiles/<name>/agent`; without a profile `PI_CODING_AGENT_DIR` overrides
 * it, and `PI_CONFIG_DIR` renames the `.omp` root — the same order omp resolves them in.
 */
function ompAgentDir({home, env}: HarnessEnvironment): string {
  const configRoot = path.join(home, env.PI_CONFIG_DIR?.trim() || '.omp')
  const profile = (env.OMP_PROFILE === undefined ? env.PI_PROFILE : env.OMP_PROFILE)?.trim()
  if (profile && PROFILE_NAME.test(profile)) return path.join(configRoot, 'profiles', profile, 'agent')
  return absoluteOverride(env.PI_CODING_AGENT_DIR && expandHome(home, env.PI_CODING_AGENT_DIR)) ?? path.join(configRoot, 'agent')
}

/** Oh My Pi (`@oh-my-pi/pi-coding-agent`, binary `omp`), a fork of Pi with its own config root `~/.omp`; same extension model. */
export const omp = {
  id: 'omp',
  displayName: 'Oh My Pi',
  aliases: ['oh-my-pi', 'ohmypi'],
  docsUrl: 'https://github.com/can1357/oh-my-pi',
  binary: 'omp',
  integration: 'plugin',
  events: PI_EXTENSION_EVENTS,
  output: 'plain-text',
  transcripts: ['pi-session'],
  payload: {sessionKeyEnv: [], cwdEnv: [], sourceFields: ['source', 'reason'], nestedFieldsIn: null},
  wrapperTags: {strip: [], unwrap: []},
  sharedHookClock: null,
  sessionStartWithFirstPrompt: false,
  configDir: ompAgentDir,
  envOverrides: {
    OMP_PROFILE: 'a named profile: the agent directory becomes ~/.omp/profiles/<name>/agent',
    PI_PROFILE: 'the legacy name of OMP_PROFILE (used when OMP_PROFILE is unset)',
    PI_CODING_AGENT_DIR: 'the agent directory, when no profile is named',
    PI_CONFIG_DIR: 'the name of the ~/.omp root',
  },
  instructionFile: null,
  skillsDir: null,
} as const satisfies HarnessProfile<'omp'>
