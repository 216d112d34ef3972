// PostgreSQL backend: same schema and behaviour as SQLite, for several server
// instances sharing one database. A small pool of connections; each call
// borrows one and runs one transaction. A batch is one multi-row INSERT over
// unnest() of arrays, ON CONFLICT DO NOTHING, in event-id order so concurrent
// overlapping batches lock rows in the same order (no deadlocks between them).
#include <pqxx/pqxx>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "gradvy_sync/storage.hpp"
#include "gradvy_sync/storage_backends.hpp"

namespace gradvy_sync {

// Schema migrations, in order; migration i brings the schema to version i + 1.
const std::vector<std::string>& postgres_migrations() {
  static const std::vector<std::string> steps = {
      R"sql(
CREATE TABLE events (
  id          BIGSERIAL PRIMARY KEY,
  user_id     TEXT   NOT NULL CHECK (length(user_id) > 0),
  event_id    TEXT   NOT NULL CHECK (length(event_id) > 0),
  type        TEXT   NOT NULL,
  ts          BIGINT NOT NULL,
  purpose     TEXT   NOT NULL CHECK (purpose IN ('essential', 'analytics', 'personalization',
                                  'marketing', 'social_integration', 'external_enrichment')),
  session_id  TEXT   NOT NULL,
  seq         BIGINT NOT NULL,
  item_id     TEXT,
  action      TEXT,
  batch_id    TEXT   NOT NULL,
  received_at BIGINT NOT NULL,
  body        TEXT   NOT NULL,
  UNIQUE (user_id, event_id)
);
CREATE INDEX events_user_ts ON events (user_id, ts);
CREATE INDEX events_ts ON events (ts);
CREATE INDEX events_item_ts ON events (item_id, ts) WHERE item_id IS NOT NULL;
CREATE TABLE batches (
  user_id     TEXT   NOT NULL CHECK (length(user_id) > 0),
  batch_id    TEXT   NOT NULL CHECK (length(batch_id) > 0),
  device_id   TEXT   NOT NULL,
  sent_at     BIGINT NOT NULL,
  received_at BIGINT NOT NULL,
  event_count BIGINT NOT NULL,
  accepted    BIGINT NOT NULL,
  duplicates  BIGINT NOT NULL,
  PRIMARY KEY (user_id, batch_id)
);
CREATE INDEX batches_received ON batches (received_at);
CREATE TABLE consent (
  seq            BIGSERIAL PRIMARY KEY,
  user_id        TEXT    NOT NULL CHECK (length(user_id) > 0),
  purpose        TEXT    NOT NULL CHECK (purpose IN ('essential', 'analytics', 'personalization',
                                      'marketing', 'social_integration', 'external_enrichment')),
  granted        BOOLEAN NOT NULL,
  at             BIGINT  NOT NULL,
  source         TEXT    NOT NULL,
  policy_version TEXT    NOT NULL,
  received_at    BIGINT  NOT NULL
);
CREATE INDEX consent_user ON consent (user_id, seq);
CREATE TABLE aggregates (
  id          BIGSERIAL PRIMARY KEY,
  user_id     TEXT   NOT NULL CHECK (length(user_id) > 0),
  device_id   TEXT   NOT NULL,
  received_at BIGINT NOT NULL,
  body        TEXT   NOT NULL
);
CREATE INDEX aggregates_user ON aggregates (user_id, received_at);
CREATE TABLE embeddings (
  id         INTEGER PRIMARY KEY CHECK (id = 1),
  updated_at BIGINT NOT NULL,
  body       TEXT   NOT NULL
);
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
)sql",
      // Version 2 (as in the SQLite backend): an event's dedupe key is
      // (user_id, ts, event_id), so a learner's new events land together at
      // the end of their range instead of at random places of an index on
      // random UUIDs; that key also serves learner+time lookups. Interactions
      // get a time-ordered covering index instead of one per item. Columns
      // that only repeated the body and no query reads go; item_id/action are
      // kept on course_interaction events only, which marks them.
      R"sql(
ALTER TABLE events DROP CONSTRAINT events_user_id_event_id_key;
ALTER TABLE events ADD CONSTRAINT events_user_id_ts_event_id_key UNIQUE (user_id, ts, event_id);
DROP INDEX events_user_ts;
DROP INDEX events_item_ts;
UPDATE events SET item_id = NULL, action = NULL
  WHERE type <> 'course_interaction' AND (item_id IS NOT NULL OR action IS NOT NULL);
UPDATE events SET action = NULL WHERE item_id IS NULL AND action IS NOT NULL;
ALTER TABLE events DROP COLUMN type, DROP COLUMN session_id, DROP COLUMN batch_id, DROP COLUMN received_at;
CREATE INDEX events_interactions ON events (ts, id, item_id, user_id, action) WHERE item_id IS NOT NULL;
)sql",
      // Version 3 (as in the SQLite backend): no index on ts alone; retention
      // walks the learners along UNIQUE (user_id, ts, event_id) instead, which
      // saves one index insert per stored event.
      R"sql(
DROP INDEX events_ts;
)sql",
  };
  return steps;
}

