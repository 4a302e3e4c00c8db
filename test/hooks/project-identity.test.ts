import {createHash} from 'node:crypto'
import {mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {afterAll, describe, expect, it} from 'vitest'

import {deriveProjectIdentity, normalizeGitRemote, parseGitRemotes} from '../../src/hooks/project-identity.js'

const root = mkdtempSync(path.join(tmpdir(), 'signet-project-'))

afterAll(() => rmSync(root, {recursive: true, force: true}))

function repo(name: string, config: string): string {
  const dir = path.join(root, name)
  mkdirSync(path.join(dir, '.git'), {recursive: true})
  writeFileSync(path.join(dir, '.git', 'config'), config)
  return dir
}

describe('normalizeGitRemote', () => {
  it.each([
    ['git@github.com:Acme/API.git', 'github.com/acme/api'],
    ['https://github.com/acme/api.git', 'github.com/acme/api'],
    ['https://github.com/acme/api/', 'github.com/acme/api'],
    ['https://x-access-token:ghp_secret@github.com/acme/api.git', 'github.com/acme/api'],
    ['ssh://git@github.com:22/acme/api.git', 'github.com/acme/api'],
    ['ssh://git@gitlab.example.com/group/sub/repo', 'gitlab.example.com/group/sub/repo'],
    ['git://example.org/project.git', 'example.org/project'],
  ])('%s → %s', (remote, expected) => {
    expect(normalizeGitRemote(remote)).toBe(expected)
  })

  it.each(['/srv/git/repo.git', 'file:///srv/git/repo.git', '../sibling', 'C:\\repos\\thing', ''])('local path %j has no remote identity', (remote) => {
    expect(normalizeGitRemote(remote)).toBeUndefined()
  })
})

describe('parseGitRemotes', () => {
  it('reads every remote url from an ini-style config', () => {
    const remotes = parseGitRemotes(
      '[core]\n\tbare = false\n[remote "upstream"]\n\turl = git@github.com:up/x.git\n[remote "origin"] # main\n\turl = "https://github.com/me/x.git"\n\tfetch = +refs/heads/*:refs/remotes/origin/*\n[branch "main"]\n\tremote = origin\n',
    )
    expect(Object.fromEntries(remotes)).toEqual({upstream: 'git@github.com:up/x.git', origin: 'https://github.com/me/x.git'})
  })
})

describe('deriveProjectIdentity (no git process)', () => {
  it('uses the origin remote from a subdirectory of the repository', async () => {
    const dir = repo('api', '[remote "upstream"]\n\turl = git@github.com:upstream/api.git\n[remote "origin"]\n\turl = git@github.com:Acme/API.git\n')
    mkdirSync(path.join(dir, 'src', 'deep'), {recursive: true})
    const identity = await deriveProjectIdentity(path.join(dir, 'src', 'deep'))
    expect(identity).toMatchObject({id: 'github.com/acme/api', gitRoot: dir, gitRemote: 'github.com/acme/api'})
  })

  it('follows a worktree .git file to the common config', async () => {
    const main = repo('main-repo', '[remote "origin"]\n\turl = https://github.com/acme/worktrees.git\n')
    mkdirSync(path.join(main, '.git', 'worktrees', 'feature'), {recursive: true})
    writeFileSync(path.join(main, '.git', 'worktrees', 'feature', 'commondir'), '../..\n')
    const worktree = path.join(root, 'feature-tree')
    mkdirSync(worktree)
    writeFileSync(path.join(worktree, '.git'), `gitdir: ${path.join(main, '.git', 'worktrees', 'feature')}\n`)
    expect((await deriveProjectIdentity(worktree)).id).toBe('github.com/acme/worktrees')
  })

  it('local ids are the sha256 of the real path, exactly as earlier versions computed them with node:crypto', async () => {
    // Stored memories carry this id: changing how it is computed would orphan them from their project.
    for (const name of ['plain', 'with space', 'ünïcødé-東京']) {
      const dir = path.join(root, 'ids', name)
      mkdirSync(dir, {recursive: true})
      const real = realpathSync(dir)
      const expected = `local:${name}:${createHash('sha256').update(real).digest('hex').slice(0, 12)}`
      expect((await deriveProjectIdentity(dir)).id).toBe(expected)
    }
  })

  it('falls back to a stable hash of the real path: same through a symlink, different elsewhere', async () => {
    const plain = path.join(root, 'no-git', 'thing')
    mkdirSync(plain, {recursive: true})
    const link = path.join(root, 'link-to-thing')
    symlinkSync(plain, link)
    const direct = await deriveProjectIdentity(plain)
    expect(direct.id).toMatch(/^local:thing:[0-9a-f]{12}$/)
    expect(direct.gitRoot).toBeUndefined()
    expect((await deriveProjectIdentity(link)).id).toBe(direct.id)
    const other = path.join(root, 'no-git', 'other')
    mkdirSync(other)
    expect((await deriveProjectIdentity(other)).id).not.toBe(direct.id)
  })

  it('a repository without remotes is named by its root, not the subdirectory', async () => {
    const dir = repo('offline', '[core]\n\tbare = false\n')
    mkdirSync(path.join(dir, 'pkg'))
    const fromRoot = await deriveProjectIdentity(dir)
    expect(fromRoot.id).toMatch(/^local:offline:/)
    expect((await deriveProjectIdentity(path.join(dir, 'pkg'))).id).toBe(fromRoot.id)
  })
})
