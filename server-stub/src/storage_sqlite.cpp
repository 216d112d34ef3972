// SQLite backend: the embedded default.
// One writer connection with group commit (concurrent writes share one
// transaction, each in its own SAVEPOINT), a pool of read-only connections.
// WAL + synchronous=NORMAL: a committed write survives the death of the process.
// Checkpoints (copying the WAL into the database file, with fsync) run on a
// background thread so commits never wait for them (see checkpoint_loop).
#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "gradvy_sync/event_blocks.hpp"
#include "gradvy_sync/storage.hpp"
#include "gradvy_sync/storage_backends.hpp"

namespace gradvy_sync {

// Schema migrations, in order; migration i brings the schema to version i + 1.
// Same tables, columns and constraints as the PostgreSQL backend.
const std::vector<std::string>& sqlite_migrations() {
  static const std::vector<std::string> steps = {
      R"sql(
CREATE TABLE events (
  id          INTEGER PRIMARY KEY,
  user_id     TEXT    NOT NULL CHECK (length(user_id) > 0),
  event_id    TEXT    NOT NULL CHECK (length(event_id) > 0),
  type        TEXT    NOT NULL,
  ts          INTEGER NOT NULL,
  purpose     TEXT    NOT NULL CHECK (purpose IN ('essential', 'analytics', 'personalization',
                                   'marketing', 'social_integration', 'external_enrichment')),
  session_id  TEXT    NOT NULL,
  seq         INTEGER NOT NULL,
  item_id     TEXT,
  action      TEXT,
  batch_id    TEXT    NOT NULL,
  received_at INTEGER NOT NULL,
  body        TEXT    NOT NULL,
  UNIQUE (user_id, event_id)
);
CREATE INDEX events_user_ts ON events (user_id, ts);
CREATE INDEX events_ts ON events (ts);
CREATE INDEX events_item_ts ON events (item_id, ts) WHERE item_id IS NOT NULL;
CREATE TABLE batches (
  user_id     TEXT    NOT NULL CHECK (length(user_id) > 0),
  batch_id    TEXT    NOT NULL CHECK (length(batch_id) > 0),
  device_id   TEXT    NOT NULL,
  sent_at     INTEGER NOT NULL,
  received_at INTEGER NOT NULL,
  event_count INTEGER NOT NULL,
  accepted    INTEGER NOT NULL,
  duplicates  INTEGER NOT NULL,
  PRIMARY KEY (user_id, batch_id)
);
CREATE INDEX batches_received ON batches (received_at);
CREATE TABLE consent (
  seq            INTEGER PRIMARY KEY,
  user_id        TEXT    NOT NULL CHECK (length(user_id) > 0),
  purpose        TEXT    NOT NULL CHECK (purpose IN ('essential', 'analytics', 'personalization',
                                      'marketing', 'social_integration', 'external_enrichment')),
  granted        INTEGER NOT NULL CHECK (granted IN (0, 1)),
  at             INTEGER NOT NULL,
  source         TEXT    NOT NULL,
  policy_version TEXT    NOT NULL,
  received_at    INTEGER NOT NULL
);
CREATE INDEX consent_user ON consent (user_id, seq);
CREATE TABLE aggregates (
  id          INTEGER PRIMARY KEY,
  user_id     TEXT    NOT NULL CHECK (length(user_id) > 0),
  device_id   TEXT    NOT NULL,
  received_at INTEGER NOT NULL,
  body        TEXT    NOT NULL
);
CREATE INDEX aggregates_user ON aggregates (user_id, received_at);
CREATE TABLE embeddings (
  id         INTEGER PRIMARY KEY CHECK (id = 1),
  updated_at INTEGER NOT NULL,
  body       TEXT    NOT NULL
);
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
)sql",
      // Version 2: cheaper ingestion. An event's dedupe key becomes (user_id,
      // ts, event_id): a learner's new events land next to each other at the
      // end of their range (device clocks move forward) instead of at random
      // places of an index on random UUIDs, which dirtied one page per event.
      // The same key serves the learner+time lookups, so events_user_ts goes;
      // interactions get a time-ordered covering index (appended to, not
      // scattered over one insertion point per item) for popularity and
      // embeddings. Columns that only repeated the body and no query reads
      // (type, session_id, batch_id, received_at) go: every byte of a row is
      // written twice (WAL, then database). item_id/action are set only on
      // course_interaction events, which is what marks them as interactions.
      // SQLite cannot drop a table constraint: the table is rebuilt.
      R"sql(
CREATE TABLE events_v2 (
  id       INTEGER PRIMARY KEY,
  user_id  TEXT    NOT NULL CHECK (length(user_id) > 0),
  event_id TEXT    NOT NULL CHECK (length(event_id) > 0),
  ts       INTEGER NOT NULL,
  seq      INTEGER NOT NULL,
  purpose  TEXT    NOT NULL CHECK (purpose IN ('essential', 'analytics', 'personalization',
                                'marketing', 'social_integration', 'external_enrichment')),
  item_id  TEXT,
  action   TEXT,
  body     TEXT    NOT NULL,
  UNIQUE (user_id, ts, event_id)
);
INSERT INTO events_v2 (id, user_id, event_id, ts, seq, purpose, item_id, action, body)
  SELECT id, user_id, event_id, ts, seq, purpose,
         CASE WHEN type = 'course_interaction' THEN item_id END,
         CASE WHEN type = 'course_interaction' AND item_id IS NOT NULL THEN action END, body
  FROM events ORDER BY id;
DROP TABLE events;
ALTER TABLE events_v2 RENAME TO events;
CREATE INDEX events_ts ON events (ts);
CREATE INDEX events_interactions ON events (ts, id, item_id, user_id, action) WHERE item_id IS NOT NULL;
)sql",
      // Version 3: no index on ts alone. Only retention read it, and it can
      // walk the learners along UNIQUE (user_id, ts, event_id) instead; the
      // index cost one more B-tree insert (and its WAL pages) per stored event.
      R"sql(
DROP INDEX events_ts;
)sql",
      // Version 4: event blocks (event_blocks.hpp). A stored batch's new
      // events are one row, packed, instead of one row each: ~4x less CPU and
      // fewer bytes per event. Dedupe reads only the learner's blocks whose
      // time range overlaps a new batch (event_blocks_user) and whose key
      // filter may hold one of its events (key_filter comes before events, so
      // reading it leaves the events' overflow pages alone); retention finds
      // old blocks by their earliest event (event_blocks_ts). Existing events
      // become blocks of one, keeping their ids (the order of arrival), and
      // course interactions get their interaction block under the same id.
      R"sql(