namespace {

// Serializes migrations of every gradvy-sync instance on one database
// (transaction-scoped, released at COMMIT). Arbitrary constant: "gradvy" + 1.
constexpr std::int64_t kMigrationLockKey = 0x67726164767901;

// Prepared statements, created on every pooled connection.
const std::vector<std::pair<const char*, const char*>>& prepared_statements() {
  static const std::vector<std::pair<const char*, const char*>> statements = {
      {"insert_events",
       "INSERT INTO events (user_id, event_id, ts, seq, purpose, item_id, action, body)"
       " SELECT $1, e.event_id, e.ts, e.seq, e.purpose, e.item_id, e.action, e.body"
       " FROM unnest($2::text[], $3::bigint[], $4::bigint[], $5::text[], $6::text[], $7::text[], $8::text[])"
       " AS e(event_id, ts, seq, purpose, item_id, action, body)"
       " ORDER BY e.event_id"
       " ON CONFLICT (user_id, ts, event_id) DO NOTHING"},
      {"insert_batch",
       "INSERT INTO batches (user_id, batch_id, device_id, sent_at, received_at, event_count, accepted, duplicates)"
       " VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (user_id, batch_id) DO NOTHING"},
      {"insert_consent",
       "INSERT INTO consent (user_id, purpose, granted, at, source, policy_version, received_at)"
       " VALUES ($1, $2, $3, $4, $5, $6, $7)"},
      {"list_consent",
       "SELECT seq, purpose, granted, at, source, policy_version, received_at FROM consent"
       " WHERE user_id = $1 ORDER BY seq"},
      {"list_events",
       "SELECT body FROM events WHERE user_id = $1 AND ts >= $2 ORDER BY ts, seq, id LIMIT $3"},
      {"count_events_user", "SELECT count(*) FROM events WHERE user_id = $1"},
  };
  return statements;
}

// Builds a PostgreSQL array literal ({"a","b",NULL}) from strings.
class ArrayLiteral {
 public:
  void add(const std::string& value) {
    separator();
    text_ += '"';
    for (char c : value) {
      if (c == '"' || c == '\\') text_ += '\\';
      text_ += c;
    }
    text_ += '"';
  }
  void add_or_null(const std::string& value) {
    if (value.empty()) {
      separator();
      text_ += "NULL";
    } else {
      add(value);
    }
  }
  void add(std::int64_t value) {
    separator();
    text_ += std::to_string(value);
  }
  std::string finish() {
    text_ += '}';
    return std::move(text_);
  }

