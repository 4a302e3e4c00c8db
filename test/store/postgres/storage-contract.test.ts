import {openPostgresStorage} from '../../../src/store/postgres/storage.js'
import {createTestDatabase, postgresCluster, postgresSkipReason} from '../../helpers/postgres.js'
import {describeStorageContract} from '../storage-contract.js'

describeStorageContract(
  `PostgreSQL ${postgresSkipReason}`,
  async () => {
    const database = await createTestDatabase()
    const storage = await openPostgresStorage({url: database.url})
    return {
      storage,
      cleanup: async () => {
        await storage.close()
        await database.drop()
      },
    }
  },
  {skip: !postgresCluster},
)