CREATE TABLE event_blocks (
  id          INTEGER PRIMARY KEY,
  user_id     TEXT    NOT NULL CHECK (length(user_id) > 0),
  ts_min      INTEGER NOT NULL,
  ts_max      INTEGER NOT NULL CHECK (ts_max >= ts_min),
  event_count INTEGER NOT NULL CHECK (event_count > 0),
  key_filter  TEXT    NOT NULL DEFAULT '',
  events      TEXT    NOT NULL
);
CREATE INDEX event_blocks_user ON event_blocks (user_id, ts_max, ts_min);
CREATE INDEX event_blocks_ts ON event_blocks (ts_min);
CREATE TABLE interaction_blocks (
  id           INTEGER PRIMARY KEY,
  user_id      TEXT    NOT NULL CHECK (length(user_id) > 0),
  ts_max       INTEGER NOT NULL,
  interactions TEXT    NOT NULL
);
INSERT INTO event_blocks (id, user_id, ts_min, ts_max, event_count, events)
  SELECT id, user_id, ts, ts, 1,
         ts || ' ' || seq || ' ' || length(CAST(event_id AS BLOB)) || ':' || event_id || ' ' ||
         length(CAST(body AS BLOB)) || ':' || body || char(10)
  FROM events ORDER BY id;
INSERT INTO interaction_blocks (id, user_id, ts_max, interactions)
  SELECT id, user_id, ts,
         ts || ' ' || length(CAST(item_id AS BLOB)) || ':' || item_id || ' ' ||
         length(CAST(coalesce(action, '') AS BLOB)) || ':' || coalesce(action, '') || char(10)
  FROM events WHERE item_id IS NOT NULL ORDER BY id;
DROP TABLE events;
)sql",
  };
  return steps;
}

namespace {

// A prepared statement borrowed from a connection's cache; reset when done.
class Statement {
 public:
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  ~Statement() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind(int index, std::int64_t value) {
    check(sqlite3_bind_int64(stmt_, index, value));
    return *this;
  }
  Statement& bind(int index, const std::string& value) {
    check(sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_STATIC));
    return *this;
  }
  Statement& bind_blob(int index, const std::string& value) {
    check(sqlite3_bind_blob(stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_STATIC));
    return *this;
  }
  Statement& bind_text_or_null(int index, const std::string& value) {
    if (value.empty()) {
      check(sqlite3_bind_null(stmt_, index));
      return *this;
    }
    return bind(index, value);
  }
  // True when a row is available; false when done. Throws on error.
  bool step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    throw StorageError(std::string("sqlite: ") + sqlite3_errmsg(db_) + " (in: " + sqlite3_sql(stmt_) + ")");
  }
  void run() { step(); }
  std::int64_t changes() const { return sqlite3_changes(db_); }

  std::int64_t int64(int col) const { return sqlite3_column_int64(stmt_, col); }
  bool is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  std::string text(int col) const {
    const auto* data = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
    return data ? std::string(data, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col))) : std::string();
  }

 private:
  void check(int rc) {
    if (rc != SQLITE_OK) throw StorageError(std::string("sqlite: bind failed: ") + sqlite3_errmsg(db_));
  }
  sqlite3* db_;
  sqlite3_stmt* stmt_;
};

// One connection and its prepared-statement cache. Used by one thread at a time.
class Connection {
 public:
  Connection(const std::string& path, bool read_only) {
    const int flags = (read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
                      SQLITE_OPEN_NOMUTEX;
    const int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
    if (rc != SQLITE_OK) {
      const std::string why = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
      sqlite3_close(db_);
      db_ = nullptr;
      throw StorageError("sqlite: cannot open '" + path + "': " + why);
    }
    sqlite3_extended_result_codes(db_, 1);
    sqlite3_busy_timeout(db_, 10000);  // another process (e.g. a second server) holding the write lock
  }
  ~Connection() {
    for (auto& entry : cache_) sqlite3_finalize(entry.second);
    sqlite3_close_v2(db_);
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void exec(const std::string& sql) {
    char* error = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
      std::string message = error ? error : sqlite3_errmsg(db_);
      sqlite3_free(error);
      throw StorageError("sqlite: " + message);
    }
  }

  Statement prepare(const char* sql) {
    auto found = cache_.find(sql);
    if (found == cache_.end()) {
      sqlite3_stmt* stmt = nullptr;
      if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr) != SQLITE_OK) {
        throw StorageError(std::string("sqlite: cannot prepare: ") + sqlite3_errmsg(db_));
      }
      found = cache_.emplace(sql, stmt).first;
    }
    return Statement(db_, found->second);
  }

  sqlite3* handle() const { return db_; }

  std::int64_t query_int(const char* sql) {
    auto stmt = prepare(sql);
    return stmt.step() ? stmt.int64(0) : 0;
  }

 private:
  sqlite3* db_ = nullptr;
  std::unordered_map<const char*, sqlite3_stmt*> cache_;  // keyed by the literal's address
};