 private:
  void separator() {
    if (text_.size() > 1) text_ += ',';
  }
  std::string text_ = "{";
};

nlohmann::json parse_stored(const std::string& text) {
  auto doc = nlohmann::json::parse(text, nullptr, false);
  if (doc.is_discarded()) return text;
  return doc;
}

ConsentRow read_consent_row(const pqxx::row& row) {
  ConsentRow out;
  out.seq = row[0].as<std::int64_t>();
  out.purpose = row[1].as<std::string>();
  out.granted = row[2].as<bool>();
  out.at = row[3].as<std::int64_t>();
  out.source = row[4].as<std::string>();
  out.policy_version = row[5].as<std::string>();
  out.received_at = row[6].as<std::int64_t>();
  return out;
}

using SnapshotTransaction = pqxx::transaction<pqxx::repeatable_read, pqxx::read_only>;

class PostgresStorage final : public Storage {
 public:
  PostgresStorage(std::string url, const StorageOptions& options) : url_(std::move(url)) {
    auto first = connect();
    migrate(*first);
    prepare(*first);
    idle_.push_back(std::move(first));
    for (int i = 1; i < options.pool_size; ++i) {
      auto conn = connect();
      prepare(*conn);
      idle_.push_back(std::move(conn));
    }
    pool_size_ = options.pool_size;
  }

  std::string backend() const override { return "postgresql"; }
  int schema_version() const override { return schema_version_; }

  bool ping() override {
    try {
      return with_connection("ping", [](pqxx::connection& conn) {
        pqxx::nontransaction tx(conn);
        return tx.exec("SELECT 1")[0][0].as<int>() == 1;
      });
    } catch (...) {
      return false;
    }
  }

  StoreBatchResult store_batch(const BatchInfo& batch, const std::vector<StoredEvent>& events) override {
    ArrayLiteral ids, ts, seqs, purposes, items, actions, bodies;
    for (const auto& original : events) {
      const StoredEvent* event = &original;
      StoredEvent filled;
      if (original.type == "course_interaction" && (original.item_id.empty() || original.action.empty())) {
        filled = original;
        fill_interaction_columns(filled);
        event = &filled;
      }
      // A non-empty item_id is what marks a stored course interaction.
      const bool interaction = event->type == "course_interaction" && !event->item_id.empty();
      ids.add(event->id);
      ts.add(event->ts);
      seqs.add(event->seq);
      purposes.add(event->purpose);
      items.add_or_null(interaction ? event->item_id : std::string());
      actions.add_or_null(interaction ? event->action : std::string());
      bodies.add(event->json);
    }
    const std::string params[] = {ids.finish(),   ts.finish(),      seqs.finish(), purposes.finish(),
                                  items.finish(), actions.finish(), bodies.finish()};
    const auto total = static_cast<std::int64_t>(events.size());
    return with_retried_transaction("store_batch", Replay::safe, [&](pqxx::connection& conn) {
      pqxx::work tx(conn);
      const auto inserted = tx.exec_prepared("insert_events", batch.user_id, params[0], params[1], params[2],
                                             params[3], params[4], params[5], params[6]);
      StoreBatchResult result;
      result.accepted = static_cast<std::int64_t>(inserted.affected_rows());
      result.duplicates = total - result.accepted;
      const auto batch_row = tx.exec_prepared("insert_batch", batch.user_id, batch.batch_id, batch.device_id,
                                              batch.sent_at, batch.received_at, total, result.accepted,
                                              result.duplicates);
      result.batch_seen_before = batch_row.affected_rows() == 0;
      tx.commit();
      return result;
    });
  }

  std::int64_t count_events(const std::string& user_id) override {
    return with_retried_transaction("count_events", Replay::safe, [&](pqxx::connection& conn) {
      pqxx::read_transaction tx(conn);
      const auto r = user_id.empty() ? tx.exec("SELECT count(*) FROM events")
                                     : tx.exec_prepared("count_events_user", user_id);
      return r[0][0].as<std::int64_t>();
    });
  }

  std::vector<nlohmann::json> list_events(const std::string& user_id, std::int64_t since_ms,
                                          std::size_t limit) override {
    const auto clamped = limit > static_cast<std::size_t>(INT64_MAX) ? INT64_MAX : static_cast<std::int64_t>(limit);
    return with_retried_transaction("list_events", Replay::safe, [&](pqxx::connection& conn) {
      pqxx::read_transaction tx(conn);
      std::vector<nlohmann::json> out;
      for (const auto& row : tx.exec_prepared("list_events", user_id, since_ms, clamped)) {
        out.push_back(parse_stored(row[0].as<std::string>()));
      }
      return out;
    });
  }

