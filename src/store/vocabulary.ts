/**
 * The words people type for the words memories hold: abbreviations, spelling variants and a few
 * close synonyms from the vocabulary of software work. A memory that says "staging DB" answers
 * "what port is the staging database on"; without this table the prompt and the memory share
 * too few words for the hook to inject it.
 *
 * Each group is a set of interchangeable forms; any single word of a group typed in a query
 * also searches for the others. Multi-word forms ("end to end") are searched as phrases.
 * Only near-equivalents belong here: a loose synonym ("issue" for "bug") widens every query
 * and lets unrelated memories through the prompt hook.
 */
const EQUIVALENTS: readonly string[] = [
  'db database databases dbs',
  'stg staging',
  'prod production',
  'dev development',
  'env environment',
  'envs environments',
  'repo repository',
  'repos repositories',
  'config configuration cfg conf',
  'configs configurations',
  'dep dependency',
  'deps dependencies',
  'k8s kubernetes kube',
  'dwh warehouse',
  'auth authentication authn',
  'authz authorization authorisation',
  'creds credentials',
  'pw pwd passwd password',
  'msg message',
  'msgs messages',
  'e2e end-to-end',
  'ci continuous-integration',
  'pr pull-request',
  'prs pull-requests',
  'mr merge-request',
  'doc docs documentation',
  'perf performance',
  'impl implementation',
  'req request',
  'reqs requests',
  'js javascript',
  'ts typescript',
  'py python',
  'rn react-native',
  'gh github',
  'info information',
  'dir directory folder',
  'dirs directories folders',
  'img image',
  'imgs images',
  'pkg package',
  'pkgs packages',
  'lib library',
  'libs libraries',
  'cert certificate',
  'certs certificates',
  'infra infrastructure',
  'tz timezone time-zone',
  'tmp temp temporary',
  'var variable',
  'vars variables',
  'fn func function',
  'arg argument',
  'args arguments',
  'param parameter',
  'params parameters',
  'notif notification',
  'notifs notifications',
  'admin administrator',
  'org organization organisation',
  'orgs organizations organisations',
  'ota over-the-air',
  'oom out-of-memory oomkilled',
  'os operating-system',
  'cli command-line',
  'ui user-interface',
  'mgr manager',
  'svc service',
  'ws websocket',
  'vm virtual-machine',
  'vuln vulnerability',
  'vulns vulnerabilities',
  'exception error',
  'exceptions errors',
  'linter lint',
  'colour color',
  'colours colors',
  'behaviour behavior',
  'anonymise anonymize anonymised anonymized',
  'vacation holiday',
  'toggle flag',
  'toggles flags',
]

/** How a query word reached a memory word. */
export type MatchRoute = 'word' | 'equivalent' | 'typo'

export interface Alternative {
  /** Lowercase words; more than one is a phrase. */
  words: string[]
  route: MatchRoute
}

const TABLE: Map<string, string[][]> = (() => {
  const table = new Map<string, string[][]>()
  for (const line of EQUIVALENTS) {
    const forms = line.split(' ').map((form) => form.split('-'))
    for (const form of forms) {
      if (form.length !== 1) continue
      const others = forms.filter((other) => other !== form)
      table.set(form[0], [...(table.get(form[0]) ?? []), ...others])
    }
  }
  return table
})()

/** The table's other forms of a single query word (none for most words). */
export function equivalentsOf(word: string): string[][] {
  return TABLE.get(word) ?? []
}