// BEGIN ... COMMIT on a reader so multi-table reads see one snapshot.
class ReadTransaction {
 public:
  explicit ReadTransaction(Connection& conn) : conn_(conn) { conn_.exec("BEGIN"); }
  ~ReadTransaction() {
    try {
      conn_.exec("COMMIT");
    } catch (...) {  // read-only: nothing to lose
    }
  }

 private:
  Connection& conn_;
};

// events: the packed text as a zstd frame, bound as a BLOB (event_blocks.hpp);
// rows migrated from version 3 keep text, and both read back.
const char* kInsertBlock =
    "INSERT INTO event_blocks (user_id, ts_min, ts_max, event_count, key_filter, events)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
const char* kInsertInteractions =
    "INSERT INTO interaction_blocks (id, user_id, ts_max, interactions) VALUES (?1, ?2, ?3, ?4)";
const char* kInsertBatch =
    "INSERT INTO batches (user_id, batch_id, device_id, sent_at, received_at, event_count, accepted,"
    " duplicates) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (user_id, batch_id) DO NOTHING";

ConsentRow read_consent_row(const Statement& stmt) {
  ConsentRow row;
  row.seq = stmt.int64(0);
  row.purpose = stmt.text(1);
  row.granted = stmt.int64(2) != 0;
  row.at = stmt.int64(3);
  row.source = stmt.text(4);
  row.policy_version = stmt.text(5);
  row.received_at = stmt.int64(6);
  return row;
}

// Per-process SQLite settings, before the first connection: no global
// memory statistics (they take a global mutex on every allocation).
void configure_sqlite_once() {
  static std::once_flag once;
  std::call_once(once, [] { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); });
}

// WAL size (pages) at which the background checkpointer copies the WAL into
// the database; past kPauseWriterPages it pauses the writer for one short final
// pass, because under steady load a pass never ends before the next commit and
// SQLite restarts the WAL only when every frame has been copied.
constexpr int kCheckpointPages = 8000;    // ~32 MB
constexpr int kPauseWriterPages = 16000;  // ~64 MB
// Last resort only (background thread stuck, e.g. a disk that stopped): the
// writer checkpoints itself so the WAL stays bounded.
constexpr int kWriterCheckpointPages = 262144;  // ~1 GB
// How often the checkpointer flushes new WAL frames to disk: SQLite syncs the
// WAL on the commit path when it restarts it, and that sync then finds almost
// nothing to write.
constexpr auto kWalSyncInterval = std::chrono::milliseconds(50);