  std::int64_t purge_events_before(std::int64_t ts_ms) override {
    std::int64_t total = 0;
    PurgeStep step;
    while (!step.at_end) {
      // One transaction per step, so none holds locks for long; a retry starts over from step.done_up_to.
      step = with_retried_transaction("purge_events_before", Replay::safe, [&](pqxx::connection& conn) {
        pqxx::work tx(conn);
        PurgeStep next = purge_step(
            step.done_up_to,
            [&](const std::string& after) -> std::optional<std::string> {
              const auto r = tx.exec_params("SELECT user_id FROM events WHERE user_id > $1 ORDER BY user_id LIMIT 1", after);
              if (r.empty()) return std::nullopt;
              return r[0][0].as<std::string>();
            },
            [&](const std::string& learner, std::int64_t limit) {
              return static_cast<std::int64_t>(
                  tx.exec_params("DELETE FROM events WHERE id IN"
                                 " (SELECT id FROM events WHERE user_id = $1 AND ts < $2 LIMIT $3)",
                                 learner, ts_ms, limit)
                      .affected_rows());
            });
        tx.commit();
        return next;
      });
      total += step.removed;
    }
    with_retried_transaction("purge_events_before", Replay::safe, [&](pqxx::connection& conn) {
      pqxx::work tx(conn);
      tx.exec_params("DELETE FROM batches WHERE received_at < $1", ts_ms);
      tx.commit();
      return 0;
    });
    return total;
  }

  void append_consent(const std::string& user_id, const ConsentRow& record, std::int64_t received_at) override {
    append_consent_many(user_id, {record}, received_at);
  }

  void append_consent_many(const std::string& user_id, const std::vector<ConsentRow>& records,
                           std::int64_t received_at) override {
    with_retried_transaction("append_consent", Replay::unsafe, [&](pqxx::connection& conn) {
      pqxx::work tx(conn);
      for (const auto& record : records) {
        tx.exec_prepared("insert_consent", user_id, record.purpose, record.granted, record.at, record.source,
                         record.policy_version, received_at);
      }
      tx.commit();
      return 0;
    });
  }

  std::vector<ConsentRow> list_consent(const std::string& user_id) override {
    return with_retried_transaction("list_consent", Replay::safe, [&](pqxx::connection& conn) {
      pqxx::read_transaction tx(conn);
      std::vector<ConsentRow> rows;
      for (const auto& row : tx.exec_prepared("list_consent", user_id)) rows.push_back(read_consent_row(row));
      return rows;
    });
  }

  std::map<std::string, ConsentRow> latest_consent(const std::string& user_id) override {
    return latest_per_purpose(list_consent(user_id));
  }

  void store_aggregate(const std::string& user_id, const std::string& device_id,
                       const nlohmann::json& aggregate, std::int64_t received_at) override {
    const std::string body = aggregate.dump();
    with_retried_transaction("store_aggregate", Replay::unsafe, [&](pqxx::connection& conn) {
      pqxx::work tx(conn);
      tx.exec_params("INSERT INTO aggregates (user_id, device_id, received_at, body) VALUES ($1, $2, $3, $4)",
                     user_id, device_id, received_at, body);
      tx.commit();
      return 0;
    });
  }

