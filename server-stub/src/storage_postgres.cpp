// PostgreSQL backend: same schema and behaviour as SQLite, for several server
// instances sharing one database. A small pool of connections; each call
// borrows one and runs one transaction. A batch is one event block
// (event_blocks.hpp), stored under a per-learner advisory lock so that
// overlapping batches arriving at several instances at once dedupe exactly.
#include <pqxx/pqxx>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "gradvy_sync/event_blocks.hpp"
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
      // Version 4 (as in the SQLite backend): event blocks, one row per
      // stored batch (event_blocks.hpp). Existing events become blocks of
      // one under their old ids; the id sequence continues after them.
      R"sql(
CREATE TABLE event_blocks (
  id          BIGSERIAL PRIMARY KEY,
  user_id     TEXT   NOT NULL CHECK (length(user_id) > 0),
  ts_min      BIGINT NOT NULL,
  ts_max      BIGINT NOT NULL CHECK (ts_max >= ts_min),
  event_count BIGINT NOT NULL CHECK (event_count > 0),
  key_filter  TEXT   NOT NULL DEFAULT '',
  events      TEXT   NOT NULL
);
CREATE INDEX event_blocks_user ON event_blocks (user_id, ts_max, ts_min);
CREATE INDEX event_blocks_ts ON event_blocks (ts_min);
CREATE TABLE interaction_blocks (
  id           BIGINT PRIMARY KEY,
  user_id      TEXT   NOT NULL CHECK (length(user_id) > 0),
  ts_max       BIGINT NOT NULL,
  interactions TEXT   NOT NULL
);
INSERT INTO event_blocks (id, user_id, ts_min, ts_max, event_count, events)
  SELECT id, user_id, ts, ts, 1,
         ts || ' ' || seq || ' ' || octet_length(event_id) || ':' || event_id || ' ' ||
         octet_length(body) || ':' || body || E'\n'
  FROM events ORDER BY id;
INSERT INTO interaction_blocks (id, user_id, ts_max, interactions)
  SELECT id, user_id, ts,
         ts || ' ' || octet_length(item_id) || ':' || item_id || ' ' ||
         octet_length(coalesce(action, '')) || ':' || coalesce(action, '') || E'\n'
  FROM events WHERE item_id IS NOT NULL ORDER BY id;
