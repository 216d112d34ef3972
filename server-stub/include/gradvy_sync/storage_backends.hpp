// The two Storage backends and the helpers they share. Callers use
// open_storage() (storage.hpp); this header is for the backends and tests.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gradvy_sync/storage.hpp"

namespace gradvy_sync {

struct SqliteTarget {
  std::string path;          // file path, or ":memory:"
  bool synchronous_full = false;  // sqlite:PATH?synchronous=full
};

// Parses "sqlite:PATH", "sqlite://PATH", "sqlite::memory:" (with optional
// "?synchronous=normal|full"). Throws StorageError on anything else.
SqliteTarget parse_sqlite_url(const std::string& url);

std::unique_ptr<Storage> open_sqlite_storage(const SqliteTarget& target, const StorageOptions& options);
std::unique_ptr<Storage> open_postgres_storage(const std::string& url, const StorageOptions& options);

// Each backend's schema migrations, in order: step i brings the schema to
// version i + 1. Tests use them to build an older schema by hand.
const std::vector<std::string>& sqlite_migrations();
const std::vector<std::string>& postgres_migrations();

// The URL with any password replaced by "***", safe for logs and errors.
std::string redact_url(const std::string& url);

// Fills item_id/action of a course_interaction event from its json when the
// caller left them empty (props.course_id, props.action).
void fill_interaction_columns(StoredEvent& event);

// The latest record per purpose from a history in arrival order.
std::map<std::string, ConsentRow> latest_per_purpose(const std::vector<ConsentRow>& history);

}  // namespace gradvy_sync
