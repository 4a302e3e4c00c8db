import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {openSqliteStorage} from '../../src/store/sqlite/storage.js'
import {describeStorageContract} from './storage-contract.js'

describeStorageContract('SQLite', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'signet-contract-'))
  const storage = openSqliteStorage(path.join(dir, 'memories.db'), {indexInBackground: false})
  return {
    storage,
    cleanup: async () => {
      await storage.close()
      rmSync(dir, {recursive: true, force: true})
    },
  }
})