  nlohmann::json export_user(const std::string& user_id, std::int64_t now_ms) override {
    return with_retried_transaction("export_user", Replay::safe, [&](pqxx::connection& conn) {
      SnapshotTransaction tx(conn);
      nlohmann::json doc = {{"user_id", user_id}, {"exported_at", now_ms}};
      auto& events = doc["events"] = nlohmann::json::array();
      for (const auto& row : tx.exec_params("SELECT body FROM events WHERE user_id = $1 ORDER BY ts, seq, id",
                                            user_id)) {
        events.push_back(parse_stored(row[0].as<std::string>()));
      }
      auto& batches = doc["batches"] = nlohmann::json::array();
      for (const auto& row : tx.exec_params(
               "SELECT batch_id, device_id, sent_at, received_at, event_count, accepted, duplicates"
               " FROM batches WHERE user_id = $1 ORDER BY received_at, batch_id COLLATE \"C\"",
               user_id)) {
        batches.push_back({{"batch_id", row[0].as<std::string>()},
                           {"device_id", row[1].as<std::string>()},
                           {"sent_at", row[2].as<std::int64_t>()},
                           {"received_at", row[3].as<std::int64_t>()},
                           {"event_count", row[4].as<std::int64_t>()},
                           {"accepted", row[5].as<std::int64_t>()},
                           {"duplicates", row[6].as<std::int64_t>()}});
      }
      auto& consent = doc["consent"] = nlohmann::json::array();
      for (const auto& row : tx.exec_prepared("list_consent", user_id)) {
        const auto c = read_consent_row(row);
        consent.push_back({{"purpose", c.purpose}, {"granted", c.granted}, {"at", c.at},
                           {"source", c.source}, {"policy_version", c.policy_version},
                           {"received_at", c.received_at}, {"seq", c.seq}});
      }
      auto& aggregates = doc["aggregates"] = nlohmann::json::array();
      for (const auto& row : tx.exec_params(
               "SELECT device_id, received_at, body FROM aggregates WHERE user_id = $1 ORDER BY id", user_id)) {
        aggregates.push_back({{"device_id", row[0].as<std::string>()},
                              {"received_at", row[1].as<std::int64_t>()},
                              {"aggregate", parse_stored(row[2].as<std::string>())}});
      }
      tx.commit();
      return doc;
    });
  }

  DeletionReceipt delete_user(const std::string& user_id, std::int64_t now_ms) override {
    return with_retried_transaction("delete_user", Replay::safe, [&](pqxx::connection& conn) {
      DeletionReceipt receipt;
      receipt.user_id = user_id;
      receipt.deleted_at = now_ms;
      pqxx::work tx(conn);
      for (const auto& table : learner_tables()) {
        const auto r = tx.exec_params("DELETE FROM " + table + " WHERE user_id = $1", user_id);
        receipt.rows_by_table[table] = static_cast<std::int64_t>(r.affected_rows());
      }
      tx.commit();
      return receipt;
    });
  }

  std::map<std::string, std::int64_t> count_user_rows(const std::string& user_id) override {
    return with_retried_transaction("count_user_rows", Replay::safe, [&](pqxx::connection& conn) {
      SnapshotTransaction tx(conn);
      std::map<std::string, std::int64_t> counts;
      for (const auto& table : learner_tables()) {
        counts[table] =
            tx.exec_params("SELECT count(*) FROM " + table + " WHERE user_id = $1", user_id)[0][0].as<std::int64_t>();
      }
      tx.commit();
      return counts;
    });
  }

  void for_each_interaction(std::int64_t since_ms, const std::function<void(const StoredInteraction&)>& fn) override {
    with_connection("for_each_interaction", [&](pqxx::connection& conn) {
      SnapshotTransaction tx(conn);  // a cursor streams the rows in chunks
      tx.exec_params(
          "DECLARE interactions NO SCROLL CURSOR FOR SELECT user_id, item_id, action, ts FROM events"
          " WHERE item_id IS NOT NULL AND ts >= $1 ORDER BY ts, id",
          since_ms);
      StoredInteraction out;
      for (;;) {
        const auto chunk = tx.exec("FETCH 5000 FROM interactions");
        if (chunk.empty()) break;
        for (const auto& row : chunk) {
          out.user_id = row[0].as<std::string>();
          out.item_id = row[1].as<std::string>();
          out.action = row[2].is_null() ? std::string() : row[2].as<std::string>();
          out.ts = row[3].as<std::int64_t>();
          out.weight = interaction_weight(out.action);
          fn(out);
        }
      }
      tx.commit();
      return 0;
    });
  }

