import {existsSync, lstatSync, mkdirSync, readdirSync, readlinkSync, rmSync, symlinkSync} from 'node:fs'
import {homedir} from 'node:os'
import path from 'node:path'

import {readSavedWorkspace} from '../config/user-config.js'
import type {FileChange} from '../config/atomic-file.js'
import {HARNESS_PROFILES, type HarnessId} from '../harnesses/registry.js'
import type {ConnectorContext, ConnectorStatus, InstallResult} from './connector.js'

/*
 * The workspace's skills (`<workspace>/skills/<name>/SKILL.md`) linked into harnesses that read
 * skills from a folder: one symlink per skill, so an edit in the workspace is live everywhere.
 * A skill of the same name the user already has is never replaced, and uninstall removes only
 * links that point into the workspace's skills folder: whatever else is there stays.
 */

/** Where a harness reads personal skills (its profile's skillsDir), or undefined when it has none. */
function skillsDirOf(ctx: ConnectorContext, harness: HarnessId): string | undefined {
  const profile = HARNESS_PROFILES[harness]
  return profile.skillsDir === null ? undefined : path.join(profile.configDir(ctx), profile.skillsDir)
}

/** The workspace whose skills are linked: the one every other command resolves, seen from this context. */
function workspaceSkillsDir(ctx: ConnectorContext): string {
  const fromEnv = ctx.env.SIGNET_WORKSPACE || ctx.env.SIGNET_PATH
  if (fromEnv) return path.join(path.resolve(fromEnv), 'skills')
  // The saved workspace belongs to the real user; a context with another HOME (tests, --home) uses its own default.
  const saved = ctx.home === homedir() ? readSavedWorkspace() : undefined
  return path.join(saved ? path.resolve(saved) : path.join(ctx.home, '.agents'), 'skills')
}

function workspaceSkills(source: string): string[] {
  if (!existsSync(source)) return []
  return readdirSync(source, {withFileTypes: true})
    .filter((entry) => !entry.name.startsWith('.') && (entry.isDirectory() || entry.isSymbolicLink()) && existsSync(path.join(source, entry.name, 'SKILL.md')))
    .map((entry) => entry.name)
    .sort()
}

/** The link's target, resolved against the link's folder; undefined when the path is not a symlink. */
function linkTarget(link: string): string | undefined {
  try {
    if (!lstatSync(link).isSymbolicLink()) return undefined
    return path.resolve(path.dirname(link), readlinkSync(link))
  } catch {
    return undefined
  }
}

function isOurs(link: string, source: string): boolean {
  const target = linkTarget(link)
  return target !== undefined && path.dirname(target) === source
}

/** Install: link each workspace skill the harness does not already have under that name. */
export function withSkillLinks(ctx: ConnectorContext, result: InstallResult): InstallResult {
  const target = skillsDirOf(ctx, result.harness)
  if (!target) return result
  const source = workspaceSkillsDir(ctx)
  const files: FileChange[] = []
  const notes: string[] = []
  for (const name of workspaceSkills(source)) {
    const link = path.join(target, name)
    const wanted = path.join(source, name)
    if (linkTarget(link) === wanted) {
      files.push({path: link, action: 'unchanged'})
      continue
    }
    if (existsSync(link) || linkTarget(link) !== undefined) {
      notes.push(`Kept your own ${link} (Signet's "${name}" skill is in ${wanted}; rename yours to use both).`)
      continue
    }
    mkdirSync(target, {recursive: true})
    // A junction on Windows needs no administrator rights; elsewhere 'dir' is ignored.
    symlinkSync(wanted, link, 'junction')
    files.push({path: link, action: 'created'})
  }
  return {...result, files: [...result.files, ...files], notes: [...result.notes, ...notes]}
}

/** Uninstall: remove only links into the workspace's skills folder. */
export function withSkillUnlinks(ctx: ConnectorContext, result: InstallResult): InstallResult {
  const target = skillsDirOf(ctx, result.harness)
  if (!target) return result
  const source = workspaceSkillsDir(ctx)
  if (!existsSync(target)) return result
  const files: FileChange[] = []
  for (const name of readdirSync(target)) {
    const link = path.join(target, name)
    if (!isOurs(link, source)) continue
    // Removes the link itself, never what it points to.
    rmSync(link)
    files.push({path: link, action: 'removed'})
  }
  return {...result, files: [...result.files, ...files]}
}

/** Status: which workspace skills are linked; a missing one is a problem, not a change of connector state. */
export function withSkillStatus(ctx: ConnectorContext, status: ConnectorStatus): ConnectorStatus {
  const target = skillsDirOf(ctx, status.harness)
  if (!target) return status
  const source = workspaceSkillsDir(ctx)
  const skills = workspaceSkills(source)
  if (skills.length === 0) return status
  const linked = skills.filter((name) => isOurs(path.join(target, name), source))
  const problems = [...status.problems]
  const missing = skills.filter((name) => !linked.includes(name))
  if (status.state !== 'not-installed' && missing.length > 0) {
    problems.push(
      `skills not linked into ${target}: ${missing.join(', ')} — run \`signet connector install ${status.harness}\` (a skill of yours with the same name is kept)`,
    )
  }
  return {
    ...status,
    files: [...status.files, {path: target, present: missing.length === 0, what: `skills: ${linked.join(', ') || 'none'}`}],
    problems,
  }
}
