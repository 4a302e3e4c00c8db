import {describe, expect, it} from 'vitest'

import {redactSecrets} from '../../src/store/redaction.js'

const SECRETS: Array<[kind: string, secret: string]> = [
  ['openai-key', 'sk-proj-Ab3dEf6hIj9kLmNoPqRsTuVwXyZ0123456789abcd'],
  ['openai-key', 'sk-Ab3dEf6hIj9kLmNoPqRsTuVwXyZ01234567'],
  ['anthropic-key', 'sk-ant-api03-Zx9yWv8uTs7rQp6oNm5lKj4iHg3fEd2cBa1_-xyz'],
  ['github-token', 'ghp_0123456789abcdefghijklmnopqrstuvwxyz'],
  ['github-token', 'gho_0123456789abcdefghijklmnopqrstuvwxyz'],
  ['github-token', 'github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQR'],
  ['aws-access-key', 'AKIAIOSFODNN7EXAMPLE'],
  ['slack-token', 'xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx'],
  ['google-api-key', 'AIzaSyA-1234567890abcdefghijklmnopqrstu'],
  ['stripe-key', 'sk_live_51HqLyjWDarjtT1zdp7dc0123456789'],
  ['signet-key', 'sig_sk_0123456789ab_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCdEf'],
  ['gitlab-token', 'glpat-AbCdEfGhIjKlMnOpQrStUv'],
  ['slack-webhook', 'https://hooks.slack.com/services/T0000/B0000/XXXXXXXXXXXXXXXX'],
  ['npm-token', 'npm_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789'],
  ['huggingface-token', 'hf_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789'],
  ['jwt', 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c'],
]

describe('redactSecrets', () => {
  it.each(SECRETS)('removes a %s', (kind, secret) => {
    const {text, redacted} = redactSecrets(`before ${secret} after`)
    expect(text).not.toContain(secret)
    expect(text).toMatch(/^before \[REDACTED:[a-z-]+\] after$/)
    expect(Object.keys(redacted)).toContain(kind)
  })

  it('removes private key blocks, bearer tokens, passwords in URLs and secret assignments', () => {
    const input = [
      '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n-----END OPENSSH PRIVATE KEY-----',
      'curl -H "Authorization: Bearer abcDEF123456ghiJKL789mno" https://api.example.com',
      'DATABASE_URL=postgres://app:s3cr3t-Passw0rd@db.internal:5432/app',
      'password = "correct-horse-battery"',
      'aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    ].join('\n')
    const {text, redacted} = redactSecrets(input)
    for (const secret of ['b3BlbnNzaC1rZXktdjEAAAAABG5vbmU', 'abcDEF123456ghiJKL789mno', 's3cr3t-Passw0rd', 'correct-horse-battery', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY']) {
      expect(text).not.toContain(secret)
    }
    expect(text).toContain('postgres://app:[REDACTED:password]@db.internal:5432/app')
    expect(text).toContain('Authorization: Bearer [REDACTED:bearer-token]')
    expect(redacted['private-key']).toBe(1)
  })

  it('removes AWS secret keys without a variable name: beside their key id, or by shape', () => {
    const pairedNoSlash = 'AKIAIOSFODNN7EXAMPLE,wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY12'
    const csv = redactSecrets(`Access key ID,Secret access key\n${pairedNoSlash}\n`)
    expect(csv.text).toBe('Access key ID,Secret access key\n[REDACTED:aws-access-key],[REDACTED:aws-secret-key]\n')
    const bare = redactSecrets('export it: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY then run deploy')
    expect(bare.text).toBe('export it: [REDACTED:aws-secret-key] then run deploy')
  })

  it('leaves 40-character hex digests, paths and base64 of other lengths alone', () => {
    const text = [
      'commit 3f786850e387550fdab836ed7e6dc881de23001b fixed it',
      'see src/components/settings/AccountPanel2.tsx',
      'integrity sha512-Q2xlYW4gbWVtb3J5IGlzIG5vdCBhIHNlY3JldCB0b2tlbiBhdCBhbGwgcmVhbGx5Lw==',
      'AKIAIOSFODNN7EXAMPLE is the documented example id; 3f786850e387550fdab836ed7e6dc881de23001b is a sha',
    ].join('\n')
    const {text: cleaned} = redactSecrets(text)
    expect(cleaned).toBe(text.replace('AKIAIOSFODNN7EXAMPLE', '[REDACTED:aws-access-key]'))
  })

  it('leaves ordinary prose, code and URLs alone', () => {
    const prose = [
      'The skeleton key idea: ask-for-help tasks go to the triage board.',
      'Use https://docs.example.com/guide#setup and git@github.com:acme/api.git for the repo.',
      'const tokenCount = countTokens(text); // password rules live in auth/policy.ts',
      'Bearer of bad news: the sk-8 build is broken.',
    ].join('\n')
    expect(redactSecrets(prose)).toEqual({text: prose, redacted: {}})
  })
})
