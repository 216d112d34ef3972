#include "gradvy/rerank_options.hpp"

#include <cmath>
#include <string>

#include <nlohmann/json.hpp>

#include "gradvy/json_tree.hpp"
#include "gradvy/rerank_candidates.hpp"

namespace gradvy {

using json = nlohmann::json;

std::string_view to_string(Factor factor) {
  switch (factor) {
    case Factor::goal_match: return "goal_match";
    case Factor::interest: return "interest";
    case Factor::difficulty: return "difficulty";
    case Factor::rating: return "rating";
    case Factor::popularity: return "popularity";
    case Factor::progression: return "progression";
    case Factor::content_type: return "content_type";
    case Factor::freshness: return "freshness";
    case Factor::time_fit: return "time_fit";
    case Factor::feedback: return "feedback";
    case Factor::recent_interest: return "recent_interest";
  }
  return "unknown";
}

RerankWeights RerankWeights::personalized_defaults() {
  RerankWeights r;
  r[Factor::goal_match] = 0.20;
  // "What next" (recent_interest) is the strongest behavioural signal; the
  // long-term interest keeps items on the learner's themes; popularity is the
  // prior (what peers found useful). Offline sensitivity: docs/BENCHMARKS.md.
  r[Factor::interest] = 0.10;
  r[Factor::recent_interest] = 0.30;
  r[Factor::difficulty] = 0.10;
  r[Factor::rating] = 0.10;
  r[Factor::popularity] = 0.15;
  r[Factor::progression] = 0.05;
  r[Factor::content_type] = 0.05;
  r[Factor::freshness] = 0.05;
  r[Factor::time_fit] = 0.05;
  r[Factor::feedback] = 0.50;
  return r;
}

RerankWeights RerankWeights::fallback_defaults() {
  RerankWeights r;
  r[Factor::goal_match] = 0.30;
  r[Factor::popularity] = 0.45;
  r[Factor::rating] = 0.15;
  r[Factor::freshness] = 0.10;
  return r;
}

namespace {

Status bad(const std::string& field, const std::string& rule) {
  return Status(ErrorCode::invalid_argument, "options." + field + ": " + rule);
}

Status read_weights(const json& doc, const char* key, RerankWeights* out) {
  if (!doc.is_object()) return bad(key, "must be an object of factor: weight");
  for (auto it = doc.begin(); it != doc.end(); ++it) {
    bool known = false;
    for (std::size_t f = 0; f < kFactorCount; ++f) {
      if (it.key() != to_string(static_cast<Factor>(f))) continue;
      known = true;
      if (!it->is_number() || !std::isfinite(it->get<double>()) || std::fabs(it->get<double>()) > 100.0) {
        return bad(std::string(key) + "." + it.key(), "must be a number between -100 and 100");
      }
      out->w[f] = it->get<double>();
    }
    if (!known) return bad(std::string(key) + "." + it.key(), "unknown factor");
  }
  return Status();
}

struct NumberField {
  const char* name;
  double RerankOptions::*member;
  double lo, hi;
};

const NumberField kNumberFields[] = {
    {"diversity", &RerankOptions::diversity, 0.0, 1.0},
    {"diversity_similarity_floor", &RerankOptions::diversity_similarity_floor, 0.0, 0.99},
    {"rating_prior_mean", &RerankOptions::rating_prior_mean, 0.0, 100.0},
    {"rating_prior_count", &RerankOptions::rating_prior_count, 0.0, 1e9},
    {"rating_scale", &RerankOptions::rating_scale, 0.001, 100.0},
    {"freshness_half_life_days", &RerankOptions::freshness_half_life_days, 0.01, 36500.0},
    {"difficulty_sigma", &RerankOptions::difficulty_sigma, 0.01, 10.0},
    {"neighbour_threshold", &RerankOptions::neighbour_threshold, 0.0, 0.999},
};

}  // namespace

Status RerankOptions::validate() const {
  if (limit < 1 || limit > kMaxCandidates) return bad("limit", "must be between 1 and 5000");
  for (const auto& f : kNumberFields) {
    const double v = this->*f.member;
    if (!std::isfinite(v) || v < f.lo || v > f.hi) return bad(f.name, number_between_rule(f.lo, f.hi));
  }
  if (max_negative_examples > 64) return bad("max_negative_examples", "must be between 0 and 64");
  if (diversity_pool_factor > 1000) return bad("diversity_pool_factor", "must be between 0 and 1000");
  if (diversity_pool_min > kMaxCandidates) return bad("diversity_pool_min", "must be between 0 and 5000");
  for (const RerankWeights* ws : {&weights, &fallback_weights}) {
    for (double w : ws->w) {
      if (!std::isfinite(w) || std::fabs(w) > 100.0) return bad("weights", "each weight must be between -100 and 100");
    }
  }
  return Status();
}

Result<RerankOptions> RerankOptions::from_json_text(std::string_view text) {
  const auto doc = parse_json_tree(text);
  if (!doc.ok()) return Result<RerankOptions>(ErrorCode::invalid_json, "options: not valid JSON");
  return from_json(*doc);
}

Result<RerankOptions> RerankOptions::from_json(const json& doc) {
  using R = Result<RerankOptions>;
  RerankOptions o;
  if (doc.is_null()) return o;
  if (!doc.is_object()) return R(bad("", "must be an object"));
  for (auto it = doc.begin(); it != doc.end(); ++it) {
    const std::string& key = it.key();
    const json& v = *it;
    bool known = false;
    for (const auto& f : kNumberFields) {
      if (key != f.name) continue;
      known = true;
      if (!v.is_number()) return R(bad(key, number_between_rule(f.lo, f.hi)));
      o.*f.member = v.get<double>();
    }
    auto read_bool = [&](const char* name, bool* out) -> Status {
      if (key != name) return Status();
      known = true;
      if (!v.is_boolean()) return bad(key, "must be true or false");
      *out = v.get<bool>();
      return Status();
    };
    for (auto [name, member] : {std::pair<const char*, bool*>{"include_free", &o.include_free},
                                {"consider_ratings", &o.consider_ratings},
                                {"exclude_completed", &o.exclude_completed},
                                {"explain", &o.explain}}) {
      Status s = read_bool(name, member);
      if (!s.ok()) return R(s);
    }
    if (key == "free_only") {
      known = true;
      if (v.is_null()) o.free_only.reset();
      else if (v.is_boolean()) o.free_only = v.get<bool>();
      else return R(bad(key, "must be true, false or null"));
    }
    for (auto [name, member] : {std::pair<const char*, std::size_t*>{"limit", &o.limit},
                                {"max_negative_examples", &o.max_negative_examples},
                                {"diversity_pool_factor", &o.diversity_pool_factor},
                                {"diversity_pool_min", &o.diversity_pool_min}}) {
      if (key != name) continue;
      known = true;
      if (!v.is_number_unsigned()) return R(bad(key, "must be a whole number"));
      const auto n = v.get<std::uint64_t>();
      if (n > 1000000) return R(bad(key, "too large"));
      *member = static_cast<std::size_t>(n);
    }
    if (key == "weights" || key == "fallback_weights") {
      known = true;
      Status s = read_weights(v, key.c_str(), key == "weights" ? &o.weights : &o.fallback_weights);
      if (!s.ok()) return R(s);
    }
    if (!known) return R(bad(key, "unknown option"));
  }
  Status s = o.validate();
  if (!s.ok()) return R(s);
  return o;
}

json RerankOptions::to_json() const {
  json out = json::object();
  out["limit"] = limit;
  for (const auto& f : kNumberFields) out[f.name] = this->*f.member;
  out["include_free"] = include_free;
  out["free_only"] = free_only ? json(*free_only) : json(nullptr);
  out["consider_ratings"] = consider_ratings;
  out["exclude_completed"] = exclude_completed;
  out["explain"] = explain;
  out["max_negative_examples"] = max_negative_examples;
  out["diversity_pool_factor"] = diversity_pool_factor;
  out["diversity_pool_min"] = diversity_pool_min;
  json w = json::object(), fw = json::object();
  for (std::size_t f = 0; f < kFactorCount; ++f) {
    w[std::string(to_string(static_cast<Factor>(f)))] = weights.w[f];
    fw[std::string(to_string(static_cast<Factor>(f)))] = fallback_weights.w[f];
  }
  out["weights"] = std::move(w);
  out["fallback_weights"] = std::move(fw);
  return out;
}

}  // namespace gradvy
