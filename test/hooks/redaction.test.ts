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
  // Formats the first outside attack found stored in clear (fake values of the real shapes).
  ['google-oauth-secret', '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'],
  ['sendgrid-key', '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'],
  ['twilio-key', 'SK2a7b4c6d8e0f1a3b5c7d9e1f3a5b7c9d'],
  ['twilio-account-sid', 'AC2a7b4c6d8e0f1a3b5c7d9e1f3a5b7c9d'],
  ['doppler-token', 'dp.st.dev.AbCdEfGhIjKlMnOpQrStUvWxYz0123456789AbCdEf'],
  ['doppler-token', 'dp.pt.AbCdEfGhIjKlMnOpQrStUvWxYz0123456789AbCdEfGh'],
  ['slack-token', 'xapp-1-A0123456789-1234567890123-abcdef0123456789abcdef0123456789abcdef'],
  ['slack-token', 'xoxp-123456789012-123456789012-1234567890123-abcdef0123456789abcdef01234567'],
  ['slack-token', 'xoxe.xoxp-1-Mi0yLTEyMzQ1Njc4OTAxMi0xMjM0NTY3ODkwMTIz'],
  ['pypi-token', 'pypi-AgEIcHlwaS5vcmcCJDAwMDAwMDAwLTAwMDAtMDAwMC0wMDAwLTAwMDAwMDAwMDAwMAACKlsz'],
  ['azure-client-secret', 'abc8Q~AbCdEfGhIjKlMnOpQrStUvWxYz0123456'],
  ['aws-secret-key', 'wJalrXUtnFEMIK7MDENGbPxRfiCYzK3pLq9sT2vB'],
  ['digitalocean-token', 'dop_v1_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef'],
  ['vault-token', 'hvs.CAESIAbCdEfGhIjKlMnOpQrStUvWxYz0123456789'],
  ['discord-webhook', 'https://discord.com/api/webhooks/123456789012345678/AbCdEfGhIjKlMnOpQrStUvWxYz0123456789'],
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
    for (const secret of [
      'b3BlbnNzaC1rZXktdjEAAAAABG5vbmU',
      'abcDEF123456ghiJKL789mno',
      's3cr3t-Passw0rd',
      'correct-horse-battery',
      'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    ]) {
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

  it('removes Basic credentials (decoded user:password), Bearer and Token schemes, in any header case', () => {
    const input = [
      'curl -H "Authorization: Basic dXNlcjpzM2NyM3RQYXNz" https://api.example.com',
      'authorization: basic YWRtaW46aHVudGVyMg==',
      'authorization: bearer abcDEF123456ghiJKL789mno',
      'Authorization: token 0123456789abcdef0123456789abcdef01234567',
    ].join('\n')
    const {text, redacted} = redactSecrets(input)
    for (const secret of ['dXNlcjpzM2NyM3RQYXNz', 'YWRtaW46aHVudGVyMg==', 'abcDEF123456ghiJKL789mno', '0123456789abcdef0123456789abcdef01234567'])
      expect(text).not.toContain(secret)
    expect(text).toContain('Authorization: Basic [REDACTED:basic-auth]')
    expect(redacted['basic-auth']).toBe(2)
    expect(redacted['bearer-token']).toBe(2)
  })

  it('removes URL passwords holding / or @: the userinfo ends at the last @ before the host', () => {
    expect(redactSecrets('DATABASE_URL=postgres://u:p/a@ss@db.internal/db').text).toBe('DATABASE_URL=postgres://u:[REDACTED:password]@db.internal/db')
    expect(redactSecrets('mysql://root:pa:ss@@word@127.0.0.1:3306/app?ssl=true').text).toBe('mysql://root:[REDACTED:password]@127.0.0.1:3306/app?ssl=true')
    expect(redactSecrets('redis://:s3cret/x@cache:6379').text).toBe('redis://:[REDACTED:password]@cache:6379')
    // An @ in the query after a real userinfo does not stretch the password over the host.
    expect(redactSecrets('https://bot:t0ken@git.example.com/repo?notify=ops@example.com').text).toBe(
      'https://bot:[REDACTED:password]@git.example.com/repo?notify=ops@example.com',
    )
  })

  it('removes Azure keys, connection strings and SAS signatures', () => {
    const input = [
      'DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;EndpointSuffix=core.windows.net',
      'Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=q1W2e3R4t5Y6u7I8o9P0aSdFgHjKlZxCvBnM1234567=',
      'https://acct.blob.core.windows.net/c/f.txt?sv=2022-11-02&ss=b&sp=r&se=2030-01-01&sig=AbCdEf0123456789%2BghIjKlMnOpQrStUv%3D',
      'Server=tcp:db.database.windows.net;Database=app;User ID=admin;Password=Sup3r$ecret!;Encrypt=true',
    ].join('\n')
    const {text} = redactSecrets(input)
    for (const secret of [
      'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6',
      'q1W2e3R4t5Y6u7I8o9P0aSdFgHjKlZxCvBnM1234567',
      'AbCdEf0123456789%2BghIjKlMnOpQrStUv',
      'Sup3r$ecret!',
    ])
      expect(text).not.toContain(secret)
    expect(text).toContain('SharedAccessKeyName=RootManageSharedAccessKey;')
    expect(text).toContain('EndpointSuffix=core.windows.net')
  })

  it('removes Twilio auth tokens beside their account SID, and named secrets whatever their prefix', () => {
    const twilio = redactSecrets('TWILIO_ACCOUNT_SID=AC2a7b4c6d8e0f1a3b5c7d9e1f3a5b7c9d\nauth 0f1e2d3c4b5a69788796a5b4c3d2e1f0')
    expect(twilio.text).not.toContain('0f1e2d3c4b5a69788796a5b4c3d2e1f0')
    expect(twilio.redacted['twilio-auth-token']).toBe(1)
    const named = [
      'TWILIO_AUTH_TOKEN=0f1e2d3c4b5a69788796a5b4c3d2e1f0',
      'clientSecret: "x7Gq-pL2v_Rt9"',
      '{"SecretAccessKey": "wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY"}',
      'secret: hunter2hunter2',
      'export API_TOKEN=tok_live_9f8e7d6c5b4a',
      '{\\"password\\": \\"in a json string\\"}',
    ]
    for (const line of named) {
      const {text} = redactSecrets(line)
      expect(text, line).toContain('[REDACTED:')
      for (const secret of [
        '0f1e2d3c4b5a69788796a5b4c3d2e1f0',
        'x7Gq-pL2v_Rt9',
        'wJalrXUtnFEMIK7MDENG',
        'hunter2hunter2',
        'tok_live_9f8e7d6c5b4a',
        'in a json string',
      ])
        expect(text).not.toContain(secret)
    }
  })

  it('leaves git SHAs, UUIDs, paths, type annotations, calls and env references alone', () => {
    const text = [
      'merged 3f786850e387550fdab836ed7e6dc881de23001b and 9b2c1f0 into main',
      'request 123e4567-e89b-12d3-a456-426614174000 failed; trace 0f1e2d3c4b5a69788796a5b4c3d2e1f0',
      'edited /home/dev/projects/api/src/auth/TokenRefreshService.ts and C:\\Users\\dev\\secrets.txt',
      'interface Session { token: SessionToken; secret: string; password?: PasswordPolicy }',
      'const token = await createToken(user); const password = hashPassword(input)',
      'password: ${DB_PASSWORD}, api_key: process.env.API_KEY, token: <your-token-here>',
      'pwd: /home/dev/project',
      'Basic authentication is fine; bearer tokens are better. The secret: keep it simple.',
      'open http://localhost:5173/@vite/client or https://registry.npmjs.org/@scope/pkg',
      'ThisIsAVeryLongCamelCaseIdentifierName12 is a name, not a key',
      'max_tokens=4096 temperature=0.2 top_p=1',
    ].join('\n')
    expect(redactSecrets(text)).toEqual({text, redacted: {}})
  })

  it('counts a token two rules see once, under the more specific name', () => {
    const {text, redacted} = redactSecrets('api_key=sk-proj-Ab3dEf6hIj9kLmNoPqRsTuVwXyZ0123456789abcd')
    expect(text).toBe('api_key=[REDACTED:openai-key]')
    expect(redacted).toEqual({'openai-key': 1})
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
