import {homedir} from 'node:os'
import path from 'node:path'

import {describe, expect, it} from 'vitest'

import {parseAgentConfig} from '../../src/config/agent-config.js'
import {
  configuredStorageLocation,
  databaseUrlHasPassword,
  databaseUrlWithoutPassword,
  describeStorageLocation,
  parseStorageLocation,
  storageLocationIdentity,
} from '../../src/config/storage-location.js'

describe('storage locations (signet storage migrate --to / --from)', () => {
  it('reads PostgreSQL URLs, sqlite: paths and plain paths', () => {
    expect(parseStorageLocation('postgres://signet:pw@db:5432/signet', '--to')).toEqual({backend: 'postgres', url: 'postgres://signet:pw@db:5432/signet'})
    expect(parseStorageLocation('postgresql://db/signet', '--to').backend).toBe('postgres')
    expect(parseStorageLocation('sqlite:copy.db', '--to', '/work')).toEqual({backend: 'sqlite', path: '/work/copy.db'})
    expect(parseStorageLocation('sqlite:///var/lib/signet.db', '--to', '/work')).toEqual({backend: 'sqlite', path: '/var/lib/signet.db'})
    expect(parseStorageLocation('./a/b.db', '--to', '/work')).toEqual({backend: 'sqlite', path: '/work/a/b.db'})
    expect(parseStorageLocation('sqlite:~/x.db', '--to')).toEqual({backend: 'sqlite', path: path.join(homedir(), 'x.db')})
  })

  it('refuses anything else, naming the flag and never echoing a password', () => {
    expect(() => parseStorageLocation('mysql://root:topsecret@db/x', '--to')).toThrowError(/--to is neither a PostgreSQL URL/)
    expect(() => parseStorageLocation('mysql://root:topsecret@db/x', '--to')).not.toThrowError(/topsecret/)
    expect(() => parseStorageLocation('postgres://u:topsecret@', '--from')).toThrowError(/--from = "postgres:.*" is not a PostgreSQL URL/)
    expect(() => parseStorageLocation('postgres://u:topsecret@', '--from')).not.toThrowError(/topsecret/)
    expect(() => parseStorageLocation('  ', '--to')).toThrowError(/--to is empty/)
    expect(() => parseStorageLocation('sqlite:', '--to')).toThrowError(/needs a file path/)
  })

  it('names a store without its password: masked for people, dropped for identities', () => {
    const url = {backend: 'postgres' as const, url: 'postgresql://team:s3cret@db.internal/signet?sslmode=require&password=also'}
    expect(describeStorageLocation(url)).toBe('PostgreSQL postgresql://team:***@db.internal/signet?sslmode=require&password=***')
    expect(storageLocationIdentity(url)).toBe('postgres://team@db.internal/signet?sslmode=require')
    expect(storageLocationIdentity({backend: 'postgres', url: 'postgres://team:other@DB.internal/signet?sslmode=require'})).toBe(storageLocationIdentity(url))
    expect(databaseUrlWithoutPassword(url.url)).toBe('postgresql://team@db.internal/signet?sslmode=require')
    expect(databaseUrlHasPassword(url.url)).toBe(true)
    expect(databaseUrlHasPassword('postgres://team@db/signet')).toBe(false)
  })

  it('the workspace default is what its daemon opens: SQLite at memory/memories.db, or the PostgreSQL URL with SIGNET_DATABASE_URL applied', () => {
    const paths = {dbPath: '/ws/memory/memories.db'}
    expect(configuredStorageLocation(parseAgentConfig(''), paths, {})).toEqual({backend: 'sqlite', path: '/ws/memory/memories.db'})
    const postgres = parseAgentConfig('storage:\n  backend: postgres\n  url: postgres://signet@db/signet\n')
    expect(configuredStorageLocation(postgres, paths, {})).toEqual({backend: 'postgres', url: 'postgres://signet@db/signet'})
    expect(configuredStorageLocation(postgres, paths, {SIGNET_DATABASE_URL: 'postgres://signet:pw@db/signet'})).toEqual({
      backend: 'postgres',
      url: 'postgres://signet:pw@db/signet',
    })
  })
})
