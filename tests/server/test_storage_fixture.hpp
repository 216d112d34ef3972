// Shared by the storage tests: every test runs once per backend, each time on
// a database of its own (a temp file for SQLite, a fresh schema on PostgreSQL).
#pragma once

#include <gtest/gtest.h>
#include <pqxx/pqxx>
#include <sqlite3.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "gradvy_sync/storage.hpp"

namespace gradvy_sync::testing_support {

inline std::string random_hex(std::size_t length) {
  static thread_local std::mt19937_64 rng(std::random_device{}());
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < length; ++i) out += digits[rng() % 16];
  return out;
}

// One throwaway database; removed when this goes away.
class ScratchDatabase {
 public:
  // Returns false (and says why in *why) when the backend cannot be used here.
  bool create(const std::string& backend, std::string* why) {
    backend_ = backend;
    if (backend == "sqlite") {
      dir_ = std::filesystem::temp_directory_path() / ("gradvy-storage-test-" + random_hex(12));
      std::filesystem::create_directories(dir_);
      path_ = (dir_ / "test.db").string();
      url_ = "sqlite:" + path_;
      return true;
    }
    const char* base = std::getenv("GRADVY_TEST_PG");
    if (base == nullptr || *base == '\0') {
      *why = "GRADVY_TEST_PG is not set, so the PostgreSQL backend cannot be tested. Start one with "
             "`export GRADVY_TEST_PG=$(scripts/pg-test-cluster.sh start)`, or set GRADVY_ALLOW_NO_PG=1 to "
             "skip PostgreSQL on purpose.";
      return false;
    }
    pg_base_ = base;
    schema_ = "gradvy_test_" + random_hex(12);
    pqxx::connection conn(pg_base_);
    pqxx::work tx(conn);
    tx.exec("CREATE SCHEMA " + schema_);
    tx.commit();
    url_ = pg_base_ + (pg_base_.find('?') == std::string::npos ? "?" : "&") +
           "options=-csearch_path%3D" + schema_ + "&application_name=" + schema_;
    return true;
  }

  ~ScratchDatabase() {
    try {
      if (!schema_.empty()) {
        pqxx::connection conn(pg_base_);
        pqxx::work tx(conn);
        tx.exec("DROP SCHEMA IF EXISTS " + schema_ + " CASCADE");
        tx.commit();
      }
      if (!dir_.empty()) std::filesystem::remove_all(dir_);
    } catch (...) {
    }
  }

  const std::string& url() const { return url_; }
  const std::string& backend() const { return backend_; }

