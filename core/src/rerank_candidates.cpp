#include "gradvy/rerank_candidates.hpp"

#include <algorithm>
#include <cmath>

#include "gradvy/json_reader.hpp"
#include "gradvy/json_tree.hpp"
#include "gradvy/profile_event.hpp"
#include "gradvy/profile_preferences.hpp"
#include "gradvy/sort_order.hpp"

namespace gradvy {

namespace {

Status bad(std::size_t index, const std::string& field, const std::string& rule) {
  return Status(ErrorCode::invalid_argument, "candidates[" + std::to_string(index) + "]." + field + ": " + rule);
}

// One candidate object of a parsed list. Read straight from the document
// (views into the text, no tree of maps): a list of 1,000 candidates is
// parsed on the page's main thread whenever the app passes a new one.
class CandidateReader {
 public:
  CandidateReader(const JsonDocument& doc, std::uint32_t object, std::size_t index)
      : doc_(doc), object_(object), index_(index) {}

  // 0 when absent or null (both mean "unknown").
  std::uint32_t present(std::string_view key) const {
    const std::uint32_t at = doc_.find_member(object_, key);
    return at != 0 && doc_.node(at).kind != JsonKind::null_value ? at : 0;
  }

  Status number(const char* key, double lo, double hi, double* out) const {
    const std::uint32_t at = present(key);
    if (at == 0) return Status();
    const JsonNode& n = doc_.node(at);
    if (n.kind != JsonKind::number) return bad(index_, key, "must be a number");
    if (n.number < lo || n.number > hi) {
      return bad(index_, key, "must be between " + write_json(lo) + " and " + write_json(hi));
    }
    *out = n.number;
    return Status();
  }

  Status strings(const char* key, std::vector<std::string>* out) const {
    const std::uint32_t at = present(key);
    if (at == 0) return Status();
    const JsonNode& list = doc_.node(at);
    if (list.kind != JsonKind::array) return bad(index_, key, "must be an array of strings");
    if (list.count > 64) return bad(index_, key, "at most 64 entries");
    out->reserve(list.count);
    for (std::uint32_t i = JsonDocument::first_child(at); i < list.end; i = doc_.next_sibling(i)) {
      if (doc_.node(i).kind != JsonKind::string) return bad(index_, key, "must be an array of strings");
      out->emplace_back(doc_.node(i).text);
    }
    return Status();
  }

  const JsonNode& node(std::uint32_t at) const { return doc_.node(at); }

 private:
  const JsonDocument& doc_;
  std::uint32_t object_;
  std::size_t index_;
};

Status read_candidate(const CandidateReader& in, std::size_t i, Candidate& c) {
  const std::uint32_t id = in.present("id");
  if (id == 0 || in.node(id).kind != JsonKind::string) return bad(i, "id", "must be a string");
  c.id.assign(in.node(id).text);
  Status s = in.strings("topics", &c.topics);
  if (s.ok()) s = in.strings("prerequisites", &c.prerequisites);
  if (!s.ok()) return s;
  if (const std::uint32_t level = in.present("difficulty"); level != 0 && in.node(level).kind == JsonKind::string) {
    const auto parsed = parse_difficulty(normalize_label(in.node(level).text));
    if (!parsed) return bad(i, "difficulty", "must be beginner|intermediate|advanced or 1..3");
    c.difficulty = *parsed;
  } else if (s = in.number("difficulty", 0.0, 3.0, &c.difficulty); !s.ok()) {
    return s;
  }
  const char* duration = in.present("duration_minutes") != 0 ? "duration_minutes" : "duration";
  double published = 0.0;
  if (!(s = in.number("rating", 0.0, 100.0, &c.rating)).ok() ||
      !(s = in.number("rating_count", 0.0, 1e12, &c.rating_count)).ok() ||
      !(s = in.number("popularity", 0.0, 1e15, &c.popularity)).ok() ||
      !(s = in.number(duration, 0.0, 1e7, &c.duration_minutes)).ok() ||
      !(s = in.number("published_at", 0.0, 9.0e15, &published)).ok()) {
    return s;
  }
  c.published_at = static_cast<std::int64_t>(published);
  if (const std::uint32_t free = in.present("free"); free != 0) {
    if (in.node(free).kind != JsonKind::boolean) return bad(i, "free", "must be true or false");
    c.free = in.node(free).boolean;
  }
  if (const std::uint32_t type = in.present("content_type"); type != 0) {
    if (in.node(type).kind != JsonKind::string) return bad(i, "content_type", "must be a string");
    c.content_type.assign(in.node(type).text);
  }
  return validate(c, i);
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
  using R = Result<std::vector<Candidate>>;
  JsonDocument doc;
  JsonLimits limits;
  limits.max_depth = 64;  // apps may send their own nested fields; they are skipped
  limits.max_bytes = text.size() + 1;
  if (const Status parsed = doc.parse(text, limits); !parsed.ok()) {
    return R(ErrorCode::invalid_json, "candidates: not valid JSON (" + parsed.message() + ")");
  }
  std::uint32_t list = 0;
  if (doc.root().kind == JsonKind::object) {
    list = doc.find_member(0, "candidates");
    if (list == 0) return R(ErrorCode::invalid_argument, "candidates: missing");
  }
  const JsonNode& array = doc.node(list);
  if (array.kind != JsonKind::array) return R(ErrorCode::invalid_argument, "candidates: must be an array");
  if (array.count == 0) return R(ErrorCode::empty_input, "candidates: no candidates to rank");
  if (array.count > kMaxCandidates) {
    return R(ErrorCode::limit_exceeded,
             "candidates: " + std::to_string(array.count) + " candidates; the maximum is 5000");
  }
  std::vector<Candidate> out(array.count);
  std::size_t i = 0;
  for (std::uint32_t at = JsonDocument::first_child(list); at < array.end; at = doc.next_sibling(at), ++i) {
    if (doc.node(at).kind != JsonKind::object) return R(bad(i, "", "must be an object"));
    if (Status s = read_candidate(CandidateReader(doc, at, i), i, out[i]); !s.ok()) return R(std::move(s));
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
  const std::vector<std::uint32_t> order =
      sorted_order(candidates.data(), n, [](const Candidate& a, const Candidate& b) { return a.id < b.id; });
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
