import type {DaemonContext} from './context.js'

/**
 * The background half of "incremental on change": every `sources.scanIntervalSeconds` the daemon
 * rescans each source. A rescan stats every file and reads only those whose size or mtime moved,
 * so it is cheap, and unlike fs.watch it works the same on every platform and file system
 * (network mounts, editors that replace files, directories created later). One scan runs at start
 * to catch up with edits made while the daemon was down. An interval of 0 turns all of it off.
 */
export function startSourceScan(daemon: DaemonContext): {stop(): Promise<void>} {
  const intervalMs = daemon.config.sources.scanIntervalSeconds * 1000
  let busy: Promise<void> | undefined
  const run = () => {
    if (busy) return
    busy = daemon.sources
      .reindexAll()
      .then((reports) => {
        const changed = reports.filter((report) => report.changed > 0 || report.removed > 0)
        if (changed.length > 0) daemon.logger.info('sources reindexed', {sources: changed.map(({source, changed, removed}) => ({source, changed, removed}))})
      })
      .catch((error: unknown) => daemon.logger.warn('source scan failed', {error: String(error)}))
      .finally(() => (busy = undefined))
  }
  // 0 turns background scanning off entirely: sources change only on `signet source reindex`.
  const startup = intervalMs > 0 ? setTimeout(run, 1000) : undefined
  startup?.unref()
  const timer = intervalMs > 0 ? setInterval(run, intervalMs) : undefined
  timer?.unref()
  return {
    async stop() {
      if (startup) clearTimeout(startup)
      if (timer) clearInterval(timer)
      await daemon.sources.stop()
      await busy
    },
  }
}