  std::vector<ItemPopularity> item_popularity(std::int64_t recent_since_ms) override {
    return with_retried_transaction("item_popularity", Replay::safe, [&](pqxx::connection& conn) {
      pqxx::read_transaction tx(conn);
      std::vector<ItemPopularity> out;
      for (const auto& row : tx.exec_params(
               "SELECT item_id, count(*), count(*) FILTER (WHERE ts >= $1), count(DISTINCT user_id)"
               " FROM events WHERE item_id IS NOT NULL"
               " GROUP BY item_id ORDER BY 2 DESC, item_id COLLATE \"C\"",
               recent_since_ms)) {
        out.push_back({row[0].as<std::string>(), row[1].as<std::int64_t>(), row[2].as<std::int64_t>(),
                       row[3].as<std::int64_t>()});
      }
      return out;
    });
  }

  void save_embeddings(const nlohmann::json& doc, std::int64_t now_ms) override {
    const std::string body = doc.dump();
    with_retried_transaction("save_embeddings", Replay::safe, [&](pqxx::connection& conn) {
      pqxx::work tx(conn);
      tx.exec_params(
          "INSERT INTO embeddings (id, updated_at, body) VALUES (1, $1, $2)"
          " ON CONFLICT (id) DO UPDATE SET updated_at = excluded.updated_at, body = excluded.body",
          now_ms, body);
      tx.commit();
      return 0;
    });
  }

  std::optional<nlohmann::json> load_embeddings() override {
    return with_retried_transaction("load_embeddings", Replay::safe, [&](pqxx::connection& conn) -> std::optional<nlohmann::json> {
      pqxx::read_transaction tx(conn);
      const auto r = tx.exec("SELECT body FROM embeddings WHERE id = 1");
      if (r.empty()) return std::nullopt;
      return parse_stored(r[0][0].as<std::string>());
    });
  }

  void put_meta(const std::string& key, const std::string& value) override {
    with_retried_transaction("put_meta", Replay::safe, [&](pqxx::connection& conn) {
      pqxx::work tx(conn);
      tx.exec_params(
          "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
          key, value);
      tx.commit();
      return 0;
    });
  }

  std::optional<std::string> get_meta(const std::string& key) override {
    return with_retried_transaction("get_meta", Replay::safe, [&](pqxx::connection& conn) -> std::optional<std::string> {
      pqxx::read_transaction tx(conn);
      const auto r = tx.exec_params("SELECT value FROM meta WHERE key = $1", key);
      if (r.empty()) return std::nullopt;
      return r[0][0].as<std::string>();
    });
  }

 private:
  std::unique_ptr<pqxx::connection> connect() {
    try {
      return std::make_unique<pqxx::connection>(url_);
    } catch (const std::exception& error) {
      throw StorageError("cannot connect to PostgreSQL at " + redact_url(url_) + ": " + trim(error.what()));
    }
  }

  static void prepare(pqxx::connection& conn) {
    for (const auto& statement : prepared_statements()) conn.prepare(statement.first, statement.second);
  }

  void migrate(pqxx::connection& conn) {
    try {
      pqxx::work tx(conn);
      tx.exec_params("SELECT pg_advisory_xact_lock($1)", kMigrationLockKey);
      tx.exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)");
      const int current = tx.exec("SELECT coalesce(max(version), 0) FROM schema_version")[0][0].as<int>();
      const auto& steps = postgres_migrations();
      if (current > static_cast<int>(steps.size())) {
        throw StorageError("database schema version " + std::to_string(current) +
                           " is newer than this gradvy-sync understands (" + std::to_string(steps.size()) + ")");
      }
      for (int version = current + 1; version <= static_cast<int>(steps.size()); ++version) {
        tx.exec(steps[static_cast<std::size_t>(version - 1)]);
        tx.exec_params(
            "INSERT INTO schema_version (version, applied_at)"
            " VALUES ($1, (extract(epoch from clock_timestamp()) * 1000)::bigint)",
            version);
      }
      tx.commit();
      schema_version_ = static_cast<int>(steps.size());
    } catch (const std::exception& error) {
      throw StorageError("cannot migrate PostgreSQL at " + redact_url(url_) + ": " + trim(error.what()));
    }
  }

  static std::string trim(std::string text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    return text;
  }

