#include "gradvy/rerank_candidates.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include <nlohmann/json.hpp>

#include "gradvy/profile_event.hpp"
#include "gradvy/profile_preferences.hpp"

namespace gradvy {

using json = nlohmann::json;

namespace {

Status bad(std::size_t index, const std::string& field, const std::string& rule) {
  return Status(ErrorCode::invalid_argument, "candidates[" + std::to_string(index) + "]." + field + ": " + rule);
}

Status read_number(const json& obj, std::size_t index, const char* key, double lo, double hi, double* out) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return Status();
  if (!it->is_number()) return bad(index, key, "must be a number");
  const double v = it->get<double>();
  if (!std::isfinite(v)) return Status(ErrorCode::non_finite, "candidates[" + std::to_string(index) + "]." + key + ": must be finite");
  if (v < lo || v > hi) {
    json range = json::array({lo, hi});
    return bad(index, key, "must be between " + range[0].dump() + " and " + range[1].dump());
  }
  *out = v;
  return Status();
}

Status read_strings(const json& obj, std::size_t index, const char* key, std::vector<std::string>* out) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return Status();
  if (!it->is_array()) return bad(index, key, "must be an array of strings");
  if (it->size() > 64) return bad(index, key, "at most 64 entries");
  for (const auto& v : *it) {
    if (!v.is_string()) return bad(index, key, "must be an array of strings");
    out->push_back(v.get<std::string>());
  }
  return Status();
}

}  // namespace

Status validate(const Candidate& c, std::size_t i) {
  if (c.id.empty() || c.id.size() > kMaxCandidateIdLength) return bad(i, "id", "must be 1..256 characters");
  auto finite_in = [](double v, double lo, double hi) { return std::isfinite(v) && v >= lo && v <= hi; };
  for (double v : {c.difficulty, c.rating, c.rating_count, c.popularity, c.duration_minutes}) {
    if (!std::isfinite(v)) return Status(ErrorCode::non_finite, "candidates[" + std::to_string(i) + "]: numbers must be finite");
  }
  if (!(c.difficulty == 0.0 || finite_in(c.difficulty, 1.0, 3.0))) return bad(i, "difficulty", "must be between 1 and 3 (or 0 for unknown)");
  if (!finite_in(c.rating, 0.0, 100.0)) return bad(i, "rating", "must be between 0 and 100");
  if (!finite_in(c.rating_count, 0.0, 1e12)) return bad(i, "rating_count", "must be >= 0");
  if (!finite_in(c.popularity, 0.0, 1e15)) return bad(i, "popularity", "must be >= 0");
  if (!finite_in(c.duration_minutes, 0.0, 1e7)) return bad(i, "duration_minutes", "must be >= 0");
  if (c.published_at < 0) return bad(i, "published_at", "must be ms since the epoch (>= 0)");
  if (c.topics.size() > 64 || c.prerequisites.size() > 64) return bad(i, "topics", "at most 64 topics and 64 prerequisites");
  return Status();
}

Result<std::vector<Candidate>> candidates_from_json(std::string_view text) {
  json doc = json::parse(text.begin(), text.end(), nullptr, false);
  if (doc.is_discarded()) return Result<std::vector<Candidate>>(ErrorCode::invalid_json, "candidates: not valid JSON");
  return candidates_from_json_value(doc);
}

