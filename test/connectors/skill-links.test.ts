import {existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {parse as parseYaml} from 'yaml'
import {afterEach, describe, expect, it} from 'vitest'

import {ClaudeCodeConnector} from '../../src/connectors/claude-code.js'
import {CodexConnector} from '../../src/connectors/codex.js'
import {initWorkspace} from '../../src/config/workspace.js'
import {makeHarnessHome, type TempHarnessHome} from './connector-fixtures.js'

/*
 * Skills: a new workspace holds skills/remember and skills/recall (Claude Code / Codex skill
 * format), and connecting Claude Code or Codex links them into the harness's skills folder —
 * real files and symlinks in a temp HOME — without replacing a user's skill of the same name,
 * and uninstall removes only those links.
 */

let temp: TempHarnessHome
afterEach(() => temp?.cleanup())

function setUp(): {workspace: string} {
  temp = makeHarnessHome()
  const workspace = path.join(temp.home, '.agents')
  initWorkspace(workspace)
  return {workspace}
}

function frontmatter(file: string): Record<string, unknown> {
  const text = readFileSync(file, 'utf8')
  const match = /^---\n([\s\S]*?)\n---\n/.exec(text)
  expect(match, `${file} starts with YAML frontmatter`).not.toBeNull()
  return parseYaml(match![1])
}

describe('workspace skills', () => {
  it('a new workspace holds remember and recall skills that call the signet CLI', () => {
    const {workspace} = setUp()
    for (const name of ['remember', 'recall']) {
      const file = path.join(workspace, 'skills', name, 'SKILL.md')
      const meta = frontmatter(file)
      expect(meta.name).toBe(name)
      expect(String(meta.description).length).toBeGreaterThan(40)
      expect(readFileSync(file, 'utf8')).toContain(`signet ${name} "`)
    }
  })

  for (const [Connector, skillsDir] of [
    [ClaudeCodeConnector, '.claude/skills'],
    [CodexConnector, '.codex/skills'],
  ] as const) {
    const connector = new Connector()
    it(`${connector.id}: install links each skill, keeps the user's own, uninstall removes only our links`, async () => {
      const {workspace} = setUp()
      // The user already has a "recall" skill of their own, and another unrelated skill.
      const own = temp.write(`${skillsDir}/recall/SKILL.md`, '---\nname: recall\ndescription: my own recall\n---\nmine\n')
      temp.write(`${skillsDir}/deploy/SKILL.md`, '---\nname: deploy\ndescription: ship it\n---\n')

      const installed = await connector.install(temp.ctx)
      const link = path.join(temp.home, skillsDir, 'remember')
      expect(lstatSync(link).isSymbolicLink()).toBe(true)
      expect(path.resolve(path.dirname(link), readlinkSync(link))).toBe(path.join(workspace, 'skills', 'remember'))
      expect(readFileSync(path.join(link, 'SKILL.md'), 'utf8')).toContain('name: remember')
      expect(installed.files).toContainEqual({path: link, action: 'created'})
      expect(installed.notes.join('\n')).toMatch(/Kept your own .*recall/)
      expect(readFileSync(own, 'utf8')).toContain('mine')
      expect(lstatSync(path.join(temp.home, skillsDir, 'recall')).isSymbolicLink()).toBe(false)

      const again = await connector.install(temp.ctx)
      expect(again.files).toContainEqual({path: link, action: 'unchanged'})

      const status = await connector.status(temp.ctx)
      expect(status.files).toContainEqual({path: path.join(temp.home, skillsDir), present: false, what: 'skills: remember'})
      expect(status.problems.join('\n')).toMatch(/skills not linked .*: recall/)

      const removed = await connector.uninstall(temp.ctx)
      expect(removed.files).toContainEqual({path: link, action: 'removed'})
      expect(existsSync(link)).toBe(false)
      expect(readFileSync(own, 'utf8')).toContain('mine')
      expect(temp.exists(`${skillsDir}/deploy/SKILL.md`)).toBe(true)
      // The workspace's skill itself is untouched: only the link went.
      expect(existsSync(path.join(workspace, 'skills', 'remember', 'SKILL.md'))).toBe(true)
    })
  }

  it('a user link to a skill elsewhere with our name is kept, and never removed by uninstall', async () => {
    setUp()
    const elsewhere = path.join(temp.home, 'my-skills', 'remember')
    mkdirSync(elsewhere, {recursive: true})
    writeFileSync(path.join(elsewhere, 'SKILL.md'), '---\nname: remember\ndescription: mine\n---\n')
    mkdirSync(path.join(temp.home, '.claude', 'skills'), {recursive: true})
    const link = path.join(temp.home, '.claude', 'skills', 'remember')
    symlinkSync(elsewhere, link)
    const connector = new ClaudeCodeConnector()
    const recallLink = path.join(temp.home, '.claude', 'skills', 'recall')
    await connector.install(temp.ctx)
    expect(readlinkSync(link)).toBe(elsewhere)
    expect(lstatSync(recallLink).isSymbolicLink()).toBe(true)
    await connector.uninstall(temp.ctx)
    expect(readlinkSync(link)).toBe(elsewhere)
    expect(existsSync(recallLink)).toBe(false)
  })
})
