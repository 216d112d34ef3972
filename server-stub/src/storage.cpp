// open_storage(): picks the backend from the database URL; plus the small
// pieces both backends share.
#include "gradvy_sync/storage.hpp"

#include "gradvy_sync/storage_backends.hpp"

namespace gradvy_sync {

namespace {

bool starts_with(const std::string& text, const char* prefix) {
  return text.rfind(prefix, 0) == 0;
}

}  // namespace

const std::vector<std::string>& learner_tables() {
  static const std::vector<std::string> tables = {"events", "batches", "consent", "aggregates"};
  return tables;
}

int latest_schema_version() { return 4; }

double interaction_weight(const std::string& action) {
  if (action == "view") return 1.0;
  if (action == "progress") return 2.0;
  if (action == "enroll") return 3.0;
  if (action == "complete") return 5.0;
  if (action == "drop") return -1.0;
  return 1.0;
}

std::int64_t DeletionReceipt::total_rows() const {
  std::int64_t total = 0;
  for (const auto& entry : rows_by_table) total += entry.second;
  return total;
}

nlohmann::json DeletionReceipt::to_json() const {
  nlohmann::json tables = nlohmann::json::object();
  for (const auto& entry : rows_by_table) tables[entry.first] = entry.second;
  return {{"user_id", user_id},
          {"deleted_at", deleted_at},
          {"rows_by_table", tables},
          {"total_rows", total_rows()}};
}

std::vector<StoredInteraction> Storage::load_interactions(std::int64_t since_ms) {
  std::vector<StoredInteraction> rows;
  for_each_interaction(since_ms, [&rows](const StoredInteraction& row) { rows.push_back(row); });
  return rows;
}

void fill_interaction_columns(StoredEvent& event) {
  if (event.type != "course_interaction" || (!event.item_id.empty() && !event.action.empty())) return;
  const auto doc = nlohmann::json::parse(event.json, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return;
  const auto props = doc.find("props");
  if (props == doc.end() || !props->is_object()) return;
  if (event.item_id.empty()) {
    const auto course = props->find("course_id");
    if (course != props->end() && course->is_string()) event.item_id = course->get<std::string>();
  }
  if (event.action.empty()) {
    const auto action = props->find("action");
    if (action != props->end() && action->is_string()) event.action = action->get<std::string>();
  }
}

std::map<std::string, ConsentRow> latest_per_purpose(const std::vector<ConsentRow>& history) {
  std::map<std::string, ConsentRow> latest;
  for (const auto& row : history) {  // arrival order: a later arrival wins a tie on `at`
    auto found = latest.find(row.purpose);
    if (found == latest.end() || row.at >= found->second.at) latest[row.purpose] = row;
  }
  return latest;
}

std::string redact_url(const std::string& url) {
  std::string out = url;
  // scheme://user:password@host...  ->  scheme://user:***@host...
  const auto scheme_end = out.find("://");
  if (scheme_end != std::string::npos) {
    const auto authority_start = scheme_end + 3;
    const auto at = out.find('@', authority_start);
    const auto slash = out.find('/', authority_start);
    const auto colon = out.find(':', authority_start);
    if (at != std::string::npos && (slash == std::string::npos || at < slash) && colon != std::string::npos &&
        colon < at) {
      out = out.substr(0, colon + 1) + "***" + out.substr(at);
    }
  }
  // ...?password=secret&...  ->  ...?password=***&...
  for (const char* key : {"?password=", "&password="}) {
    const auto found = out.find(key);
    if (found == std::string::npos) continue;
    const auto value_start = found + std::char_traits<char>::length(key);
    auto value_end = out.find('&', value_start);
    if (value_end == std::string::npos) value_end = out.size();
    out.replace(value_start, value_end - value_start, "***");
  }
  return out;
}

SqliteTarget parse_sqlite_url(const std::string& url) {
  if (!starts_with(url, "sqlite:")) {
    throw StorageError("database URL '" + redact_url(url) + "' is not a sqlite: URL");
  }
  std::string rest = url.substr(7);
  SqliteTarget target;
  const auto query = rest.find('?');
  if (query != std::string::npos) {
    const std::string options = rest.substr(query + 1);
    rest.resize(query);
    if (options == "synchronous=full") {
      target.synchronous_full = true;
    } else if (options != "synchronous=normal" && !options.empty()) {
      throw StorageError("database URL '" + url +
                         "': unknown option; the only one is synchronous=normal|full");
    }
  }
  if (rest == ":memory:") {
    target.path = ":memory:";
    return target;
  }
  if (starts_with(rest, "//")) rest = rest.substr(2);  // sqlite:///abs/path or sqlite://rel/path
  if (rest.empty()) {
    throw StorageError("database URL '" + url +
                       "' names no file: use sqlite:PATH (e.g. sqlite:./gradvy.db) or sqlite::memory:");
  }
  target.path = rest;
  return target;
}

std::unique_ptr<Storage> open_storage(const std::string& url, const StorageOptions& options) {
  if (options.pool_size < 1 || options.pool_size > 256) {
    throw StorageError("storage pool size must be 1..256, got " + std::to_string(options.pool_size));
  }
  if (starts_with(url, "sqlite:")) return open_sqlite_storage(parse_sqlite_url(url), options);
  if (starts_with(url, "postgresql://") || starts_with(url, "postgres://")) {
    return open_postgres_storage(url, options);
  }
  throw StorageError("unsupported database URL '" + redact_url(url) +
                     "': expected sqlite:PATH, sqlite::memory: or postgresql://USER@HOST:PORT/DB");
}

}  // namespace gradvy_sync
