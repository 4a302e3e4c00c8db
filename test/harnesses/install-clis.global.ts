import {ensureHarnessCli, HARNESS_PACKAGES, type HarnessName} from './harness-clis.js'

/**
 * Install every pinned harness CLI before any test starts. Installing inside a test file ran
 * `npm install` synchronously in the process that also hosts the test daemon and the model
 * stand-in, which then could not answer for minutes (the first run after a pin moved failed with
 * ECONNRESET). Here nothing else is running yet.
 */
export default function installHarnessClis(): void {
  for (const harness of Object.keys(HARNESS_PACKAGES) as HarnessName[]) ensureHarnessCli(harness)
}
