import {describe, expect, it} from 'vitest'

import {parseAgentConfig} from '../../src/config/agent-config.js'
import {redactDatabaseSecrets, redactDatabaseUrl} from '../../src/config/database-url.js'
import {resolveStorageSettings} from '../../src/config/storage-settings.js'

describe('storage settings (agent.yaml storage, SIGNET_DATABASE_URL)', () => {
  it('defaults to SQLite, which needs nothing', () => {
    const config = parseAgentConfig('')
    expect(config.storage).toEqual({backend: 'sqlite', poolSize: 10})
    expect(resolveStorageSettings(config, {SIGNET_DATABASE_URL: 'postgres://ignored@db/x'})).toEqual({backend: 'sqlite', poolSize: 10})
  })

  it('takes the PostgreSQL URL from agent.yaml, overridden by SIGNET_DATABASE_URL, and masks the password', () => {
    const config = parseAgentConfig('storage:\n  backend: postgres\n  url: postgres://signet:hunter2@db.internal:5432/signet\n  poolSize: 4\n')
    expect(resolveStorageSettings(config, {})).toEqual({
      backend: 'postgres',
      poolSize: 4,
      url: 'postgres://signet:hunter2@db.internal:5432/signet',
      redactedUrl: 'postgres://signet:***@db.internal:5432/signet',
      urlSource: 'agent.yaml',
    })
    const fromEnv = resolveStorageSettings(config, {SIGNET_DATABASE_URL: 'postgresql://team:s3cret@10.0.0.5/signet?sslmode=require'})
    expect(fromEnv).toMatchObject({url: 'postgresql://team:s3cret@10.0.0.5/signet?sslmode=require', urlSource: 'SIGNET_DATABASE_URL'})
    expect(fromEnv.redactedUrl).toBe('postgresql://team:***@10.0.0.5/signet?sslmode=require')
  })

  it('refuses a postgres backend without a URL, and a bad URL, without echoing a password', () => {
    expect(() => resolveStorageSettings(parseAgentConfig('storage:\n  backend: postgres\n'), {})).toThrowError(/storage\.url or SIGNET_DATABASE_URL/)
    const bad = () => resolveStorageSettings(parseAgentConfig('storage:\n  backend: postgres\n'), {SIGNET_DATABASE_URL: 'mysql://root:topsecret@db/x'})
    expect(bad).toThrowError(/SIGNET_DATABASE_URL .* is not a PostgreSQL URL/)
    expect(bad).not.toThrowError(/topsecret/)
    const yaml = () => parseAgentConfig('storage:\n  backend: postgres\n  url: mysql://root:topsecret@db/x\n')
    expect(yaml).toThrowError(/storage\.url = "\(database URL hidden\)" \(line 3\): a PostgreSQL URL/)
    expect(yaml).not.toThrowError(/topsecret/)
    expect(() => parseAgentConfig('storage:\n  backend: mongo\n')).toThrowError(/storage\.backend = "mongo"/)
    expect(() => parseAgentConfig('storage:\n  bakend: postgres\n')).toThrowError(/did you mean storage\.backend/)
  })

  it('masks passwords in every URL spelling and in messages that quote them', () => {
    expect(redactDatabaseUrl('postgres://u:p%40ss@h/db')).toBe('postgres://u:***@h/db')
    expect(redactDatabaseUrl('postgres://u@h/db?password=abc&sslmode=require')).toBe('postgres://u@h/db?password=***&sslmode=require')
    expect(redactDatabaseUrl('postgres://u@h/db')).toBe('postgres://u@h/db')
    expect(redactDatabaseUrl("host=db user=u password='a b c' dbname=x")).toBe('host=db user=u password=*** dbname=x')
    expect(redactDatabaseUrl('postgres://u:p@[broken')).not.toContain(':p@')
    expect(redactDatabaseUrl('something else')).toBe('(database URL hidden)')
    const url = 'postgres://u:p%40ssword@h/db'
    expect(redactDatabaseSecrets(`getaddrinfo failed for ${url}; password p@ssword`, url)).toBe('getaddrinfo failed for postgres://u:***@h/db; password ***')
  })
})
