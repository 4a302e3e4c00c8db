import {existsSync, readdirSync, statSync} from 'node:fs'
import path from 'node:path'

import Database from 'better-sqlite3'

import {ensurePrivateDir, ensurePrivateFile, restrictToOwner} from '../config/private-files.js'
import {SignetError} from '../errors.js'

export type SqliteDatabase = Database.Database

export interface Migration {
  version: number
  name: string
  sql: string
}

/**
 * Numbered schema migrations, applied in order inside one transaction each.
 * Append new migrations at the end with the next number; never edit a released one.
 */
export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'memories',
    sql: `
      CREATE TABLE memories (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        content TEXT NOT NULL,
        content_hash TEXT NOT NULL,
        type TEXT NOT NULL DEFAULT 'fact',
        tags TEXT NOT NULL DEFAULT '[]',
        importance REAL NOT NULL DEFAULT 0.5,
        pinned INTEGER NOT NULL DEFAULT 0,
        agent_id TEXT NOT NULL DEFAULT 'default',
        project TEXT,
        source TEXT NOT NULL DEFAULT 'manual',
        harness TEXT,
        key_id TEXT,
        machine_id TEXT,
        session_key TEXT,
        idempotency_key TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        deleted_at TEXT,
        access_count INTEGER NOT NULL DEFAULT 0,
        last_accessed_at TEXT
      );
      CREATE UNIQUE INDEX memories_live_hash ON memories(agent_id, content_hash) WHERE deleted_at IS NULL;
      CREATE UNIQUE INDEX memories_idempotency ON memories(agent_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
      CREATE INDEX memories_agent_created ON memories(agent_id, created_at);
      CREATE INDEX memories_agent_project ON memories(agent_id, project);

      CREATE VIRTUAL TABLE memories_fts USING fts5(
        content, tags,
        content='memories', content_rowid='seq',
        tokenize='porter unicode61 remove_diacritics 2'
      );
      CREATE TRIGGER memories_fts_insert AFTER INSERT ON memories BEGIN
        INSERT INTO memories_fts(rowid, content, tags) VALUES (new.seq, new.content, new.tags);
      END;
      CREATE TRIGGER memories_fts_delete AFTER DELETE ON memories BEGIN
        INSERT INTO memories_fts(memories_fts, rowid, content, tags) VALUES ('delete', old.seq, old.content, old.tags);
      END;
      CREATE TRIGGER memories_fts_update AFTER UPDATE OF content, tags ON memories BEGIN
        INSERT INTO memories_fts(memories_fts, rowid, content, tags) VALUES ('delete', old.seq, old.content, old.tags);
        INSERT INTO memories_fts(rowid, content, tags) VALUES (new.seq, new.content, new.tags);
      END;
    `,
  },
  {
    version: 2,
    name: 'sessions, transcripts, keys, audit, pairing, harness sightings',
    sql: `
      CREATE TABLE sessions (
        session_key TEXT NOT NULL,
        agent_id TEXT NOT NULL DEFAULT 'default',
        harness TEXT,
        machine_id TEXT,
        project TEXT,
        key_id TEXT,
        started_at TEXT NOT NULL,
        ended_at TEXT,
        injected_ids TEXT NOT NULL DEFAULT '[]',
        PRIMARY KEY (agent_id, session_key)
      );
      CREATE INDEX sessions_started ON sessions(started_at);

      CREATE TABLE session_transcripts (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        session_key TEXT NOT NULL,
        agent_id TEXT NOT NULL DEFAULT 'default',
        harness TEXT,
        project TEXT,
        kind TEXT NOT NULL DEFAULT 'transcript',
        content TEXT NOT NULL,
        idempotency_key TEXT,
        created_at TEXT NOT NULL
      );
      CREATE UNIQUE INDEX session_transcripts_idempotency ON session_transcripts(agent_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
      CREATE INDEX session_transcripts_session ON session_transcripts(agent_id, session_key);
      CREATE VIRTUAL TABLE session_transcripts_fts USING fts5(
        content, content='session_transcripts', content_rowid='seq',
        tokenize='porter unicode61 remove_diacritics 2'
      );
      CREATE TRIGGER session_transcripts_fts_insert AFTER INSERT ON session_transcripts BEGIN
        INSERT INTO session_transcripts_fts(rowid, content) VALUES (new.seq, new.content);
      END;
      CREATE TRIGGER session_transcripts_fts_delete AFTER DELETE ON session_transcripts BEGIN
        INSERT INTO session_transcripts_fts(session_transcripts_fts, rowid, content) VALUES ('delete', old.seq, old.content);
      END;

      CREATE TABLE api_keys (
        id TEXT PRIMARY KEY,
        prefix TEXT NOT NULL UNIQUE,
        key_hash TEXT NOT NULL,
        name TEXT NOT NULL,
        role TEXT NOT NULL DEFAULT 'agent',
        scope_json TEXT NOT NULL DEFAULT '{}',
        permissions_json TEXT NOT NULL DEFAULT '[]',
        connector TEXT,
        harness TEXT,
        agent_id TEXT,
        allowed_projects_json TEXT NOT NULL DEFAULT '[]',
        created_at TEXT NOT NULL,
        last_used_at TEXT,
        revoked_at TEXT,
        expires_at TEXT
      );

      CREATE TABLE audit (
        seq INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        event TEXT NOT NULL,
        key_id TEXT,
        peer TEXT,
        detail_json TEXT NOT NULL DEFAULT '{}'
      );
      CREATE INDEX audit_at ON audit(at);

      CREATE TABLE pairing_codes (
        code_hash TEXT PRIMARY KEY,
        connector TEXT,
        agent_id TEXT,
        role TEXT NOT NULL DEFAULT 'agent',
        project TEXT,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        claimed_at TEXT,
        claimed_key_id TEXT
      );

      CREATE TABLE harness_sightings (
        harness TEXT NOT NULL,
        agent_id TEXT NOT NULL DEFAULT 'default',
        machine_id TEXT,
        last_seen_at TEXT NOT NULL,
        last_event TEXT,
        PRIMARY KEY (harness, agent_id)
      );
    `,
  },
  {
    version: 3,
    name: 'embedding spaces and vector state (vectors live in per-space sqlite-vec tables)',
    sql: `
      CREATE TABLE embedding_spaces (
        id INTEGER PRIMARY KEY,
        key TEXT NOT NULL UNIQUE,
        provider TEXT NOT NULL,
        model TEXT NOT NULL,
        dimensions INTEGER NOT NULL,
        created_at TEXT NOT NULL
      );
      CREATE TABLE memory_vector_state (
        space_id INTEGER NOT NULL,
        seq INTEGER NOT NULL,
        content_hash TEXT NOT NULL,
        embedded_at TEXT NOT NULL,
        PRIMARY KEY (space_id, seq)
      ) WITHOUT ROWID;
      CREATE TABLE memory_vector_stale (seq INTEGER PRIMARY KEY);
      CREATE TRIGGER memories_vector_stale AFTER UPDATE OF content ON memories BEGIN
        INSERT OR IGNORE INTO memory_vector_stale(seq) VALUES (new.seq);
      END;
    `,
  },
  {
    version: 4,
    name: 'sessions remember when their start context was injected',
    // A prompt hook can create the session row before session-start runs (Gemini, plugins);
    // only a delivered session-start inject makes a later start a short "resumed" stub.
    sql: `ALTER TABLE sessions ADD COLUMN context_loaded_at TEXT;`,
  },
  {
    version: 5,
    name: 'dedup and idempotency keys are per agent and project; sessions by key',
    // Per agent only, identical content saved in project A was "deduped" into project B's row, and an
    // idempotency key replayed from A returned B's memory. Each index only gets narrower-keyed, so
    // every existing database already satisfies the new ones. `ifnull(project, '')`: global rows
    // (NULL project) must still collide with each other, and a project name is never empty.
    sql: `
      DROP INDEX memories_live_hash;
      CREATE UNIQUE INDEX memories_live_hash ON memories(agent_id, ifnull(project, ''), content_hash) WHERE deleted_at IS NULL;
      DROP INDEX memories_idempotency;
      CREATE UNIQUE INDEX memories_idempotency ON memories(agent_id, ifnull(project, ''), idempotency_key) WHERE idempotency_key IS NOT NULL;
      DROP INDEX session_transcripts_idempotency;
      CREATE UNIQUE INDEX session_transcripts_idempotency ON session_transcripts(agent_id, ifnull(project, ''), idempotency_key) WHERE idempotency_key IS NOT NULL;
      -- "Does another agent own this session key?" is asked by key alone.
      CREATE INDEX sessions_key ON sessions(session_key);
    `,
  },
  {
    version: 6,
    name: 'agent network: presence of every connector session, messages between agents, their event log',
    // Presence is one row per (agent, harness, machine, session); '' stands for "none" so the key
    // stays a plain primary key. A message is addressed to an agent, optionally narrowed to one of its
    // machines or sessions; the partial index keeps "anything unread for me?" one index probe, which
    // every prompt hook asks. agent_events is the resumable stream (its seq is the SSE event id).
    sql: `
      CREATE TABLE agent_presence (
        agent_id TEXT NOT NULL,
        harness TEXT NOT NULL,
        machine_id TEXT NOT NULL DEFAULT '',
        session_key TEXT NOT NULL DEFAULT '',
        project TEXT,
        key_id TEXT,
        last_seen_at TEXT NOT NULL,
        last_event TEXT,
        ended_at TEXT,
        PRIMARY KEY (agent_id, harness, machine_id, session_key)
      ) WITHOUT ROWID;
      CREATE INDEX agent_presence_seen ON agent_presence(last_seen_at);

      CREATE TABLE agent_messages (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        from_agent TEXT NOT NULL,
        from_machine TEXT,
        from_harness TEXT,
        from_session TEXT,
        from_key_id TEXT,
        to_address TEXT NOT NULL,
        to_agent TEXT NOT NULL,
        to_machine TEXT,
        to_session TEXT,
        kind TEXT NOT NULL,
        subject TEXT,
        body TEXT NOT NULL,
        reply_to TEXT,
        thread TEXT NOT NULL,
        project TEXT,
        created_at TEXT NOT NULL,
        delivered_at TEXT,
        delivered_session TEXT,
        acked_at TEXT
      );
      CREATE INDEX agent_messages_unread ON agent_messages(to_agent, seq) WHERE delivered_at IS NULL;
      CREATE INDEX agent_messages_inbox ON agent_messages(to_agent, seq);
      CREATE INDEX agent_messages_sent ON agent_messages(from_agent, seq);
      CREATE INDEX agent_messages_thread ON agent_messages(thread, seq);

      CREATE TABLE agent_events (
        seq INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        type TEXT NOT NULL,
        message_id TEXT NOT NULL,
        to_agent TEXT NOT NULL,
        from_agent TEXT NOT NULL
      );
      CREATE INDEX agent_events_to ON agent_events(to_agent, seq);
      CREATE INDEX agent_events_from ON agent_events(from_agent, seq);
    `,
  },
  {
    version: 7,
    name: 'dashboard login links and device sessions',
    // Both hold only sha256 digests of 256-bit random tokens: the raw token lives in the link (once)
    // and in the browser's HttpOnly cookie, never here.
    sql: `
      CREATE TABLE device_login_links (
        token_hash TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        agent_id TEXT,
        project TEXT,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        used_at TEXT,
        device_id TEXT
      ) WITHOUT ROWID;
      CREATE TABLE device_sessions (
        id TEXT PRIMARY KEY,
        token_hash TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        agent_id TEXT,
        project TEXT,
        user_agent TEXT,
        created_at TEXT NOT NULL,
        last_used_at TEXT,
        expires_at TEXT NOT NULL,
        revoked_at TEXT
      );
    `,
  },
  {
    version: 8,
    name: 'sources: indexed folders of text, Markdown and code',
    // Chunk text is stored redacted. source_files remembers size, mtime and hash per file so a
    // rescan reads only what changed and re-chunks only what really differs.
    sql: `
      CREATE TABLE sources (
        name TEXT PRIMARY KEY,
        root TEXT NOT NULL UNIQUE,
        includes TEXT NOT NULL DEFAULT '[]',
        created_at TEXT NOT NULL,
        indexed_at TEXT,
        skipped TEXT NOT NULL DEFAULT '{}',
        error TEXT
      ) WITHOUT ROWID;
      CREATE TABLE source_files (
        source TEXT NOT NULL,
        path TEXT NOT NULL,
        size INTEGER NOT NULL,
        mtime_ms REAL NOT NULL,
        hash TEXT NOT NULL,
        chunks INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (source, path)
      ) WITHOUT ROWID;
      CREATE TABLE source_chunks (
        seq INTEGER PRIMARY KEY,
        source TEXT NOT NULL,
        path TEXT NOT NULL,
        start_line INTEGER NOT NULL,
        end_line INTEGER NOT NULL,
        content TEXT NOT NULL,
        words TEXT NOT NULL DEFAULT ''
      );
      CREATE INDEX source_chunks_file ON source_chunks(source, path);
      -- words: the parts of camelCase and snake_case identifiers, so "pelican discount" finds applyPelicanDiscount.
      CREATE VIRTUAL TABLE source_chunks_fts USING fts5(
        content, path, words,
        content='source_chunks', content_rowid='seq',
        tokenize='porter unicode61 remove_diacritics 2'
      );
      CREATE TRIGGER source_chunks_fts_insert AFTER INSERT ON source_chunks BEGIN
        INSERT INTO source_chunks_fts(rowid, content, path, words) VALUES (new.seq, new.content, new.path, new.words);
      END;
      CREATE TRIGGER source_chunks_fts_delete AFTER DELETE ON source_chunks BEGIN
        INSERT INTO source_chunks_fts(source_chunks_fts, rowid, content, path, words) VALUES ('delete', old.seq, old.content, old.path, old.words);
      END;
    `,
  },
  {
    version: 9,
    name: 'prompt receipts: what each user prompt was given, and why',
    // One row per user-prompt-submit hook, so a session can show per turn which memories (with
    // score and why) and which agent messages were injected. Lists are JSON arrays.
    sql: `
      CREATE TABLE prompt_receipts (
        seq INTEGER PRIMARY KEY,
        agent_id TEXT NOT NULL,
        session_key TEXT NOT NULL,
        at TEXT NOT NULL,
        memory_ids TEXT NOT NULL DEFAULT '[]',
        scores TEXT NOT NULL DEFAULT '[]',
        why TEXT NOT NULL DEFAULT '[]',
        message_ids TEXT NOT NULL DEFAULT '[]',
        elapsed_ms REAL NOT NULL
      );
      CREATE INDEX prompt_receipts_session ON prompt_receipts(agent_id, session_key, seq);
    `,
  },
  {
    version: 10,
    name: 'live memory count per agent, kept by triggers',
    // `signet status` shows the live memory count: count(*) over deleted_at IS NULL read a whole
    // index (140 ms at a million memories, bench/README.md "B8"). Derived from memories like the
    // FTS5 index (never copied between backends); every insert, delete and change of deleted_at or
    // agent_id keeps it.
    sql: `
      CREATE TABLE memory_counts (agent_id TEXT PRIMARY KEY, live INTEGER NOT NULL) WITHOUT ROWID;
      INSERT INTO memory_counts (agent_id, live) SELECT agent_id, count(*) FROM memories WHERE deleted_at IS NULL GROUP BY agent_id;
      CREATE TRIGGER memory_counts_insert AFTER INSERT ON memories WHEN new.deleted_at IS NULL BEGIN
        INSERT INTO memory_counts (agent_id, live) VALUES (new.agent_id, 1) ON CONFLICT (agent_id) DO UPDATE SET live = live + 1;
      END;
      CREATE TRIGGER memory_counts_delete AFTER DELETE ON memories WHEN old.deleted_at IS NULL BEGIN
        UPDATE memory_counts SET live = live - 1 WHERE agent_id = old.agent_id;
      END;
      CREATE TRIGGER memory_counts_update AFTER UPDATE OF deleted_at, agent_id ON memories BEGIN
        UPDATE memory_counts SET live = live - 1 WHERE agent_id = old.agent_id AND old.deleted_at IS NULL;
        INSERT INTO memory_counts (agent_id, live) SELECT new.agent_id, 1 WHERE new.deleted_at IS NULL
          ON CONFLICT (agent_id) DO UPDATE SET live = live + 1;
      END;
    `,
  },
]

