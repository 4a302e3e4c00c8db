/**
 * The tables `signet storage migrate` copies, in the order a copy writes them, each with its primary
 * key (columns joined by commas when it has several). Left out on purpose: the FTS5 indexes and
 * SQLite's memory_counts (derived: triggers rebuild them from the rows), vectors and their bookkeeping (derived: the
 * target's indexer embeds again; a vector belongs to a provider and a backend's vector type), and
 * sources (they index folders of this machine and stay in its local SQLite file). One list for every
 * backend, so rows move between them as they are.
 */
export const COPIED_TABLES: ReadonlyArray<{name: string; key: string}> = [
  {name: 'api_keys', key: 'id'},
  {name: 'memories', key: 'seq'},
  {name: 'sessions', key: 'agent_id,session_key'},
  {name: 'session_transcripts', key: 'seq'},
  {name: 'prompt_receipts', key: 'seq'},
  {name: 'audit', key: 'seq'},
  {name: 'pairing_codes', key: 'code_hash'},
  {name: 'harness_sightings', key: 'harness,agent_id'},
  {name: 'agent_presence', key: 'agent_id,harness,machine_id,session_key'},
  {name: 'agent_messages', key: 'seq'},
  {name: 'agent_events', key: 'seq'},
  {name: 'device_login_links', key: 'token_hash'},
  {name: 'device_sessions', key: 'id'},
]
