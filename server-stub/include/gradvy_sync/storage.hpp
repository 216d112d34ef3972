// Storage: where gradvy-sync keeps events, batches, consent, aggregates and
// embeddings. One interface, two backends with the same schema and behaviour:
//   sqlite:PATH | sqlite::memory:     embedded default (WAL)
//   postgresql://user@host:port/db    the path past one machine
// open_storage() creates/migrates the schema before it returns.
//
// Errors: every method throws StorageError (a std::runtime_error) with a
// message that names the operation and the cause. Nothing is half-written:
// each write method is one transaction.
//
// Thread-safety: every method may be called from any number of threads at once.
//   SQLite: one writer connection; concurrent writers are merged into one
//     transaction (group commit: the first caller commits for everybody queued
//     behind it, each call isolated in its own SAVEPOINT so one failing batch
//     never takes another down). Readers use a small pool of their own
//     connections (WAL lets them read while the writer writes).
//     Durability: journal_mode=WAL + synchronous=NORMAL: once a write method
//     returns, the data survives kill -9 of the process (not a power cut;
//     `sqlite:PATH?synchronous=full` buys that at a throughput cost).
//     Checkpoints and WAL flushes run on a background thread, off the commit
//     path (SQLite's own sync when it restarts the WAL finds it flushed).
//   PostgreSQL: a pool of connections (StorageOptions::pool_size); each call
//     borrows one. Data is committed when a write method returns. Several
//     server instances may share one database; migrations are serialized by an
//     advisory lock. Deadlocks/serialization failures are retried; a lost
//     connection is retried once on a fresh one for idempotent calls (all but
//     append_consent*, store_aggregate and for_each_interaction).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace gradvy_sync {

class StorageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// One event as the device sent it, plus the fields storage keys and indexes
// on (type and session_id are read from here but only kept inside json).
// The HTTP layer has already validated the event with the core's validator.
struct StoredEvent {
  // With ts, the event's identity within its learner: (user_id, ts, id) is
  // stored once. A retried event (sent again as it was) is a duplicate; ids
  // of different learners never collide. Events are kept in blocks, one per
  // stored batch (event_blocks.hpp).
  std::string id;
  std::string type;        // e.g. "course_interaction"
  std::int64_t ts = 0;     // event time, ms since epoch (device clock)
  std::string purpose;     // one of the six purpose names
  std::string session_id;
  std::int64_t seq = 0;
  std::string json;        // the whole event exactly as sent (stored verbatim)
  // For course_interaction: props.course_id and props.action. Optional: when
  // left empty for a course_interaction event, storage parses them out of json.
  std::string item_id;
  std::string action;
};

struct BatchInfo {
  std::string user_id;
  std::string batch_id;
  std::string device_id;
  std::int64_t sent_at = 0;      // device clock, ms
  std::int64_t received_at = 0;  // server clock, ms
};

struct StoreBatchResult {
  std::int64_t accepted = 0;    // events newly stored by this call
  std::int64_t duplicates = 0;  // events already stored (by event id) or repeated within the batch
  bool batch_seen_before = false;  // this (user_id, batch_id) had been stored already
};

// One consent change, as kept in the append-only history.
struct ConsentRow {
  std::string purpose;         // purpose name, e.g. "analytics"
  bool granted = false;
  std::int64_t at = 0;         // when the learner decided (device clock, ms)
  std::string source;          // e.g. "app", "tcf", "gcm", "gpc"
  std::string policy_version;
  std::int64_t received_at = 0;  // server clock, ms; filled by storage on read
  std::int64_t seq = 0;          // storage-assigned order of arrival; 0 on write
};

// What delete_user removed. rows_by_table has an entry (possibly 0) for
// every kind of learner data (learner_tables()): events counts events (the
// tables that hold them, event and interaction blocks, are emptied too),
// the others count rows.
struct DeletionReceipt {
  std::string user_id;
  std::int64_t deleted_at = 0;  // server clock, ms (the value passed in)
  std::map<std::string, std::int64_t> rows_by_table;
  std::int64_t total_rows() const;
  nlohmann::json to_json() const;  // {user_id, deleted_at, rows_by_table, total_rows}
};

// One stored course_interaction event reduced to what embeddings need.
struct StoredInteraction {
  std::string user_id;
  std::string item_id;     // props.course_id
  std::string action;      // props.action
  std::int64_t ts = 0;
  double weight = 0.0;     // interaction_weight(action)
};


// view 1, progress 2, enroll 3, complete 5, drop -1, anything else 1.
double interaction_weight(const std::string& action);