export const LATEST_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version

export interface OpenDatabaseOptions {
  /** Take a copy of an existing database before migrating it forward. Default true. */
  backupBeforeMigrate?: boolean
}

/**
 * WAL pages after which a commit copies the WAL into the database file (SQLite's default is 1,000).
 * That checkpoint runs inside the commit that crosses the mark, and its two fsyncs (8–85 ms here)
 * block the daemon's only thread: a remember writes ≈ 14 pages (row, indexes, FTS5 segment), so at
 * 1,000 one remember in 70 waited for it. At 4,000 the checkpoints are a quarter as frequent and
 * copy each page rewritten meanwhile once; the WAL (≤ 16 MB) stays within the WAL index's first
 * hash table, so reads look up pages as fast as before. Durability is the WAL's either way.
 */
const WAL_AUTOCHECKPOINT_PAGES = 4000

/**
 * Open (creating if needed) the workspace database with WAL and a busy timeout, then migrate it.
 * A database written by a newer Signet is refused rather than touched.
 *
 * The file is owner-only (0600 in a 0700 directory): SQLite gives the -wal and -shm files the
 * database file's mode, so creating it 0600 ourselves keeps all three private whatever the umask.
 */
export function openDatabase(dbPath: string, options: OpenDatabaseOptions = {}): SqliteDatabase {
  const inMemory = dbPath === ':memory:' || dbPath === ''
  let isNew = true
  if (!inMemory) {
    const dir = path.dirname(dbPath)
    ensurePrivateDir(dir)
    // An install made before files were private: the database, WAL, shared memory and backups.
    const base = path.basename(dbPath)
    for (const entry of readdirSync(dir)) if (entry.startsWith(base)) restrictToOwner(path.join(dir, entry))
    isNew = !existsSync(dbPath)
    ensurePrivateFile(dbPath)
  }
  const db = new Database(dbPath)
  try {
    // Before anything that writes: switching the journal mode alone rewrites the file header.
    refuseNewerSchema(db, dbPath)
    db.pragma('journal_mode = WAL')
    db.pragma('busy_timeout = 5000')
    db.pragma('synchronous = NORMAL')
    db.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`)
    db.pragma('foreign_keys = ON')
    migrate(db, dbPath, {backup: !isNew && options.backupBeforeMigrate !== false})
    if (!inMemory) rememberDatabaseFile(db, dbPath)
    return db
  } catch (error) {
    db.close()
    throw error
  }
}

interface OpenedDatabaseFile {
  path: string
  dev: number
  ino: number
}

const openedFiles = new WeakMap<SqliteDatabase, OpenedDatabaseFile>()

function rememberDatabaseFile(db: SqliteDatabase, dbPath: string): void {
  const stat = statSync(dbPath)
  openedFiles.set(db, {path: dbPath, dev: stat.dev, ino: stat.ino})
}

export interface DatabaseFileProblem {
  /** The path the database was opened from. */
  path: string
  /** `deleted`: nothing is at the path any more; `replaced`: another file is. */
  kind: 'deleted' | 'replaced'
  message: string
}

/**
 * Is the file at the database's path still the one this handle opened? SQLite keeps writing to
 * the open file after it was deleted or renamed over, so writes would succeed and then vanish at
 * the next start. One stat, a few microseconds: cheap enough to ask before every write.
 */
export function databaseFileProblem(db: SqliteDatabase): DatabaseFileProblem | undefined {
  const opened = openedFiles.get(db)
  if (!opened) return undefined
  let current
  try {
    current = statSync(opened.path, {throwIfNoEntry: false})
  } catch {
    current = undefined
  }
  if (current && current.dev === opened.dev && current.ino === opened.ino) return undefined
  const kind = current ? 'replaced' : 'deleted'
  return {
    path: opened.path,
    kind,
    message: `the database file ${opened.path} was ${kind} while the daemon had it open; writes are refused because they would be lost — restart the daemon (signet daemon restart) to open the file now at that path`,
  }
}

function refuseNewerSchema(db: SqliteDatabase, dbPath: string): void {
  const current = db.pragma('user_version', {simple: true}) as number
  if (current > LATEST_SCHEMA_VERSION) {
    throw new SignetError(
      `database ${dbPath} has schema version ${current}, newer than this Signet understands (${LATEST_SCHEMA_VERSION}) — ` +
        'upgrade signetai (npm install -g signetai@latest); the database was not modified',
      'schema_too_new',
    )
  }
}

function migrate(db: SqliteDatabase, dbPath: string, options: {backup: boolean}): void {
  const current = db.pragma('user_version', {simple: true}) as number
  const pending = MIGRATIONS.filter((migration) => migration.version > current)
  if (pending.length === 0) return
  if (options.backup && current > 0) {
    const backupPath = `${dbPath}.backup-v${current}-${Date.now()}`
    db.exec(`VACUUM INTO '${backupPath.replaceAll("'", "''")}'`)
    restrictToOwner(backupPath)
  }
  for (const migration of pending) {
    db.transaction(() => {
      db.exec(migration.sql)
      db.pragma(`user_version = ${migration.version}`)
    })()
  }
}