Result<std::vector<Candidate>> candidates_from_json_value(const json& doc) {
  const json* list = &doc;
  if (doc.is_object()) {
    auto it = doc.find("candidates");
    if (it == doc.end()) return Result<std::vector<Candidate>>(ErrorCode::invalid_argument, "candidates: missing");
    list = &*it;
  }
  if (!list->is_array()) return Result<std::vector<Candidate>>(ErrorCode::invalid_argument, "candidates: must be an array");
  if (list->empty()) return Result<std::vector<Candidate>>(ErrorCode::empty_input, "candidates: no candidates to rank");
  if (list->size() > kMaxCandidates) {
    return Result<std::vector<Candidate>>(ErrorCode::limit_exceeded, "candidates: " + std::to_string(list->size()) +
                                                                         " candidates; the maximum is 5000");
  }
  std::vector<Candidate> out;
  out.reserve(list->size());
  std::size_t i = 0;
  for (const auto& obj : *list) {
    if (!obj.is_object()) return Result<std::vector<Candidate>>(bad(i, "", "must be an object"));
    Candidate c;
    auto id = obj.find("id");
    if (id == obj.end() || !id->is_string()) return Result<std::vector<Candidate>>(bad(i, "id", "must be a string"));
    c.id = id->get<std::string>();
    Status s;
    auto check = [&](Status st) { if (s.ok() && !st.ok()) s = std::move(st); };
    check(read_strings(obj, i, "topics", &c.topics));
    check(read_strings(obj, i, "prerequisites", &c.prerequisites));
    if (auto it = obj.find("difficulty"); it != obj.end() && it->is_string()) {
      auto level = parse_difficulty(normalize_label(it->get<std::string>()));
      if (!level) check(bad(i, "difficulty", "must be beginner|intermediate|advanced or 1..3"));
      else c.difficulty = *level;
    } else {
      check(read_number(obj, i, "difficulty", 0.0, 3.0, &c.difficulty));
    }
    check(read_number(obj, i, "rating", 0.0, 100.0, &c.rating));
    check(read_number(obj, i, "rating_count", 0.0, 1e12, &c.rating_count));
    check(read_number(obj, i, "popularity", 0.0, 1e15, &c.popularity));
    check(read_number(obj, i, obj.contains("duration_minutes") ? "duration_minutes" : "duration", 0.0, 1e7,
                      &c.duration_minutes));
    double published = 0.0;
    check(read_number(obj, i, "published_at", 0.0, 9.0e15, &published));
    c.published_at = static_cast<std::int64_t>(published);
    if (auto it = obj.find("free"); it != obj.end() && !it->is_null()) {
      if (!it->is_boolean()) check(bad(i, "free", "must be true or false"));
      else c.free = it->get<bool>();
    }
    if (auto it = obj.find("content_type"); it != obj.end() && !it->is_null()) {
      if (!it->is_string()) check(bad(i, "content_type", "must be a string"));
      else c.content_type = it->get<std::string>();
    }
    if (s.ok()) s = validate(c, i);
    if (!s.ok()) return Result<std::vector<Candidate>>(s);
    out.push_back(std::move(c));
    ++i;
  }
  return out;
}

Result<CandidateSet> CandidateSet::create_from_buffer(std::vector<Candidate> candidates, const float* embeddings,
                                                      std::size_t float_count, std::size_t d) {
  if (d == 0) return Result<CandidateSet>(ErrorCode::invalid_argument, "embeddings: dimension must be at least 1");
  if (float_count != candidates.size() * d) {
    return Result<CandidateSet>(ErrorCode::dimension_mismatch,
                                "embeddings: " + std::to_string(float_count) + " floats for " +
                                    std::to_string(candidates.size()) + " candidates x " + std::to_string(d) +
                                    " dims (expected " + std::to_string(candidates.size() * d) + ")");
  }
  const std::size_t n = candidates.size();
  return create(std::move(candidates), embeddings, n, d);
}