  // Rows about user_id in EVERY table of the database that has a user_id
  // column, found from the catalog (not from the storage's own list), so a
  // table added later without a matching delete shows up here.
  std::map<std::string, std::int64_t> rows_about(const std::string& user_id) const {
    std::map<std::string, std::int64_t> counts;
    if (backend_ == "sqlite") {
      sqlite3* db = nullptr;
      sqlite3_open_v2(path_.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
      std::vector<std::string> tables;
      sqlite3_stmt* stmt = nullptr;
      sqlite3_prepare_v2(db,
                         "SELECT m.name FROM sqlite_master m JOIN pragma_table_info(m.name) c"
                         " WHERE m.type = 'table' AND c.name = 'user_id'",
                         -1, &stmt, nullptr);
      while (sqlite3_step(stmt) == SQLITE_ROW) tables.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)));
      sqlite3_finalize(stmt);
      for (const auto& table : tables) {
        sqlite3_prepare_v2(db, ("SELECT count(*) FROM " + table + " WHERE user_id = ?1").c_str(), -1, &stmt, nullptr);
        sqlite3_bind_text(stmt, 1, user_id.c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_step(stmt);
        counts[table] = sqlite3_column_int64(stmt, 0);
        sqlite3_finalize(stmt);
      }
      sqlite3_close(db);
      return counts;
    }
    pqxx::connection conn(pg_base_);
    pqxx::work tx(conn);
    for (const auto& row : tx.exec_params(
             "SELECT table_name FROM information_schema.columns WHERE table_schema = $1 AND column_name = 'user_id'",
             schema_)) {
      const auto table = row[0].as<std::string>();
      counts[table] = tx.exec_params("SELECT count(*) FROM " + schema_ + "." + table + " WHERE user_id = $1", user_id)[0][0]
                          .as<std::int64_t>();
    }
    return counts;
  }

  // PostgreSQL only: drops every server connection the storage holds, as a
  // server restart would. Returns how many were terminated.
  int terminate_connections() const {
    pqxx::connection conn(pg_base_);
    pqxx::work tx(conn);
    const auto r = tx.exec_params(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1", schema_);
    tx.commit();
    return r[0][0].as<int>();
  }

  // Runs SQL (several statements allowed) directly on the database, bypassing
  // the storage: e.g. to build a schema as an older gradvy-sync left it.
  void exec_sql(const std::string& sql) const {
    if (backend_ == "sqlite") {
      sqlite3* db = nullptr;
      sqlite3_open_v2(path_.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
      char* error = nullptr;
      const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
      const std::string message = error ? error : "";
      sqlite3_free(error);
      sqlite3_close(db);
      if (rc != SQLITE_OK) throw std::runtime_error("exec_sql: " + message);
      return;
    }
    pqxx::connection conn(pg_base_);
    pqxx::work tx(conn);
    tx.exec("SET LOCAL search_path TO " + schema_);
    tx.exec(sql);
    tx.commit();
  }

  // SQLite only: the result of PRAGMA integrity_check ("ok" when intact).
  std::string sqlite_integrity_check() const {
    sqlite3* db = nullptr;
    sqlite3_open_v2(path_.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
    sqlite3_stmt* stmt = nullptr;
    sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &stmt, nullptr);
    std::string result;
    while (sqlite3_step(stmt) == SQLITE_ROW) result += reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return result;
  }

  // One integer from a query run directly on the database (tables unqualified).
  std::int64_t query_int(const std::string& sql) const {
    if (backend_ == "sqlite") {
      sqlite3* db = nullptr;
      sqlite3_open_v2(path_.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
      sqlite3_stmt* stmt = nullptr;
      sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr);
      const std::int64_t value = sqlite3_step(stmt) == SQLITE_ROW ? sqlite3_column_int64(stmt, 0) : -1;
      sqlite3_finalize(stmt);
      sqlite3_close(db);
      return value;
    }
    pqxx::connection conn(pg_base_);
    pqxx::work tx(conn);
    tx.exec("SET search_path TO " + schema_);
    return tx.exec(sql)[0][0].as<std::int64_t>();
  }

  // Rows of schema_version, read directly.
  std::vector<int> schema_versions() const {
    std::vector<int> versions;
    if (backend_ == "sqlite") {
      sqlite3* db = nullptr;
      sqlite3_open_v2(path_.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
      sqlite3_stmt* stmt = nullptr;
      sqlite3_prepare_v2(db, "SELECT version FROM schema_version ORDER BY version", -1, &stmt, nullptr);
      while (sqlite3_step(stmt) == SQLITE_ROW) versions.push_back(sqlite3_column_int(stmt, 0));
      sqlite3_finalize(stmt);
      sqlite3_close(db);
      return versions;
    }
    pqxx::connection conn(pg_base_);
    pqxx::work tx(conn);
    for (const auto& row : tx.exec("SELECT version FROM " + schema_ + ".schema_version ORDER BY version")) {
      versions.push_back(row[0].as<int>());
    }
    return versions;
  }

 private:
  std::string backend_;
  std::string url_;
  std::filesystem::path dir_;
  std::string path_;
  std::string pg_base_;
  std::string schema_;
};

class StorageTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    std::string why;
    if (!db_.create(GetParam(), &why)) {
      const char* allow = std::getenv("GRADVY_ALLOW_NO_PG");
      if (allow != nullptr && std::string(allow) == "1") GTEST_SKIP() << why;
      FAIL() << why;
    }
    storage_ = open_storage(db_.url());
  }
  void TearDown() override { storage_.reset(); }

  ScratchDatabase db_;
  std::unique_ptr<Storage> storage_;
};

inline std::string backend_name(const ::testing::TestParamInfo<std::string>& info) { return info.param; }

// A realistic event as the device sends it.
inline StoredEvent make_event(const std::string& user_id, const std::string& id, std::int64_t ts,
                              const std::string& type = "page_view", const std::string& purpose = "analytics",
                              nlohmann::json props = nlohmann::json::object(), std::int64_t seq = 0) {
  StoredEvent event;
  event.id = id;
  event.type = type;
  event.ts = ts;
  event.purpose = purpose;
  event.session_id = "session-1";
  event.seq = seq;
  nlohmann::json doc = {{"id", id},
                        {"type", type},
                        {"ts", ts},
                        {"session_id", event.session_id},
                        {"seq", seq},
                        {"user_id", user_id},
                        {"purpose", purpose},
                        {"props", std::move(props)},
                        {"ctx", {{"page_url", "https://learn.example/courses"}, {"locale", "de-DE"}}}};
  event.json = doc.dump();
  return event;
}

// Events id-<first>..id-<first+count-1> for one learner, ts = base + i.
inline std::vector<StoredEvent> make_events(const std::string& user_id, int first, int count,
                                            std::int64_t base_ts = 1'700'000'000'000) {
  std::vector<StoredEvent> events;
  for (int i = first; i < first + count; ++i) {
    events.push_back(make_event(user_id, "ev-" + std::to_string(i), base_ts + i, "page_view", "analytics",
                                {{"path", "/p/" + std::to_string(i)}}, i));
  }
  return events;
}

inline BatchInfo make_batch(const std::string& user_id, const std::string& batch_id,
                            std::int64_t received_at = 1'700'000'100'000) {
  return BatchInfo{user_id, batch_id, "device-1", received_at - 5, received_at};
}

}  // namespace gradvy_sync::testing_support
