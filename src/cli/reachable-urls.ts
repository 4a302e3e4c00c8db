import {networkInterfaces, type NetworkInterfaceInfo} from 'node:os'

/** One URL a remote machine might use to reach this daemon, and why it is on the list. */
export interface CandidateUrl {
  url: string
  source: string
}

type Interfaces = NodeJS.Dict<NetworkInterfaceInfo[]>

/**
 * Every URL a remote machine might dial, best first: the names the user configured in
 * `network.hostnames` (they chose them for this), then Tailscale addresses (100.64.0.0/10, the
 * network `network.mode: tailscale` is for), then every other non-internal IPv4, then global IPv6.
 * A daemon bound to one address is reachable only there. Link-local IPv6 (fe80::) needs a zone
 * id no URL carries, so it is left out.
 */
export function candidateUrls(bindHost: string, port: number, hostnames: readonly string[], interfaces: Interfaces = networkInterfaces()): CandidateUrl[] {
  const candidates: CandidateUrl[] = hostnames.map((name) => ({url: `http://${name.replace(/\.$/, '')}:${port}`, source: 'network.hostnames in agent.yaml'}))
  if (bindHost !== '0.0.0.0' && bindHost !== '::') {
    candidates.push({url: `http://${bracket(bindHost)}:${port}`, source: 'the address the daemon is bound to'})
    return candidates
  }
  const tailscale: CandidateUrl[] = []
  const ipv4: CandidateUrl[] = []
  const ipv6: CandidateUrl[] = []
  for (const [name, entries] of Object.entries(interfaces)) {
    for (const entry of entries ?? []) {
      if (entry.internal) continue
      if (entry.family === 'IPv4') {
        const [a, b] = entry.address.split('.').map(Number)
        if (a === 100 && b >= 64 && b <= 127) tailscale.push({url: `http://${entry.address}:${port}`, source: `Tailscale address on ${name}`})
        else ipv4.push({url: `http://${entry.address}:${port}`, source: `address on ${name}`})
      } else if (entry.family === 'IPv6' && !entry.address.toLowerCase().startsWith('fe80:')) {
        // A bind to 0.0.0.0 does not listen on IPv6; only '::' does.
        if (bindHost === '::') ipv6.push({url: `http://${bracket(entry.address)}:${port}`, source: `IPv6 address on ${name}`})
      }
    }
  }
  const seen = new Set<string>()
  return [...candidates, ...tailscale, ...ipv4, ...ipv6].filter((candidate) => !seen.has(candidate.url) && seen.add(candidate.url))
}

function bracket(host: string): string {
  return host.includes(':') ? `[${host}]` : host
}