  std::unique_ptr<pqxx::connection> borrow() {
    std::unique_ptr<pqxx::connection> conn;
    {
      std::unique_lock<std::mutex> lock(pool_mu_);
      pool_cv_.wait(lock, [this] { return !idle_.empty() || lost_ > 0; });
      if (!idle_.empty()) {
        conn = std::move(idle_.back());
        idle_.pop_back();
      } else {
        --lost_;  // a connection died earlier: open its replacement
      }
    }
    if (conn && conn->is_open()) return conn;
    try {
      conn = connect();
      prepare(*conn);
      return conn;
    } catch (...) {
      give_back(nullptr);
      throw;
    }
  }

  void give_back(std::unique_ptr<pqxx::connection> conn) {
    std::lock_guard<std::mutex> lock(pool_mu_);
    if (conn && conn->is_open()) {
      idle_.push_back(std::move(conn));
    } else {
      ++lost_;
    }
    pool_cv_.notify_one();
  }

  void discard_idle_connections() {
    std::lock_guard<std::mutex> lock(pool_mu_);
    lost_ += static_cast<int>(idle_.size());
    idle_.clear();
    pool_cv_.notify_all();
  }

  template <typename Fn>
  auto with_connection(const char* operation, Fn&& fn) -> decltype(fn(std::declval<pqxx::connection&>())) {
    auto conn = borrow();
    struct Return {
      PostgresStorage* self;
      std::unique_ptr<pqxx::connection>& conn;
      ~Return() { self->give_back(std::move(conn)); }
    } give_back_on_exit{this, conn};
    try {
      return fn(*conn);
    } catch (const Retry& retry) {
      if (retry.connection_lost) {
        // Usually the server restarted or dropped us: the idle ones are dead too.
        conn.reset();
        discard_idle_connections();
      }
      throw;
    } catch (const StorageError&) {
      throw;
    } catch (const pqxx::broken_connection& error) {
      conn.reset();  // replaced on a later borrow
      throw StorageError(std::string("postgresql: ") + operation + ": connection lost: " + trim(error.what()));
    } catch (const pqxx::in_doubt_error& error) {
      conn.reset();
      throw StorageError(std::string("postgresql: ") + operation + ": commit outcome unknown: " + trim(error.what()));
    } catch (const std::exception& error) {
      throw StorageError(std::string("postgresql: ") + operation + ": " + trim(error.what()));
    }
  }

  // Whether running an operation twice is harmless (idempotent writes, reads
  // that have not handed rows to a caller yet).
  enum class Replay { safe, unsafe };
  struct Retry {
    bool connection_lost;
  };

  // Deadlocks and serialization failures roll the whole transaction back, so
  // running it again is always safe. A lost connection (e.g. PostgreSQL was
  // restarted) is retried once on a fresh connection when Replay::safe. The
  // body must start its own transaction.
  template <typename Fn>
  auto with_retried_transaction(const char* operation, Replay replay, Fn&& fn)
      -> decltype(fn(std::declval<pqxx::connection&>())) {
    for (int attempt = 1;; ++attempt) {
      try {
        return with_connection(operation, [&](pqxx::connection& conn) {
          try {
            return fn(conn);
          } catch (const pqxx::transaction_rollback&) {
            if (attempt >= 5) throw;
            throw Retry{false};
          } catch (const pqxx::broken_connection&) {
            if (replay == Replay::unsafe || attempt >= 2) throw;
            throw Retry{true};
          }
        });
      } catch (const Retry&) {
        std::this_thread::sleep_for(std::chrono::milliseconds(attempt * 5));
      }
    }
  }

  std::string url_;
  int schema_version_ = 0;
  int pool_size_ = 0;

  std::mutex pool_mu_;
  std::condition_variable pool_cv_;
  std::vector<std::unique_ptr<pqxx::connection>> idle_;
  int lost_ = 0;
};

}  // namespace

std::unique_ptr<Storage> open_postgres_storage(const std::string& url, const StorageOptions& options) {
  return std::make_unique<PostgresStorage>(url, options);
}

}  // namespace gradvy_sync
