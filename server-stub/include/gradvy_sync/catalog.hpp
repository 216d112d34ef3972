// The catalog the server serves candidates from: a JSON file
//   {"version": "optional label",
//    "items": [{"id": "py-101", "title": "...", "topics": ["python", ...],
//               "difficulty": 1, "rating": 4.6, "rating_count": 1200, "free": true,
//               "content_type": "video", "duration_min": 240,
//               "prerequisites": ["py-000"], "published_at": 1700000000000}, ...]}
// Only `id` (unique, 1..128 bytes) is required; `topics`, `content_type`,
// `prerequisites` must have the types above when present (they feed the
// content-feature embedding fallback). Every field is passed to clients as is.
// Bound: at most 10,000 items.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace gradvy_sync {

constexpr std::size_t kMaxCatalogItems = 10000;

struct CatalogItem {
  std::string id;
  std::vector<std::string> topics;
  std::string content_type;
  std::string course;       // optional grouping (e.g. the course a lesson belongs to)
  nlohmann::json fields;    // the item object exactly as in the file
};

struct Catalog {
  std::string version;
  std::vector<CatalogItem> items;
};

// Parses catalog text; on failure returns false and a message naming the
// field ("items[3].topics: must be an array of strings").
bool parse_catalog(const std::string& text, Catalog& out, std::string& error);
bool load_catalog_file(const std::string& path, Catalog& out, std::string& error);

}  // namespace gradvy_sync