struct ItemPopularity {
  std::string item_id;
  std::int64_t all_time = 0;  // course_interaction events ever stored for the item
  std::int64_t recent = 0;    // ... with ts >= since_ms (trending window)
  std::int64_t learners = 0;  // distinct learners, all time
};

struct StorageOptions {
  int pool_size = 4;  // PostgreSQL connections / SQLite reader connections
};

class Storage {
 public:
  virtual ~Storage() = default;
  Storage() = default;
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  virtual std::string backend() const = 0;  // "sqlite" or "postgresql"
  virtual int schema_version() const = 0;

  // Liveness for /healthz: a trivial query; false (never throws) on failure.
  virtual bool ping() = 0;

  // --- events -----------------------------------------------------------------
  // Atomic (all events or none) and idempotent on batch id and on events
  // (an event sent again with its id and ts is stored once).
  virtual StoreBatchResult store_batch(const BatchInfo& batch,
                                       const std::vector<StoredEvent>& events) = 0;
  // Count of stored events for the learner (all when user_id is empty).
  virtual std::int64_t count_events(const std::string& user_id) = 0;
  // The learner's events (verbatim json, parsed) in (ts, seq) order.
  virtual std::vector<nlohmann::json> list_events(const std::string& user_id,
                                                   std::int64_t since_ms = INT64_MIN,
                                                   std::size_t limit = SIZE_MAX) = 0;
  // Retention: deletes events with ts < ts_ms for every learner (a few
  // hundred blocks per transaction, so ingestion keeps flowing) and batch
  // records received before ts_ms.
  // Returns the number of events deleted.
  virtual std::int64_t purge_events_before(std::int64_t ts_ms) = 0;

  // --- consent (append-only history) ------------------------------------------
  virtual void append_consent(const std::string& user_id, const ConsentRow& record,
                              std::int64_t received_at) = 0;
  virtual void append_consent_many(const std::string& user_id,
                                   const std::vector<ConsentRow>& records,
                                   std::int64_t received_at) = 0;  // one transaction
  // Oldest first (order of arrival).
  virtual std::vector<ConsentRow> list_consent(const std::string& user_id) = 0;
  // The latest record per purpose (by `at`, ties broken by arrival), keyed by
  // purpose name. A purpose with no record is absent.
  virtual std::map<std::string, ConsentRow> latest_consent(const std::string& user_id) = 0;

  // --- aggregates from local-only devices (kept apart from raw events) --------
  virtual void store_aggregate(const std::string& user_id, const std::string& device_id,
                               const nlohmann::json& aggregate, std::int64_t received_at) = 0;

  // --- data rights --------------------------------------------------------------
  // Everything stored about the learner:
  // {user_id, exported_at, events:[...verbatim, (ts, seq) order], batches:[...],
  //  consent:[...], aggregates:[...]}
  virtual nlohmann::json export_user(const std::string& user_id, std::int64_t now_ms) = 0;
  // Removes every row about the learner in every table, in one transaction.
  virtual DeletionReceipt delete_user(const std::string& user_id, std::int64_t now_ms) = 0;
  // Events, and rows of the other kinds, stored for the learner.
  virtual std::map<std::string, std::int64_t> count_user_rows(const std::string& user_id) = 0;

  // --- candidates / embeddings --------------------------------------------------
  // course_interaction events with ts >= since_ms, in ts order, streamed.
  virtual void for_each_interaction(std::int64_t since_ms,
                                    const std::function<void(const StoredInteraction&)>& fn) = 0;
  std::vector<StoredInteraction> load_interactions(std::int64_t since_ms = INT64_MIN);
  // Popularity per item (every item with at least one interaction), all-time
  // and since recent_since_ms, sorted by all_time desc then item_id.
  virtual std::vector<ItemPopularity> item_popularity(std::int64_t recent_since_ms) = 0;
  // Item embeddings are one JSON document (whatever `embed` produces),
  // replaced as a whole; load returns nullopt when none was saved.
  virtual void save_embeddings(const nlohmann::json& doc, std::int64_t now_ms) = 0;
  virtual std::optional<nlohmann::json> load_embeddings() = 0;

  // --- small key-value table for server state (not learner data) --------------
  virtual void put_meta(const std::string& key, const std::string& value) = 0;
  virtual std::optional<std::string> get_meta(const std::string& key) = 0;
};

// Opens (and creates/migrates) the database named by url. Throws
// StorageError on a bad URL or an unreachable/unusable database.
std::unique_ptr<Storage> open_storage(const std::string& url, const StorageOptions& options = {});

// The kinds of learner data (the keys of DeletionReceipt::rows_by_table and
// of count_user_rows).
const std::vector<std::string>& learner_tables();

// The latest schema version the code knows about.
int latest_schema_version();

}  // namespace gradvy_sync