SELECT setval(pg_get_serial_sequence('event_blocks', 'id'), coalesce(max(id), 0) + 1, false) FROM event_blocks;
DROP TABLE events;
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
      // Batches of one learner are stored one at a time, across every server
      // instance: a batch checks the learner's stored blocks for its events
      // and must see the block a concurrent overlapping batch just stored.
      {"lock_learner", "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))"},
      {"overlapping_blocks",
       "SELECT id, key_filter FROM event_blocks WHERE user_id = $1 AND ts_max >= $2 AND ts_min <= $3"},
      {"block_events", "SELECT events FROM event_blocks WHERE id = $1"},
      // The block (when there is one), its interactions (when any) and the
      // batch record in one round trip; returns whether the batch was new.
      {"store_block",
       "WITH block AS ("
       "  INSERT INTO event_blocks (user_id, ts_min, ts_max, event_count, key_filter, events)"
       "  SELECT $1::text, $2::bigint, $3::bigint, $4::bigint, $12::text, $5::text WHERE $4::bigint > 0 RETURNING id),"
       " interactions AS ("
       "  INSERT INTO interaction_blocks (id, user_id, ts_max, interactions)"
       "  SELECT id, $1::text, $3::bigint, $6::text FROM block WHERE $6::text <> ''),"
       " batch AS ("
       "  INSERT INTO batches (user_id, batch_id, device_id, sent_at, received_at, event_count, accepted, duplicates)"
       "  VALUES ($1::text, $7::text, $8::text, $9::bigint, $10::bigint, $11::bigint, $4::bigint,"
       "          $11::bigint - $4::bigint) ON CONFLICT (user_id, batch_id) DO NOTHING RETURNING 1)"
       " SELECT count(*) FROM batch"},
      {"insert_consent",
       "INSERT INTO consent (user_id, purpose, granted, at, source, policy_version, received_at)"
       " VALUES ($1, $2, $3, $4, $5, $6, $7)"},
      {"list_consent",
       "SELECT seq, purpose, granted, at, source, policy_version, received_at FROM consent"
       " WHERE user_id = $1 ORDER BY seq"},
      {"list_events", "SELECT events FROM event_blocks WHERE user_id = $1 AND ts_max >= $2 ORDER BY id"},
      {"count_events_user", "SELECT coalesce(sum(event_count), 0) FROM event_blocks WHERE user_id = $1"},
  };
  return statements;
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
    std::vector<StoredEvent> filled;
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
    const auto total = static_cast<std::int64_t>(rows->size());
    return with_retried_transaction("store_batch", Replay::safe, [&](pqxx::connection& conn) {
      pqxx::work tx(conn);
      const EventBlock* block = &fresh;
      EventBlock unseen;
      if (fresh.event_count > 0) {
        tx.exec_prepared("lock_learner", batch.user_id);
        std::deque<std::string> stored_blocks;
        StoredEventKeys stored;
        for (const auto& row : tx.exec_prepared("overlapping_blocks", batch.user_id, fresh.ts_min, fresh.ts_max)) {
          if (!key_filter_may_hold_any(std::string_view(row[1].c_str(), row[1].size()), hashes)) continue;
          for (const auto& block_row : tx.exec_prepared("block_events", row[0].as<std::int64_t>())) {
            stored_blocks.push_back(block_row[0].as<std::string>());
            add_event_keys(stored_blocks.back(), stored);
          }
        }
        if (!stored.empty()) {
          unseen = pack_new_events(*rows, &stored);
          block = &unseen;
        }
      }
      const auto stored = tx.exec_prepared("store_block", batch.user_id, block->ts_min, block->ts_max,
                                           block->event_count, block->events, block->interactions, batch.batch_id,
                                           batch.device_id, batch.sent_at, batch.received_at, total,
                                           block->key_filter);
      StoreBatchResult result;
      result.accepted = block->event_count;
      result.duplicates = total - result.accepted;
      result.batch_seen_before = stored[0][0].as<std::int64_t>() == 0;
      tx.commit();
      return result;
    });
  }

  std::int64_t count_events(const std::string& user_id) override {
    return with_retried_transaction("count_events", Replay::safe, [&](pqxx::connection& conn) {
      pqxx::read_transaction tx(conn);
      const auto r = user_id.empty() ? tx.exec("SELECT coalesce(sum(event_count), 0) FROM event_blocks")
                                     : tx.exec_prepared("count_events_user", user_id);
      return r[0][0].as<std::int64_t>();
    });
  }

  std::vector<nlohmann::json> list_events(const std::string& user_id, std::int64_t since_ms,
                                          std::size_t limit) override {
    return with_retried_transaction("list_events", Replay::safe, [&](pqxx::connection& conn) {
      pqxx::read_transaction tx(conn);
      return event_list(tx, user_id, since_ms, limit);
    });
  }

  // As in the SQLite backend: whole blocks below the cutoff go, a block that
  // straddles it is rewritten; kPurgeBlocks per transaction.
  std::int64_t purge_events_before(std::int64_t ts_ms) override {
    constexpr std::int64_t kPurgeBlocks = 200;
    std::int64_t total = 0;
    for (bool more = true; more;) {
      total += with_retried_transaction("purge_events_before", Replay::safe, [&](pqxx::connection& conn) {
        pqxx::work tx(conn);
        std::int64_t removed = 0;
        // FOR UPDATE: a batch storing into the same learner meanwhile waits.
        const auto blocks = tx.exec_params(
            "SELECT id, ts_max, event_count, events FROM event_blocks WHERE ts_min < $1"
            " ORDER BY ts_min LIMIT $2 FOR UPDATE",
            ts_ms, kPurgeBlocks);
        for (const auto& row : blocks) {
          const auto id = row[0].as<std::int64_t>();
          if (row[1].as<std::int64_t>() < ts_ms) {
            removed += row[2].as<std::int64_t>();
            tx.exec_params("DELETE FROM event_blocks WHERE id = $1", id);
            tx.exec_params("DELETE FROM interaction_blocks WHERE id = $1", id);
            continue;
          }
          const auto interactions = tx.exec_params("SELECT interactions FROM interaction_blocks WHERE id = $1", id);
          EventBlock kept;
          removed += keep_events_since(row[3].as<std::string>(),
                                       interactions.empty() ? std::string() : interactions[0][0].as<std::string>(),
                                       ts_ms, kept);
          tx.exec_params(
              "UPDATE event_blocks SET ts_min = $2, event_count = $3, key_filter = $4, events = $5 WHERE id = $1", id,
              kept.ts_min, kept.event_count, kept.key_filter, kept.events);
          if (kept.interactions.empty()) {
            tx.exec_params("DELETE FROM interaction_blocks WHERE id = $1", id);
          } else {
            tx.exec_params("UPDATE interaction_blocks SET interactions = $2 WHERE id = $1", id, kept.interactions);
          }
        }
        more = static_cast<std::int64_t>(blocks.size()) == kPurgeBlocks;
        tx.commit();
        return removed;
      });
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
      doc["events"] = event_list(tx, user_id, INT64_MIN, SIZE_MAX);
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
                              {"aggregate", parse_stored_json(row[2].as<std::string>())}});
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
      tx.exec_prepared("lock_learner", user_id);  // no batch of the learner lands halfway through
      receipt.rows_by_table["events"] = tx.exec_prepared("count_events_user", user_id)[0][0].as<std::int64_t>();
      tx.exec_params("DELETE FROM interaction_blocks WHERE user_id = $1", user_id);
      tx.exec_params("DELETE FROM event_blocks WHERE user_id = $1", user_id);
      for (const char* table : {"batches", "consent", "aggregates"}) {
        const auto r = tx.exec_params(std::string("DELETE FROM ") + table + " WHERE user_id = $1", user_id);
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
      counts["events"] = tx.exec_prepared("count_events_user", user_id)[0][0].as<std::int64_t>();
      for (const char* table : {"batches", "consent", "aggregates"}) {
        counts[table] = tx.exec_params(std::string("SELECT count(*) FROM ") + table + " WHERE user_id = $1", user_id)[0][0]
                            .as<std::int64_t>();
      }
      tx.commit();
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
      return parse_stored_json(r[0][0].as<std::string>());
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
  static std::vector<nlohmann::json> event_list(pqxx::transaction_base& tx, const std::string& user_id,
                                                std::int64_t since_ms, std::size_t limit) {
    EventCollector events;
    for (const auto& row : tx.exec_prepared("list_events", user_id, since_ms)) events.add_block(row[0].as<std::string>());
    return events.take_json(since_ms, limit);
  }

  InteractionCollector collect_interactions(std::int64_t since_ms) {
    return with_retried_transaction("interactions", Replay::safe, [&](pqxx::connection& conn) {
      pqxx::read_transaction tx(conn);
      InteractionCollector collected;
      for (const auto& row : tx.exec_params(
               "SELECT user_id, interactions FROM interaction_blocks WHERE ts_max >= $1 ORDER BY id", since_ms)) {
        collected.add_block(row[0].as<std::string>(), row[1].as<std::string>());
      }
      return collected;
    });
  }

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