Result<CandidateSet> CandidateSet::create(std::vector<Candidate> candidates, const float* embeddings, std::size_t n,
                                          std::size_t d) {
  using R = Result<CandidateSet>;
  if (n == 0 || candidates.empty()) return R(ErrorCode::empty_input, "candidates: no candidates to rank");
  if (n > kMaxCandidates) return R(ErrorCode::limit_exceeded, "candidates: " + std::to_string(n) + " candidates; the maximum is 5000");
  if (d > kMaxEmbeddingDim) return R(ErrorCode::limit_exceeded, "embeddings: dimension " + std::to_string(d) + "; the maximum is 512");
  if (d == 0) return R(ErrorCode::invalid_argument, "embeddings: dimension must be at least 1");
  if (candidates.size() != n) {
    return R(ErrorCode::dimension_mismatch, "embeddings: " + std::to_string(n) + " rows for " +
                                                std::to_string(candidates.size()) + " candidates");
  }
  if (embeddings == nullptr) return R(ErrorCode::invalid_argument, "embeddings: missing buffer");

  CandidateSet set;
  set.d_ = d;
  set.unit_.resize(n * d);
  for (std::size_t i = 0; i < n; ++i) {
    Status s = validate(candidates[i], i);
    if (!s.ok()) return R(s);
    const float* row = embeddings + i * d;
    double norm2 = 0.0;
    for (std::size_t j = 0; j < d; ++j) {
      if (!std::isfinite(row[j])) {
        return R(ErrorCode::non_finite, "embeddings: row " + std::to_string(i) + " (id " + candidates[i].id +
                                            "), column " + std::to_string(j) + " is NaN or Inf");
      }
      norm2 += double(row[j]) * row[j];
    }
    const double inv = norm2 > 0.0 ? 1.0 / std::sqrt(norm2) : 0.0;
    float* out = set.unit_.data() + i * d;
    for (std::size_t j = 0; j < d; ++j) out[j] = static_cast<float>(row[j] * inv);
  }

  set.index_.reserve(n * 2);
  for (std::size_t i = 0; i < n; ++i) {
    if (!set.index_.emplace(candidates[i].id, static_cast<std::uint32_t>(i)).second) {
      return R(ErrorCode::duplicate_id, "candidates[" + std::to_string(i) + "].id: '" + candidates[i].id +
                                            "' appears more than once");
    }
  }
  std::vector<std::uint32_t> order(n);
  std::iota(order.begin(), order.end(), 0u);
  std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) { return candidates[a].id < candidates[b].id; });
  set.id_rank_.resize(n);
  for (std::size_t r = 0; r < n; ++r) set.id_rank_[order[r]] = static_cast<std::uint32_t>(r);

  // Intern labels in id order so the tables do not depend on input order.
  std::unordered_map<std::string, std::uint32_t> topic_ids, type_ids;
  set.topic_offset_.assign(n + 1, 0);
  set.content_type_.assign(n, -1);
  std::vector<std::vector<std::uint32_t>> per_item(n);
  for (std::uint32_t i : order) {
    for (const auto& t : candidates[i].topics) {
      std::string key = normalize_label(t);
      if (key.empty()) continue;
      auto [it, inserted] = topic_ids.emplace(key, static_cast<std::uint32_t>(set.topic_names_.size()));
      if (inserted) { set.topic_names_.push_back(key); set.topic_display_.push_back(t); }
      if (std::find(per_item[i].begin(), per_item[i].end(), it->second) == per_item[i].end()) per_item[i].push_back(it->second);
    }
    std::string type = normalize_label(candidates[i].content_type);
    if (!type.empty()) {
      auto [it, inserted] = type_ids.emplace(type, static_cast<std::uint32_t>(set.content_type_names_.size()));
      if (inserted) set.content_type_names_.push_back(type);
      set.content_type_[i] = static_cast<int>(it->second);
    }
  }
  for (std::size_t i = 0; i < n; ++i) {
    set.topic_offset_[i + 1] = set.topic_offset_[i] + static_cast<std::uint32_t>(per_item[i].size());
    set.topic_index_.insert(set.topic_index_.end(), per_item[i].begin(), per_item[i].end());
  }
  set.log_popularity_.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    set.log_popularity_[i] = std::log1p(candidates[i].popularity);
    set.max_log_popularity_ = std::max(set.max_log_popularity_, set.log_popularity_[i]);
  }
  set.candidates_ = std::move(candidates);
  return set;
}

std::optional<std::size_t> CandidateSet::index_of(std::string_view id) const {
  auto it = index_.find(std::string(id));
  if (it == index_.end()) return std::nullopt;
  return it->second;
}

std::vector<std::string> CandidateSet::normalized_topics(std::size_t i) const {
  std::vector<std::string> out;
  for (const std::uint32_t* t = topics_begin(i); t != topics_end(i); ++t) out.push_back(topic_names_[*t]);
  return out;
}

}  // namespace gradvy
