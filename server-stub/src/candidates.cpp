#include "gradvy_sync/candidates.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace gradvy_sync {

namespace {

std::uint64_t fnv1a64(const std::string& s) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

void normalize(std::vector<float>& v) {
  double n = 0;
  for (float x : v) n += static_cast<double>(x) * x;
  if (n <= 0) return;
  const double inv = 1.0 / std::sqrt(n);
  for (float& x : v) x = static_cast<float>(x * inv);
}

std::vector<std::string> content_tokens(const CatalogItem& item) {
  std::vector<std::string> tokens;
  if (!item.course.empty()) tokens.push_back("course:" + item.course);
  if (!item.content_type.empty()) tokens.push_back("type:" + item.content_type);
  for (const auto& t : item.topics) tokens.push_back("topic:" + t);
  return tokens;
}

std::string sha256_hex32(const std::string& text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(text.data(), text.size(), digest, &length, EVP_sha256(), nullptr);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < 16 && i < length; ++i) {
    out += hex[digest[i] >> 4];
    out += hex[digest[i] & 15];
  }
  return out;
}

// 6 significant digits keeps the body small and the ETag stable across rebuilds.
double round6(float x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", static_cast<double>(x));
  return std::strtod(buf, nullptr);
}

}  // namespace

EmbeddingTable parse_embeddings_doc(const nlohmann::json& doc, std::string* error) {
  EmbeddingTable table;
  auto fail = [&](const char* why) {
    if (error) *error = why;
    return EmbeddingTable{};
  };
  if (!doc.is_object()) return fail("embeddings: must be an object");
  const auto dim = doc.find("dim");
  if (dim == doc.end() || !dim->is_number_integer() || dim->get<int>() < 1 || dim->get<int>() > kMaxEmbeddingDim) {
    return fail("embeddings.dim: must be an integer 1..1024");
  }
  const auto items = doc.find("items");
  if (items == doc.end() || !items->is_array()) return fail("embeddings.items: must be an array");
  table.dim = dim->get<int>();
  for (const auto& item : *items) {
    if (!item.is_object()) continue;
    const auto id = item.find("id");
    const auto vec = item.find("vector");
    if (id == item.end() || !id->is_string() || vec == item.end() || !vec->is_array() ||
        vec->size() != static_cast<std::size_t>(table.dim)) {
      continue;
    }
    // Only vectors learned from interactions count as learned; the document's
    // own content fallbacks were made for its items CSV, ours are made below.
    if (auto src = item.find("source"); src != item.end() && src->is_string() && *src != "cooccurrence") continue;
    std::vector<float> v;
    v.reserve(table.dim);
    bool finite = true;
    for (const auto& x : *vec) {
      if (!x.is_number()) {
        finite = false;
        break;
      }
      const double d = x.get<double>();
      finite = finite && std::isfinite(d);
      v.push_back(static_cast<float>(d));
    }
    if (finite) table.vectors.emplace(id->get<std::string>(), std::move(v));
  }
  if (table.vectors.empty()) table.dim = 0;
  return table;
}

std::vector<float> content_hash_vector(const CatalogItem& item, int dim) {
  std::vector<float> v(static_cast<std::size_t>(dim), 0.0f);
  auto tokens = content_tokens(item);
  if (auto d = item.fields.find("difficulty"); d != item.fields.end() && d->is_number()) {
    tokens.push_back("difficulty:" + std::to_string(static_cast<long long>(std::llround(d->get<double>()))));
  }
  if (tokens.empty()) tokens.push_back("id:" + item.id);  // featureless item: still a stable vector
  // Each feature is spread over several signed slots so that two features never
  // collide whole (with one slot, a topic and a track could cancel each other);
  // format and level count half: they are shared by unrelated subjects.
  constexpr int kSlotsPerFeature = 4;
  for (const auto& t : tokens) {
    const bool weak = t.rfind("type:", 0) == 0 || t.rfind("difficulty:", 0) == 0;
    const float w = (weak ? 0.5f : 1.0f) / 2.0f;  // 1/sqrt(kSlotsPerFeature)
    for (int k = 0; k < kSlotsPerFeature; ++k) {
      const std::uint64_t h = fnv1a64(std::to_string(k) + ":" + t);
      v[h % static_cast<std::uint64_t>(dim)] += (h >> 63) ? -w : w;
    }
  }
  normalize(v);
  bool zero = true;
  for (float x : v) zero = zero && x == 0.0f;
  if (zero) v[fnv1a64(item.id) % static_cast<std::uint64_t>(dim)] = 1.0f;  // tokens cancelled out
  return v;
}

