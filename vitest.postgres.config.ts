import {defineConfig} from 'vitest/config'

/**
 * `npm run test:postgres`: the behavioural suites that apply to any backend, run again with every
 * daemon they start on PostgreSQL — a fresh database of the run's throwaway cluster each
 * (SIGNET_TEST_BACKEND=postgres, test/helpers/test-backend.ts). `npm test` runs the same suites on
 * SQLite, and keeps the PostgreSQL store-level tests (test/store/postgres) and doctor's
 * (test/doctor/postgres-backend.test.ts). Left out: suites about the SQLite file itself (integrity,
 * a replaced or full disk, schema upgrades), sources (they stay in the local SQLite file on every
 * backend), vectors (this cluster has no pgvector), and suites whose daemons are not started
 * through the test helpers (they would run on SQLite again).
 */
export default defineConfig({
  test: {
    include: [
      // the HTTP API and its contract, and the same requests answered alike on both backends
      'test/daemon/api-contract.test.ts',
      'test/daemon/backend-parity.test.ts',
      'test/daemon/memory-routes.test.ts',
      'test/daemon/request-body.test.ts',
      // auth matrix, keys, pairing, devices, proxies
      'test/auth/api-key-routes.test.ts',
      'test/auth/auth-matrix.test.ts',
      'test/auth/browser-origin-matrix.test.ts',
      'test/auth/client-auth.test.ts',
      'test/auth/pairing.test.ts',
      'test/auth/remote-peer.test.ts',
      'test/security/dashboard-devices.test.ts',
      'test/security/trust-boundary.test.ts',
      'test/security/trusted-proxy-spoofing.test.ts',
      // agent and project scope, key minting, redaction before storage
      'test/security/project-scope.test.ts',
      'test/security/key-minting.test.ts',
      'test/security/hidden-characters-in-names.test.ts',
      'test/security/prompt-injection.test.ts',
      // fuzz
      'test/security/hook-stdin-fuzz.test.ts',
      'test/security/api-route-fuzz.test.ts',
      'test/security/memory-route-fuzz.test.ts',
      'test/security/agent-route-fuzz.test.ts',
      // hooks, receipts, synthesis, extraction, the harness side
      'test/hooks/hook-routes.test.ts',
      'test/hooks/hook-scope.test.ts',
      'test/hooks/prompt-receipts.test.ts',
      'test/hooks/synthesis-routes.test.ts',
      'test/hooks/transport.test.ts',
      'test/hooks/llm-extraction.test.ts',
      'test/store/recall-receipt.test.ts',
      'test/connectors/harness-bridge.test.ts',
      'test/connectors/empty-session-end.test.ts',
      'test/e2e/harness-credentials.test.ts',
      'test/e2e/connector-remote.test.ts',
      // agent messages
      'test/agents/agent-network.test.ts',
      'test/agents/agent-policy.test.ts',
      'test/agents/agent-budget.test.ts',
      'test/agents/pi-agent-tools.test.ts',
      // MCP
      'test/mcp/http.test.ts',
      'test/mcp/auth.test.ts',
      // import and export through the CLI
      'test/e2e/import-cli.test.ts',
      'test/e2e/whole-store-moves.test.ts',
    ],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    globalSetup: ['test/helpers/postgres.global.ts'],
    env: {SIGNET_CHECK_ANSWERS: '1', SIGNET_TEST_BACKEND: 'postgres'},
  },
})
