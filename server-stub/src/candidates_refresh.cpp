#include "gradvy_sync/candidates_refresh.hpp"

#include <chrono>
#include <string>
#include <unordered_map>

#include "gradvy_sync/candidates_embeddings.hpp"

namespace gradvy_sync {

namespace {
// RFC 4180 field: always quoted, quotes doubled (ids come from devices).
void csv_field(std::string& out, const std::string& value) {
  out += '"';
  for (char c : value) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}
}  // namespace

void CandidateRefresher::rebuild(std::int64_t now_ms) {
  const auto started = std::chrono::steady_clock::now();
  const std::int64_t since = now_ms - trending_days_ * 86400000LL;
  std::unordered_map<std::string, PopularityCounts> popularity;
  for (const auto& p : storage_.item_popularity(since)) {
    popularity[p.item_id] = PopularityCounts{p.all_time, p.recent, p.learners};
  }
  EmbeddingTable table;
  if (auto doc = storage_.load_embeddings()) {
    std::string error;
    table = parse_embeddings_doc(*doc, &error);
    if (!error.empty()) log_.warn("stored embeddings ignored", {{"reason", error}});
  }
  CandidateSet set = build_candidate_set(catalog_, popularity, table, trending_days_, now_ms);
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  log_.info("candidates rebuilt", {{"basis", basis_name(set.basis)},
                                   {"duration_ms", ms},
                                   {"items", set.items},
                                   {"etag", set.etag},
                                   {"embeddings_learned", set.learned},
                                   {"embeddings_content_neighbours", set.content_neighbours},
                                   {"embeddings_content_hash", set.content_hash}});
  cache_.publish(std::move(set));
}

void CandidateRefresher::publish_content_set(std::int64_t now_ms) {
  const auto started = std::chrono::steady_clock::now();
  CandidateSet set = build_content_candidate_set(catalog_, trending_days_, now_ms);
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  log_.info("candidates built", {{"basis", basis_name(set.basis)},
                                 {"duration_ms", ms},
                                 {"items", set.items},
                                 {"etag", set.etag}});
  cache_.publish(std::move(set));
}

bool CandidateRefresher::refresh_embeddings(std::int64_t now_ms, int dim) {
  std::string interactions = "user_id,item_id,ts,weight\n";
  std::size_t rows = 0;
  storage_.for_each_interaction(INT64_MIN, [&](const StoredInteraction& i) {
    if (!(i.weight > 0) || i.item_id.empty() || i.user_id.empty()) return;  // drop (-1) is not co-occurrence
    csv_field(interactions, i.user_id);
    interactions += ',';
    csv_field(interactions, i.item_id);
    interactions += ',' + std::to_string(i.ts) + ',' + std::to_string(i.weight) + '\n';
    ++rows;
  });
  if (rows == 0) return false;
  std::string items = "item_id,course,activity_type\n";
  for (const auto& item : catalog_.items) {
    csv_field(items, item.id);
    items += ',';
    csv_field(items, item.course);
    items += ',';
    csv_field(items, item.content_type);
    items += '\n';
  }
  const EmbeddingRun run = compute_item_embeddings(interactions, items, dim);
  if (run.document.empty()) return false;
  const auto doc = nlohmann::json::parse(run.document, nullptr, false);
  if (doc.is_discarded()) throw std::runtime_error("embed produced invalid JSON");
  storage_.save_embeddings(doc, now_ms);
  log_.info("embeddings refreshed", {{"interactions", run.interactions}, {"items", run.items}, {"dim", dim}});
  return true;
}

}  // namespace gradvy_sync