CandidateSet build_candidate_set(const Catalog& catalog,
                                 const std::unordered_map<std::string, PopularityCounts>& popularity,
                                 const EmbeddingTable& embeddings, std::int64_t trending_window_days,
                                 std::int64_t now_ms) {
  CandidateSet set;
  const bool learned_space = embeddings.dim > 0;
  const int dim = learned_space ? embeddings.dim : kDefaultEmbeddingDim;

  std::int64_t max_learners = 0, max_recent = 0;
  for (const auto& item : catalog.items) {
    if (auto p = popularity.find(item.id); p != popularity.end()) {
      max_learners = std::max(max_learners, p->second.learners);
      max_recent = std::max(max_recent, p->second.recent);
    }
  }

  // Content tokens of the items that have learned vectors, for the neighbour fallback.
  std::vector<std::pair<std::vector<std::string>, const std::vector<float>*>> learned_items;
  if (learned_space) {
    for (const auto& item : catalog.items) {
      if (auto e = embeddings.vectors.find(item.id); e != embeddings.vectors.end()) {
        auto tokens = content_tokens(item);
        std::sort(tokens.begin(), tokens.end());
        learned_items.emplace_back(std::move(tokens), &e->second);
      }
    }
  }

  nlohmann::json items = nlohmann::json::array();
  for (const auto& item : catalog.items) {
    nlohmann::json out = item.fields;
    PopularityCounts counts;
    if (auto p = popularity.find(item.id); p != popularity.end()) counts = p->second;
    out["interactions"] = counts.all_time;
    out["learners"] = counts.learners;
    out["popularity"] = max_learners > 0 ? round6(static_cast<float>(std::log1p(static_cast<double>(counts.learners)) /
                                                                     std::log1p(static_cast<double>(max_learners))))
                                         : 0.0;
    out["trending"] = max_recent > 0 ? round6(static_cast<float>(static_cast<double>(counts.recent) / max_recent)) : 0.0;

    std::vector<float> vec;
    const char* source = "content_hash";
    if (auto e = embeddings.vectors.find(item.id); learned_space && e != embeddings.vectors.end()) {
      vec = e->second;
      source = "interactions";
      ++set.learned;
    } else if (learned_space) {
      auto tokens = content_tokens(item);
      std::sort(tokens.begin(), tokens.end());
      std::size_t best = 0;
      std::vector<const std::vector<float>*> neighbours;
      for (const auto& [other_tokens, other_vec] : learned_items) {
        std::vector<std::string> shared;
        std::set_intersection(tokens.begin(), tokens.end(), other_tokens.begin(), other_tokens.end(),
                              std::back_inserter(shared));
        if (shared.empty() || shared.size() < best) continue;
        if (shared.size() > best) {
          best = shared.size();
          neighbours.clear();
        }
        neighbours.push_back(other_vec);
      }
      if (!neighbours.empty()) {
        vec.assign(static_cast<std::size_t>(dim), 0.0f);
        for (const auto* n : neighbours) {
          for (int i = 0; i < dim; ++i) vec[i] += (*n)[i];
        }
        normalize(vec);
        source = "content_neighbours";
        ++set.content_neighbours;
      }
    }
    if (vec.empty()) {
      vec = content_hash_vector(item, dim);
      ++set.content_hash;
    }
    nlohmann::json arr = nlohmann::json::array();
    for (float x : vec) arr.push_back(round6(x));
    out["embedding"] = std::move(arr);
    out["embedding_source"] = source;
    items.push_back(std::move(out));
  }

  const nlohmann::json content = {{"dim", dim}, {"items", items}};
  const std::string version = sha256_hex32(content.dump());
  nlohmann::json body = {{"version", version},
                         {"generated_at", now_ms},
                         {"dim", dim},
                         {"trending_window_days", trending_window_days},
                         {"items", std::move(items)}};
  set.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  set.etag = "\"" + version + "\"";
  set.built_at_ms = now_ms;
  set.items = catalog.items.size();
  return set;
}

CandidateSet build_content_candidate_set(const Catalog& catalog, std::int64_t trending_window_days,
                                         std::int64_t now_ms) {
  CandidateSet set = build_candidate_set(catalog, {}, EmbeddingTable{}, trending_window_days, now_ms);
  set.basis = CandidateBasis::content;
  return set;
}

const char* basis_name(CandidateBasis basis) { return basis == CandidateBasis::content ? "content" : "stored"; }

bool etag_matches(const std::string& header, const std::string& etag) {
  std::size_t pos = 0;
  while (pos < header.size()) {
    std::size_t end = header.find(',', pos);
    if (end == std::string::npos) end = header.size();
    std::string tag = header.substr(pos, end - pos);
    pos = end + 1;
    const auto first = tag.find_first_not_of(" \t");
    const auto last = tag.find_last_not_of(" \t");
    if (first == std::string::npos) continue;
    tag = tag.substr(first, last - first + 1);
    if (tag == "*") return true;
    if (tag.rfind("W/", 0) == 0) tag = tag.substr(2);  // If-None-Match uses weak comparison
    if (tag == etag) return true;
  }
  return false;
}

void CandidateCache::publish(CandidateSet set) {
  auto next = std::make_shared<const CandidateSet>(std::move(set));
  std::lock_guard<std::mutex> lock(mutex_);
  current_ = std::move(next);
}

std::shared_ptr<const CandidateSet> CandidateCache::current() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return current_;
}

double CandidateCache::age_seconds(std::int64_t now_ms) const {
  auto c = current();
  if (!c) return -1;
  return std::max<double>(0.0, static_cast<double>(now_ms - c->built_at_ms) / 1000.0);
}

}  // namespace gradvy_sync
