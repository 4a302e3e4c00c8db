/*
 * How every daemon process Signet starts is run — `signet daemon start`, and the systemd unit and
 * launchd agent `signet daemon install` writes — to keep its memory near its idle size under load
 * (B6 in bench/README.md: ≤ 120 MB RSS after B4's 32 clients; 140–180 MB without these).
 */

/**
 * Node flags, before bin/run.js. Under many concurrent clients V8 grows the young generation up to
 * 16 MB semi-spaces and lets the old one grow up to 4 × what survived the last full collection,
 * keeping both long after the load: capped at 2 MB semi-spaces and 1.5 × growth, the heap stays
 * near 38 MB with no measurable change in CPU per request. They must be on the command line: V8
 * sizes its heap when the process starts, and `v8.setFlagsFromString` in the running daemon leaves
 * it as it is (checked). bin/run.js keeps a code cache per set of flags, since V8 rejects a cache
 * written under other flags.
 */
export const DAEMON_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=2', '--heap-growing-percent=50']

/**
 * Environment of the daemon process. glibc's malloc gives busy threads (libuv's pool, V8's
 * compiler and GC threads) arenas of their own, up to 8 per core, and keeps what they freed: one
 * arena for every thread ends B4's load at 115–116 MB where a second one, holding what the
 * background compiler threads freed, ended it at 125, with the same CPU per request (bench/README.md,
 * "Proximity among the candidates"). Other C libraries ignore it. A value already in the
 * environment wins.
 */
export const DAEMON_ENV: Readonly<Record<string, string>> = {MALLOC_ARENA_MAX: '1'}
