import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {redactCredentials} from '../../src/store/credential-redaction.js'
import {redactSecrets} from '../../src/store/redaction.js'
import {expectLinear, KIB, repeatTo} from './support/linear-time.js'

/**
 * Pieces of every rule: token prefixes, their separators, the starts of the contextual rules, and runs
 * of the characters their bodies take. Repeating one (or a mix) is how a backtracking regex is made
 * to rescan the same run from every position: `eyJ-eyJ-…` froze the daemon for 35 s at 200 KB.
 */
const UNITS = [
  'eyJ',
  'eyJ-',
  'eyJ.',
  '.eyJ',
  'eyJaaaaaaaa.',
  'eyJaaaaaaaa.eyJaaaaaaaa.',
  'a',
  'a-',
  'a.',
  'a_',
  'A',
  '0',
  'f',
  ' ',
  '\n',
  '"',
  "'",
  '=',
  ':',
  '@',
  '/',
  '+',
  '%',
  'sk-',
  'sk-ant-',
  'sk_live_',
  'sk.eyJ',
  'AKIA',
  'AKIAIOSFODNN7EXAMPLE ',
  'AKIAIOSFODNN7EXAMPLE,',
  'ghp_',
  'github_pat_',
  'glpat-',
  'xoxb-',
  'xapp-',
  'xoxe.',
  'AIza',
  'GOCSPX-',
  'ya29.',
  'npm_',
  'pypi-AgE',
  'hf_',
  'SG.',
  'SG.aaaaaaaaaaaaaaaa.',
  'SK',
  'AC',
  'AC0123456789abcdef0123456789abcdef ',
  'dp.',
  'dp.st.',
  'Q~',
  'abc8Q~',
  'sig_sk_',
  'sig_sk_abcdef_',
  'sig%5fsk%5f',
  'sig_at_',
  '-----BEGIN ',
  '-----BEGIN RSA ',
  '-----BEGIN PRIVATE KEY-----',
  '-----END ',
  'PuTTY-User-Key-File-',
  'https://hooks.slack.com/',
  'https://discord.com/api/webhooks/',
  '://',
  '://a:',
  'a://a:',
  'x://a:b/',
  'postgres://u:',
  'u:p/a@',
  ':a@',
  'a:b@c:',
  'https://a:b@',
  '@@',
  'password=',
  'password= ',
  'password="',
  "secret:'",
  'token: ',
  'api_key=',
  'AccountKey=',
  'sig=',
  'pwd=',
  '\\"password\\": \\"',
  'Bearer ',
  'Bearer',
  'Basic ',
  'Authorization: Basic ',
  'Token ',
  'token 0',
  'aB3/',
  'aB3+',
  'aB3/aB3/aB3/aB3/aB3/aB3/aB3/aB3/aB3/aB3 ',
  'wJalrXUtnFEMIK7MDENGbPxRfiCYzK3pLq9sT2v',
  '0123456789abcdef',
  'QUJD',
  'QUJD=',
]

/**
 * CPU ms per MiB. The slowest pieces cost ≈ 35 ms per MiB on a quiet machine, and a core shared with
 * other jobs inflates even CPU time by half: at 50 a linear input missed by 1.5 ms. Super-linear code
 * misses any such bound by 100× and more, and the 4× step is checked on its own.
 */
const LINEAR_BUDGET = {budgetMs: 100}

const REDACTORS: Array<[string, (text: string) => unknown]> = [
  ['redactSecrets', redactSecrets],
  ['redactCredentials', redactCredentials],
]

describe('redaction takes linear time on adversarial input', () => {
  for (const [name, redact] of REDACTORS) {
    it(`${name}: every rule piece repeated, 16 KiB to 1 MiB`, {timeout: 180_000}, () => {
      const worst: Array<[string, number]> = []
      for (const unit of UNITS) worst.push([unit, expectLinear(`${name} on ${JSON.stringify(unit)}`, redact, (size) => repeatTo(unit, size), LINEAR_BUDGET)])
      worst.sort((a, b) => b[1] - a[1])
      // Visible in the test output: the figures behind the budget.
      console.log(
        `${name} slowest at 1 MiB:`,
        worst
          .slice(0, 3)
          .map(([unit, ms]) => `${JSON.stringify(unit)} ${ms.toFixed(1)} ms`)
          .join(', '),
      )
    })

    it(`${name}: random mixes of rule pieces stay linear`, {timeout: 180_000}, () => {
      fc.assert(
        fc.property(
          fc.array(fc.constantFrom(...UNITS), {minLength: 2, maxLength: 6}),
          fc.array(fc.constantFrom('', ' ', '-', '.', '_', 'a', '0'), {minLength: 2, maxLength: 6}),
          (pieces, glue) => {
            const unit = pieces.map((piece, i) => piece + glue[i % glue.length]).join('')
            expectLinear(`${name} on ${JSON.stringify(unit)}`, redact, (size) => repeatTo(unit, size), LINEAR_BUDGET)
          },
        ),
        {numRuns: 15, endOnFailure: true},
      )
    })
  }

  it('still redacts a secret between hostile runs', () => {
    const secret = 'ghp_0123456789abcdefghijklmnopqrstuvwxyz'
    const text = `${repeatTo('eyJ-', 64 * KIB)} ${secret} ${repeatTo('a.', 64 * KIB)}`
    const {text: cleaned, redacted} = redactSecrets(text)
    expect(cleaned).not.toContain(secret)
    expect(redacted['github-token']).toBe(1)
  })
})