class SqliteStorage final : public Storage {
 public:
  SqliteStorage(const SqliteTarget& target, const StorageOptions& options)
      : path_(target.path), memory_(target.path == ":memory:") {
    configure_sqlite_once();
    writer_ = std::make_unique<Connection>(path_, false);
    if (!memory_) {
      switch_to_wal();
      writer_->exec(target.synchronous_full ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
      writer_->exec("PRAGMA journal_size_limit=67108864");  // shrink the WAL back to 64 MB after a reset
    }
    // 4 MiB: SQLite 3.40 walks its whole page-cache hash table at every
    // commit (perf: 12 % of the writer's CPU with 32 MiB), and the pages it
    // would keep beyond that are re-read from the OS page cache more cheaply.
    writer_->exec("PRAGMA cache_size=-4096");
    writer_->exec("PRAGMA temp_store=MEMORY");
    migrate();
    if (!memory_) {
      // An in-memory database is private to its connection: reads then go
      // through the writer connection instead.
      for (int i = 0; i < options.pool_size; ++i) {
        readers_.push_back(std::make_unique<Connection>(path_, true));
        idle_readers_.push_back(readers_.back().get());
      }
      checkpointer_conn_ = std::make_unique<Connection>(path_, false);
      // A connection opens the WAL at its first read; until then a checkpoint
      // on it is a silent no-op (SQLite 3.40 does not open it by itself).
      checkpointer_conn_->query_int("SELECT count(*) FROM sqlite_master");
      // Own descriptors only to fdatasync(); closed after every connection
      // (closing a descriptor drops the process's POSIX locks on the file).
      wal_fd_ = ::open((path_ + "-wal").c_str(), O_RDONLY | O_CLOEXEC);
      db_fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
      writer_->exec("PRAGMA wal_autocheckpoint=0");
      sqlite3_wal_hook(writer_->handle(), &SqliteStorage::on_wal_commit, this);
      checkpointer_ = std::thread([this] { checkpoint_loop(); });
    }
  }

  ~SqliteStorage() override {
    if (checkpointer_.joinable()) {
      {
        std::lock_guard<std::mutex> lock(checkpoint_mu_);
        stopping_ = true;
      }
      checkpoint_cv_.notify_one();
      checkpointer_.join();
    }
    // Closing the last connection checkpoints and removes the WAL.
    idle_readers_.clear();
    readers_.clear();
    checkpointer_conn_.reset();
    writer_.reset();
    if (wal_fd_ >= 0) ::close(wal_fd_);
    if (db_fd_ >= 0) ::close(db_fd_);
  }

  std::string backend() const override { return "sqlite"; }
  int schema_version() const override { return schema_version_; }

  bool ping() override {
    try {
      return read([](Connection& conn) { return conn.query_int("SELECT 1") == 1; });
    } catch (...) {
      return false;
    }
  }

  StoreBatchResult store_batch(const BatchInfo& batch, const std::vector<StoredEvent>& events) override {
    std::vector<StoredEvent> filled;  // parse course ids and pack outside the writer lock
    const std::vector<StoredEvent>* rows = &events;
    for (const auto& event : events) {
      if (event.type == "course_interaction" && (event.item_id.empty() || event.action.empty())) {
        filled = events;
        for (auto& copy : filled) fill_interaction_columns(copy);
        rows = &filled;
        break;
      }
    }
    const EventBlock fresh = pack_new_events(*rows);
    const auto hashes = event_key_hashes(*rows);
    const std::string fresh_compressed = fresh.event_count > 0 ? compress_events(fresh.events) : std::string();
    StoreBatchResult result;
    write([&](Connection& conn) {
      const EventBlock* block = &fresh;
      const std::string* compressed = &fresh_compressed;
      EventBlock unseen;
      std::string unseen_compressed;
      if (fresh.event_count > 0) {
        // Blocks of this learner whose time range overlaps the batch's can
        // hold its events already (none, when the device's clock moved on
        // since its previous batch); only those whose filter says they may
        // are unpacked.
        std::vector<std::int64_t> candidates;
        {
          auto overlapping = conn.prepare(
              "SELECT id, key_filter FROM event_blocks WHERE user_id = ?1 AND ts_max >= ?2 AND ts_min <= ?3");
          overlapping.bind(1, batch.user_id).bind(2, fresh.ts_min).bind(3, fresh.ts_max);
          while (overlapping.step()) {
            if (key_filter_may_hold_any(overlapping.text(1), hashes)) candidates.push_back(overlapping.int64(0));
          }
        }
        std::deque<std::string> stored_blocks;
        StoredEventKeys stored;
        for (const auto id : candidates) {
          auto read = conn.prepare("SELECT events FROM event_blocks WHERE id = ?1");
          read.bind(1, id);
          if (!read.step()) continue;
          stored_blocks.push_back(decompress_events(read.text(0)));
          add_event_keys(stored_blocks.back(), stored);
        }
        if (!stored.empty()) {
          unseen = pack_new_events(*rows, &stored);
          block = &unseen;
          if (unseen.event_count > 0) unseen_compressed = compress_events(unseen.events);
          compressed = &unseen_compressed;
        }
      }
      if (block->event_count > 0) {
        auto insert = conn.prepare(kInsertBlock);
        insert.bind(1, batch.user_id).bind(2, block->ts_min).bind(3, block->ts_max).bind(4, block->event_count);
        insert.bind(5, block->key_filter).bind_blob(6, *compressed);
        insert.run();
        if (!block->interactions.empty()) {
          auto interactions = conn.prepare(kInsertInteractions);
          interactions.bind(1, std::int64_t{sqlite3_last_insert_rowid(conn.handle())})
              .bind(2, batch.user_id)
              .bind(3, block->ts_max)
              .bind(4, block->interactions);
          interactions.run();
        }
      }
      const auto total = static_cast<std::int64_t>(rows->size());
      const std::int64_t accepted = block->event_count;
      auto stmt = conn.prepare(kInsertBatch);
      stmt.bind(1, batch.user_id)
          .bind(2, batch.batch_id)
          .bind(3, batch.device_id)
          .bind(4, batch.sent_at)
          .bind(5, batch.received_at)
          .bind(6, total)
          .bind(7, accepted)
          .bind(8, total - accepted);
      stmt.run();
      result.accepted = accepted;
      result.duplicates = total - accepted;
      result.batch_seen_before = stmt.changes() == 0;
    });
    return result;
  }

  std::int64_t count_events(const std::string& user_id) override {
    return read([&](Connection& conn) {
      if (user_id.empty()) return conn.query_int("SELECT coalesce(sum(event_count), 0) FROM event_blocks");
      return events_of(conn, user_id);
    });
  }

  std::vector<nlohmann::json> list_events(const std::string& user_id, std::int64_t since_ms,
                                          std::size_t limit) override {
    return read([&](Connection& conn) { return event_list(conn, user_id, since_ms, limit); });
  }

  // Whole blocks below the cutoff go; a block that straddles it is rewritten
  // with the events it keeps. kPurgeBlocks blocks per transaction, so
  // ingestion keeps flowing between them.
  std::int64_t purge_events_before(std::int64_t ts_ms) override {
    constexpr std::int64_t kPurgeBlocks = 200;
    std::int64_t total = 0;
    for (bool more = true; more;) {
      std::int64_t removed = 0;
      write([&](Connection& conn) {
        removed = 0;  // a retried job starts over
        std::vector<OldBlock> blocks;
        {
          auto old = conn.prepare(
              "SELECT id, ts_max, event_count, events FROM event_blocks WHERE ts_min < ?1 ORDER BY ts_min LIMIT ?2");
          old.bind(1, ts_ms).bind(2, kPurgeBlocks);
          while (old.step()) blocks.push_back({old.int64(0), old.int64(1), old.int64(2), old.text(3)});
        }
        for (const auto& block : blocks) {
          if (block.ts_max < ts_ms) {
            removed += block.event_count;
            for (const char* sql : {"DELETE FROM event_blocks WHERE id = ?1", "DELETE FROM interaction_blocks WHERE id = ?1"}) {
              auto drop = conn.prepare(sql);
              drop.bind(1, block.id);
              drop.run();
            }
            continue;
          }
          std::string interactions;
          {
            auto read_interactions = conn.prepare("SELECT interactions FROM interaction_blocks WHERE id = ?1");
            read_interactions.bind(1, block.id);
            if (read_interactions.step()) interactions = read_interactions.text(0);
          }
          EventBlock kept;
          removed += keep_events_since(decompress_events(block.events), interactions, ts_ms, kept);
          const std::string kept_compressed = compress_events(kept.events);  // bound without a copy: outlives run()
          auto update = conn.prepare(
              "UPDATE event_blocks SET ts_min = ?2, event_count = ?3, key_filter = ?4, events = ?5 WHERE id = ?1");
          update.bind(1, block.id).bind(2, kept.ts_min).bind(3, kept.event_count).bind(4, kept.key_filter);
          update.bind_blob(5, kept_compressed);
          update.run();
          if (kept.interactions.empty()) {
            auto drop = conn.prepare("DELETE FROM interaction_blocks WHERE id = ?1");
            drop.bind(1, block.id);
            drop.run();
          } else {
            auto rewrite = conn.prepare("UPDATE interaction_blocks SET interactions = ?2 WHERE id = ?1");
            rewrite.bind(1, block.id).bind(2, kept.interactions);
            rewrite.run();
          }
        }
        more = static_cast<std::int64_t>(blocks.size()) == kPurgeBlocks;
      });
      total += removed;
    }
    write([&](Connection& conn) {
      auto stmt = conn.prepare("DELETE FROM batches WHERE received_at < ?1");
      stmt.bind(1, ts_ms);
      stmt.run();
    });
    return total;
  }

  void append_consent(const std::string& user_id, const ConsentRow& record, std::int64_t received_at) override {
    append_consent_many(user_id, {record}, received_at);
  }

  void append_consent_many(const std::string& user_id, const std::vector<ConsentRow>& records,
                           std::int64_t received_at) override {
    write([&](Connection& conn) {
      for (const auto& record : records) {
        auto stmt = conn.prepare(
            "INSERT INTO consent (user_id, purpose, granted, at, source, policy_version, received_at)"
            " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
        stmt.bind(1, user_id)
            .bind(2, record.purpose)
            .bind(3, std::int64_t{record.granted ? 1 : 0})
            .bind(4, record.at)
            .bind(5, record.source)
            .bind(6, record.policy_version)
            .bind(7, received_at);
        stmt.run();
      }
    });
  }

  std::vector<ConsentRow> list_consent(const std::string& user_id) override {
    return read([&](Connection& conn) { return consent_of(conn, user_id); });
  }

  std::map<std::string, ConsentRow> latest_consent(const std::string& user_id) override {
    return latest_per_purpose(list_consent(user_id));
  }

  void store_aggregate(const std::string& user_id, const std::string& device_id,
                       const nlohmann::json& aggregate, std::int64_t received_at) override {
    const std::string body = aggregate.dump();
    write([&](Connection& conn) {
      auto stmt = conn.prepare(
          "INSERT INTO aggregates (user_id, device_id, received_at, body) VALUES (?1, ?2, ?3, ?4)");
      stmt.bind(1, user_id).bind(2, device_id).bind(3, received_at).bind(4, body);
      stmt.run();
    });
  }

  nlohmann::json export_user(const std::string& user_id, std::int64_t now_ms) override {
    return read([&](Connection& conn) {
      ReadTransaction snapshot(conn);
      nlohmann::json doc = {{"user_id", user_id}, {"exported_at", now_ms}};
      doc["events"] = event_list(conn, user_id, INT64_MIN, SIZE_MAX);
      auto& batches = doc["batches"] = nlohmann::json::array();
      {
        auto stmt = conn.prepare(
            "SELECT batch_id, device_id, sent_at, received_at, event_count, accepted, duplicates"
            " FROM batches WHERE user_id = ?1 ORDER BY received_at, batch_id");
        stmt.bind(1, user_id);
        while (stmt.step()) {
          batches.push_back({{"batch_id", stmt.text(0)},
                             {"device_id", stmt.text(1)},
                             {"sent_at", stmt.int64(2)},
                             {"received_at", stmt.int64(3)},
                             {"event_count", stmt.int64(4)},
                             {"accepted", stmt.int64(5)},
                             {"duplicates", stmt.int64(6)}});
        }
      }
      auto& consent = doc["consent"] = nlohmann::json::array();
      for (const auto& row : consent_of(conn, user_id)) consent.push_back(consent_json(row));
      auto& aggregates = doc["aggregates"] = nlohmann::json::array();
      {
        auto stmt = conn.prepare(
            "SELECT device_id, received_at, body FROM aggregates WHERE user_id = ?1 ORDER BY id");
        stmt.bind(1, user_id);
        while (stmt.step()) {
          aggregates.push_back(
              {{"device_id", stmt.text(0)}, {"received_at", stmt.int64(1)}, {"aggregate", parse_stored_json(stmt.text(2))}});
        }
      }
      return doc;
    });
  }

  DeletionReceipt delete_user(const std::string& user_id, std::int64_t now_ms) override {
    DeletionReceipt receipt;
    receipt.user_id = user_id;
    receipt.deleted_at = now_ms;
    write([&](Connection& conn) {
      receipt.rows_by_table.clear();  // a retried job starts over
      receipt.rows_by_table["events"] = events_of(conn, user_id);
      static const char* const kDeletes[][2] = {
          {"", "DELETE FROM interaction_blocks WHERE user_id = ?1"},
          {"", "DELETE FROM event_blocks WHERE user_id = ?1"},
          {"batches", "DELETE FROM batches WHERE user_id = ?1"},
          {"consent", "DELETE FROM consent WHERE user_id = ?1"},
          {"aggregates", "DELETE FROM aggregates WHERE user_id = ?1"},
      };
      for (const auto& entry : kDeletes) {
        auto stmt = conn.prepare(entry[1]);
        stmt.bind(1, user_id);
        stmt.run();
        if (*entry[0]) receipt.rows_by_table[entry[0]] = stmt.changes();
      }
    });
    return receipt;
  }

  std::map<std::string, std::int64_t> count_user_rows(const std::string& user_id) override {
    return read([&](Connection& conn) {
      ReadTransaction snapshot(conn);
      static const char* const kCounts[][2] = {
          {"events", "SELECT coalesce(sum(event_count), 0) FROM event_blocks WHERE user_id = ?1"},
          {"batches", "SELECT count(*) FROM batches WHERE user_id = ?1"},
          {"consent", "SELECT count(*) FROM consent WHERE user_id = ?1"},
          {"aggregates", "SELECT count(*) FROM aggregates WHERE user_id = ?1"},
      };
      std::map<std::string, std::int64_t> counts;
      for (const auto& entry : kCounts) {
        auto stmt = conn.prepare(entry[1]);
        stmt.bind(1, user_id);
        counts[entry[0]] = stmt.step() ? stmt.int64(0) : 0;
      }
      return counts;
    });
  }

  void for_each_interaction(std::int64_t since_ms, const std::function<void(const StoredInteraction&)>& fn) override {
    auto collected = collect_interactions(since_ms);
    collected.for_each(since_ms, fn);
  }

  std::vector<ItemPopularity> item_popularity(std::int64_t recent_since_ms) override {
    return collect_interactions(INT64_MIN).popularity(recent_since_ms);
  }

  void save_embeddings(const nlohmann::json& doc, std::int64_t now_ms) override {
    const std::string body = doc.dump();
    write([&](Connection& conn) {
      auto stmt = conn.prepare(
          "INSERT INTO embeddings (id, updated_at, body) VALUES (1, ?1, ?2)"
          " ON CONFLICT (id) DO UPDATE SET updated_at = excluded.updated_at, body = excluded.body");
      stmt.bind(1, now_ms).bind(2, body);
      stmt.run();
    });
  }

  std::optional<nlohmann::json> load_embeddings() override {
    return read([&](Connection& conn) -> std::optional<nlohmann::json> {
      auto stmt = conn.prepare("SELECT body FROM embeddings WHERE id = 1");
      if (!stmt.step()) return std::nullopt;
      return parse_stored_json(stmt.text(0));
    });
  }

  void put_meta(const std::string& key, const std::string& value) override {
    write([&](Connection& conn) {
      auto stmt = conn.prepare(
          "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value");
      stmt.bind(1, key).bind(2, value);
      stmt.run();
    });
  }

  std::optional<std::string> get_meta(const std::string& key) override {
    return read([&](Connection& conn) -> std::optional<std::string> {
      auto stmt = conn.prepare("SELECT value FROM meta WHERE key = ?1");
      stmt.bind(1, key);
      if (!stmt.step()) return std::nullopt;
      return stmt.text(0);
    });
  }

 private:
  struct OldBlock {  // a block retention has to look at
    std::int64_t id;
    std::int64_t ts_max;
    std::int64_t event_count;
    std::string events;
  };

  struct WriteJob {
    std::function<void(Connection&)> body;
    std::exception_ptr error;
    bool done = false;
  };

  static nlohmann::json consent_json(const ConsentRow& row) {
    return {{"purpose", row.purpose}, {"granted", row.granted},       {"at", row.at},
            {"source", row.source},   {"policy_version", row.policy_version},
            {"received_at", row.received_at}, {"seq", row.seq}};
  }

  static std::int64_t events_of(Connection& conn, const std::string& user_id) {
    auto stmt = conn.prepare("SELECT coalesce(sum(event_count), 0) FROM event_blocks WHERE user_id = ?1");
    stmt.bind(1, user_id);
    return stmt.step() ? stmt.int64(0) : 0;
  }

  static std::vector<nlohmann::json> event_list(Connection& conn, const std::string& user_id, std::int64_t since_ms,
                                                std::size_t limit) {
    auto stmt = conn.prepare("SELECT events FROM event_blocks WHERE user_id = ?1 AND ts_max >= ?2 ORDER BY id");
    stmt.bind(1, user_id).bind(2, since_ms);
    EventCollector events;
    while (stmt.step()) events.add_block(decompress_events(stmt.text(0)));
    return events.take_json(since_ms, limit);
  }

  InteractionCollector collect_interactions(std::int64_t since_ms) {
    return read([&](Connection& conn) {
      auto stmt = conn.prepare("SELECT user_id, interactions FROM interaction_blocks WHERE ts_max >= ?1 ORDER BY id");
      stmt.bind(1, since_ms);
      InteractionCollector collected;
      while (stmt.step()) collected.add_block(stmt.text(0), stmt.text(1));
      return collected;
    });
  }

  static std::vector<ConsentRow> consent_of(Connection& conn, const std::string& user_id) {
    std::vector<ConsentRow> rows;
    auto stmt = conn.prepare(
        "SELECT seq, purpose, granted, at, source, policy_version, received_at FROM consent"
        " WHERE user_id = ?1 ORDER BY seq");
    stmt.bind(1, user_id);
    while (stmt.step()) rows.push_back(read_consent_row(stmt));
    return rows;
  }

  // Switching a fresh file to WAL needs an exclusive lock, and SQLite returns
  // SQLITE_BUSY for it without calling the busy handler when another server
  // is opening the same file at that moment; wait for it like the handler would.
  void switch_to_wal() {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    for (auto pause = std::chrono::milliseconds(1);; pause = std::min(pause * 2, std::chrono::milliseconds(50))) {
      try {
        writer_->exec("PRAGMA journal_mode=WAL");
        return;
      } catch (const StorageError&) {
        if ((sqlite3_errcode(writer_->handle()) & 0xff) != SQLITE_BUSY ||
            std::chrono::steady_clock::now() >= deadline) {
          throw;
        }
      }
      std::this_thread::sleep_for(pause);
    }
  }

  void migrate() {
    // BEGIN IMMEDIATE takes the write lock, so two processes opening the same
    // file at once migrate one after the other; the loser finds nothing to do.
    writer_->exec("BEGIN IMMEDIATE");
    try {
      writer_->exec(
          "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)");
      int current = static_cast<int>(writer_->query_int("SELECT coalesce(max(version), 0) FROM schema_version"));
      const auto& steps = sqlite_migrations();
      if (current > static_cast<int>(steps.size())) {
        throw StorageError("sqlite: database schema version " + std::to_string(current) +
                           " is newer than this gradvy-sync understands (" + std::to_string(steps.size()) + ")");
      }
      for (int version = current + 1; version <= static_cast<int>(steps.size()); ++version) {
        writer_->exec(steps[static_cast<std::size_t>(version - 1)]);
        writer_->exec("INSERT INTO schema_version (version, applied_at) VALUES (" + std::to_string(version) +
                      ", CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER))");
      }
      writer_->exec("COMMIT");
      schema_version_ = static_cast<int>(steps.size());
    } catch (const StorageError& error) {
      rollback_quietly();
      throw StorageError("cannot migrate '" + path_ + "': " + error.what());
    }
  }

  // Group commit: the caller that finds no commit in progress becomes the
  // leader, takes every queued job, runs them in one transaction (a SAVEPOINT
  // each) and commits once; callers that arrive meanwhile queue up for the
  // next round. A job's call returns only after the COMMIT that holds it.
  void write(std::function<void(Connection&)> body) {
    WriteJob job{std::move(body), nullptr, false};
    std::unique_lock<std::mutex> lock(queue_mu_);
    queue_.push_back(&job);
    while (!job.done) {
      if (leader_active_) {
        queue_cv_.wait(lock);
        continue;
      }
      leader_active_ = true;
      std::vector<WriteJob*> group;
      group.swap(queue_);
      lock.unlock();
      commit_group(group);
      lock.lock();
      for (auto* member : group) member->done = true;
      leader_active_ = false;
      queue_cv_.notify_all();
    }
    if (job.error) std::rethrow_exception(job.error);
  }

  // Never throws: every failure is recorded on the jobs it affects.
  void commit_group(std::vector<WriteJob*>& group) {
    std::lock_guard<std::mutex> conn_lock(conn_mu_);
    // An I/O error, a full disk or a busy lock can make SQLite roll back the
    // whole transaction, not just the failing statement; the neighbours that
    // had succeeded are then run again in a fresh transaction.
    for (;;) {
      bool transaction_lost = false;
      try {
        writer_->exec("BEGIN IMMEDIATE");
      } catch (...) {
        for (auto* member : group) {
          if (!member->error) member->error = std::current_exception();
        }
        return;
      }
      // A job alone in its group needs no SAVEPOINT: its failure rolls back
      // the whole transaction, which holds nothing else.
      const bool alone = group.size() == 1;
      for (auto* member : group) {
        if (member->error) continue;
        try {
          if (!alone) writer_->exec("SAVEPOINT job");
          member->body(*writer_);
          if (!alone) writer_->exec("RELEASE job");
        } catch (...) {
          member->error = std::current_exception();
          if (alone) {
            rollback_quietly();
            return;
          }
          if (sqlite3_get_autocommit(writer_->handle())) {
            transaction_lost = true;
            break;
          }
          try {
            writer_->exec("ROLLBACK TO job");
            writer_->exec("RELEASE job");
          } catch (...) {
            transaction_lost = true;
            break;
          }
        }
      }
      if (transaction_lost) {
        rollback_quietly();
        continue;
      }
      try {
        writer_->exec("COMMIT");
        return;
      } catch (const std::exception& error) {
        rollback_quietly();
        const auto failure = std::make_exception_ptr(StorageError(std::string("commit failed: ") + error.what()));
        for (auto* member : group) {
          if (!member->error) member->error = failure;
        }
        return;
      }
    }
  }

  void rollback_quietly() {
    if (sqlite3_get_autocommit(writer_->handle())) return;
    try {
      writer_->exec("ROLLBACK");
    } catch (...) {
    }
  }

  template <typename Fn>
  auto read(Fn&& fn) -> decltype(fn(std::declval<Connection&>())) {
    if (memory_) {
      std::lock_guard<std::mutex> conn_lock(conn_mu_);
      return fn(*writer_);
    }
    Connection* conn = nullptr;
    {
      std::unique_lock<std::mutex> lock(readers_mu_);
      readers_cv_.wait(lock, [this] { return !idle_readers_.empty(); });
      conn = idle_readers_.back();
      idle_readers_.pop_back();
    }
    struct Return {
      SqliteStorage* self;
      Connection* conn;
      ~Return() {
        std::lock_guard<std::mutex> lock(self->readers_mu_);
        self->idle_readers_.push_back(conn);
        self->readers_cv_.notify_one();
      }
    } give_back{this, conn};
    return fn(*conn);
  }

  // Called by SQLite after each commit on the writer, with the WAL size.
  static int on_wal_commit(void* self_ptr, sqlite3* db, const char* schema, int wal_pages) {
    auto* self = static_cast<SqliteStorage*>(self_ptr);
    self->wal_pages_.store(wal_pages, std::memory_order_relaxed);
    self->commits_.fetch_add(1, std::memory_order_relaxed);
    if (wal_pages >= kWriterCheckpointPages) {
      sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    }
    return SQLITE_OK;
  }

  // Keeps every fsync off the commit path: every kWalSyncInterval, flushes
  // the new WAL frames and, once the WAL holds kCheckpointPages, copies it
  // into the database (PASSIVE: never blocks the writer or readers). A timer,
  // not a wake-up per commit: back-to-back passes would keep the disk busy.
  void checkpoint_loop() {
    std::uint64_t synced_commits = 0;
    std::unique_lock<std::mutex> lock(checkpoint_mu_);
    for (;;) {
      checkpoint_cv_.wait_for(lock, kWalSyncInterval, [this] { return stopping_; });
      if (stopping_) return;
      lock.unlock();
      const auto commits = commits_.load(std::memory_order_relaxed);
      if (commits != synced_commits && wal_fd_ >= 0) {
        ::fdatasync(wal_fd_);
        synced_commits = commits;
      }
      if (wal_pages_.load(std::memory_order_relaxed) >= kCheckpointPages) checkpoint_wal();
      lock.lock();
    }
  }

  // SQLite restarts the WAL (and so bounds it) only after a pass that copied
  // every frame, i.e. that ran between two commits. Flushing the WAL and the
  // database first leaves that pass only a few frames and pages to sync, so it
  // is short enough to fit between commits most of the time.
  void checkpoint_wal() {
    sqlite3* db = checkpointer_conn_->handle();
    for (int pass = 0; pass < 5; ++pass) {
      if (pass > 0) {
        if (db_fd_ >= 0) ::fdatasync(db_fd_);
        if (wal_fd_ >= 0) ::fdatasync(wal_fd_);
      }
      int wal_frames = 0;
      int copied = 0;
      if (sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_PASSIVE, &wal_frames, &copied) != SQLITE_OK) return;
      if (copied >= wal_frames && wal_pages_.load(std::memory_order_relaxed) <= wal_frames) return;
    }
    if (wal_pages_.load(std::memory_order_relaxed) < kPauseWriterPages) return;
    // Commits never left a gap and the WAL keeps growing: copy the few frames
    // left with the writer paused (usually a few ms: WAL and database are
    // flushed; more when the disk is busy). At most once per ~64 MB of WAL.
    std::lock_guard<std::mutex> pause(conn_mu_);
    sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
  }

  std::string path_;
  bool memory_;
  int schema_version_ = 0;

  std::unique_ptr<Connection> writer_;
  std::mutex conn_mu_;  // held while the writer connection is in use

  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::vector<WriteJob*> queue_;
  bool leader_active_ = false;

  std::vector<std::unique_ptr<Connection>> readers_;
  std::mutex readers_mu_;
  std::condition_variable readers_cv_;
  std::vector<Connection*> idle_readers_;

  std::unique_ptr<Connection> checkpointer_conn_;
  int wal_fd_ = -1;
  int db_fd_ = -1;
  std::atomic<int> wal_pages_{0};          // WAL size after the latest commit
  std::atomic<std::uint64_t> commits_{0};  // commits on the writer so far
  std::thread checkpointer_;
  std::mutex checkpoint_mu_;
  std::condition_variable checkpoint_cv_;
  bool stopping_ = false;
};

}  // namespace

std::unique_ptr<Storage> open_sqlite_storage(const SqliteTarget& target, const StorageOptions& options) {
  return std::make_unique<SqliteStorage>(target, options);
}

}  // namespace gradvy_sync
