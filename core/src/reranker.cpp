#include "gradvy/reranker.hpp"

#include <algorithm>
#include <cmath>
#include <string_view>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "gradvy/rerank_mmr.hpp"

namespace gradvy {

using json = nlohmann::json;

namespace {

constexpr double kDayMs = 86400000.0;
constexpr double kLearnedTopicScale = 0.8;  // a learned topic counts a bit less than a declared goal
constexpr std::uint8_t kCompleted = 1, kDismissed = 2, kThumbsDown = 4;

std::size_t fi(Factor f) { return static_cast<std::size_t>(f); }

// Fixed-point text for a non-negative number with 0 or 1 decimals; much cheaper
// than snprintf("%.1f"), and the reasons are built on every render.
std::string num(double x, int decimals = 0) {
  if (!std::isfinite(x) || x < 0) x = 0;
  const double scale = decimals == 1 ? 10.0 : 1.0;
  const auto scaled = static_cast<unsigned long long>(std::llround(std::min(x, 1e15) * scale));
  std::string out = std::to_string(scaled / static_cast<unsigned long long>(scale));
  if (decimals == 1) {
    out.push_back('.');
    out.push_back(static_cast<char>('0' + scaled % 10));
  }
  return out;
}

const char* level_name(double level) {
  if (level <= 0.0) return "unknown";
  if (level < 1.67) return "beginner";
  if (level < 2.34) return "intermediate";
  return "advanced";
}

double stretch_of(DifficultyPreference p) {
  switch (p) {
    case DifficultyPreference::comfortable: return 0.0;
    case DifficultyPreference::stretch: return 0.5;
    case DifficultyPreference::challenge: return 1.0;
  }
  return 0.5;
}

// Everything a score needs, prepared once per call.
struct Scorer {
  Scorer(const CandidateSet& s, const LearnerProfile& p, const RerankOptions& o, const RerankWeights& w,
         bool pers, std::int64_t now)
      : set(s), profile(p), opt(o), weights(w), personalized(pers), now_ms(now) {}
  const CandidateSet& set;
  const LearnerProfile& profile;
  const RerankOptions& opt;
  const RerankWeights& weights;
  bool personalized;
  std::int64_t now_ms;
  std::size_t goal_count = 0;
  std::vector<double> topic_goal, topic_learned;      // per interned topic
  std::vector<double> type_declared, type_learned;    // per interned content type
  const std::vector<float>* interest = nullptr;       // unit vector or empty
  const std::vector<float>* recent = nullptr;         // short-term unit vector or empty
  std::vector<const float*> negatives;
  // Interest vector, short-term vector (each if any) then the thumbs-down
  // embeddings, packed n_queries x d so each candidate row is read once for all.
  std::vector<float> queries;
  std::size_t n_queries = 0;
  bool has_interest = false, has_recent = false;
  std::size_t first_negative = 0;  // query index of the first thumbs-down row

  void pack_queries() {
    const std::size_t d = set.dim();
    has_interest = interest != nullptr && !interest->empty() && weights[Factor::interest] != 0.0;
    has_recent = recent != nullptr && !recent->empty() && weights[Factor::recent_interest] != 0.0;
    if (has_interest) queries.insert(queries.end(), interest->begin(), interest->end());
    if (has_recent) queries.insert(queries.end(), recent->begin(), recent->end());
    first_negative = (has_interest ? 1 : 0) + (has_recent ? 1 : 0);
    if (weights[Factor::feedback] != 0.0) {
      for (const float* neg : negatives) queries.insert(queries.end(), neg, neg + d);
    }
    n_queries = queries.size() / std::max<std::size_t>(1, d);
  }
  double level = 0.0, target = 0.0;
  double difficulty_fit_table[3] = {0, 0, 0};  // for the usual 1 / 2 / 3

  double difficulty_fit(double difficulty) const {
    const double delta = difficulty - target;
    return std::exp(-(delta * delta) / (2.0 * opt.difficulty_sigma * opt.difficulty_sigma));
  }

  // Unweighted factor values of candidate i.
  void raw(std::size_t i, double* v) const {
    const Candidate& c = set[i];
    const std::size_t d = set.dim();
    for (std::size_t f = 0; f < kFactorCount; ++f) v[f] = 0.0;

    // goal match: declared goals, or (personalized) learned topic affinity.
    double matches = 0.0, learned = 0.0;
    const std::uint32_t* tb = set.topics_begin(i);
    const std::uint32_t* te = set.topics_end(i);
    for (const std::uint32_t* t = tb; t != te; ++t) {
      matches += topic_goal[*t];
      learned = std::max(learned, topic_learned[*t]);
    }
    double declared = 0.0;
    if (matches > 0.0) {
      const double denom = static_cast<double>(std::min<std::size_t>(static_cast<std::size_t>(te - tb), goal_count));
      declared = std::min(1.0, matches / std::max(1.0, denom));
    }
    v[fi(Factor::goal_match)] = std::max(declared, kLearnedTopicScale * learned);

    float sims[72];  // interest + recent + at most 64 thumbs-down items (validated bound)
    if (n_queries > 0) dot_products(set.unit_row(i), queries.data(), n_queries, d, sims);
    if (has_interest) v[fi(Factor::interest)] = sims[0];
    if (has_recent) v[fi(Factor::recent_interest)] = sims[has_interest ? 1 : 0];
    if (level > 0.0) {
      if (c.difficulty == 1.0 || c.difficulty == 2.0 || c.difficulty == 3.0) {
        v[fi(Factor::difficulty)] = difficulty_fit_table[static_cast<int>(c.difficulty) - 1];
      } else if (c.difficulty > 0.0) {
        v[fi(Factor::difficulty)] = difficulty_fit(c.difficulty);
      } else {
        v[fi(Factor::difficulty)] = 0.5;  // unknown difficulty: neutral
      }
    }
    if (opt.consider_ratings) {
      const double bayes = (opt.rating_prior_count * opt.rating_prior_mean + c.rating * c.rating_count) /
                           std::max(1e-9, opt.rating_prior_count + c.rating_count);
      v[fi(Factor::rating)] = bayes / opt.rating_scale;
    }
    if (set.max_log_popularity() > 0.0) v[fi(Factor::popularity)] = set.log_popularity(i) / set.max_log_popularity();
    if (personalized && !c.prerequisites.empty()) {
      std::size_t done = 0;
      for (const auto& p : c.prerequisites) {
        const ItemState* item = profile.find_item(p);
        if (item != nullptr && item->completed) ++done;
      }
      const double frac = static_cast<double>(done) / static_cast<double>(c.prerequisites.size());
      v[fi(Factor::progression)] = 1.5 * frac - 0.5;
    }
    const int type = set.content_type_of(i);
    if (type >= 0) v[fi(Factor::content_type)] = std::max(type_declared[type], type_learned[type]);
    if (c.published_at > 0) {
      const double age_days = std::max(0.0, static_cast<double>(now_ms - c.published_at) / kDayMs);
      v[fi(Factor::freshness)] = std::exp2(-age_days / opt.freshness_half_life_days);
    }
    const double budget = profile.preferences().weekly_minutes;
    if (budget > 0.0 && c.duration_minutes > 0.0) {
      const double weeks = c.duration_minutes / budget;
      v[fi(Factor::time_fit)] = weeks <= 4.0 ? 1.0 : std::exp2(-(weeks - 4.0) / 4.0);
    }
    if (n_queries > first_negative) {
      double closest = 0.0;
      for (std::size_t q = first_negative; q < n_queries; ++q) {
        closest = std::max(closest, (static_cast<double>(sims[q]) - opt.neighbour_threshold) / (1.0 - opt.neighbour_threshold));
      }
      v[fi(Factor::feedback)] = -std::min(1.0, closest);
    }
  }

  double score(const double* v, double* contributions) const {
    double s = 0.0;
    for (std::size_t f = 0; f < kFactorCount; ++f) {
      contributions[f] = weights.w[f] * v[f];
      s += contributions[f];
    }
    return s;
  }

  // Text for the top `limit` items only: compiled for size, out of line.
#if defined(__clang__)
  __attribute__((noinline, minsize))
#endif
  std::string detail(Factor f, std::size_t i, const double* v) const {
    const Candidate& c = set[i];
    const double x = v[fi(f)];
    switch (f) {
      case Factor::goal_match: {
        for (const std::uint32_t* t = set.topics_begin(i); t != set.topics_end(i); ++t) {
          if (topic_goal[*t] > 0.0) return "covers " + set.topic_display()[*t] + ", one of your goals";
        }
        std::uint32_t best = 0;
        double best_aff = 0.0;
        for (const std::uint32_t* t = set.topics_begin(i); t != set.topics_end(i); ++t) {
          if (topic_learned[*t] > best_aff) { best_aff = topic_learned[*t]; best = *t; }
        }
        if (best_aff > 0.0) return "covers " + set.topic_display()[best] + ", a topic you have been learning";
        return goal_count > 0 ? "not one of your goals" : "no goals set";
      }
      case Factor::interest:
        if (interest == nullptr || interest->empty()) return "no activity to compare with yet";
        if (x >= 0.5) return "very similar to what you engaged with (" + num(100.0 * x) + "% match)";
        if (x >= 0.2) return "similar to what you engaged with (" + num(100.0 * x) + "% match)";
        return "not much like what you engaged with (" + num(100.0 * std::max(0.0, x)) + "% match)";
      case Factor::difficulty:
        if (level <= 0.0) return "your level is not known yet";
        if (c.difficulty <= 0.0) return "difficulty not stated";
        return std::string(level_name(c.difficulty)) + (x >= 0.7 ? ": a good fit" : x >= 0.3 ? ": a reasonable fit" : ": not a good fit") +
               " for your level (about " + level_name(level) + ")";
      case Factor::rating:
        if (!opt.consider_ratings) return "ratings not considered";
        if (c.rating_count <= 0.0) return "no ratings yet";
        return "rated " + num(c.rating, 1) + " by " + num(c.rating_count) + " learners";
      case Factor::popularity:
        if (set.max_log_popularity() <= 0.0) return "no popularity data";
        return x >= 0.8 ? "among the most popular here" : x >= 0.5 ? "popular with other learners" : "less popular";
      case Factor::progression: {
        if (c.prerequisites.empty()) return "no prerequisites";
        if (!personalized) return "prerequisites not checked";
        const double frac = (x + 0.5) / 1.5;
        if (frac >= 0.999) return "you have completed all its prerequisites";
        if (frac > 0.0) return "you have completed " + num(frac * c.prerequisites.size()) + " of " +
                               num(static_cast<double>(c.prerequisites.size())) + " prerequisites";
        return "needs prerequisites you have not completed";
      }
      case Factor::content_type: {
        const int type = set.content_type_of(i);
        if (type < 0) return "format not stated";
        const std::string& name = set.content_type_names()[type];
        if (type_declared[type] > 0.0) return name + ", a format you prefer";
        if (type_learned[type] >= 0.5) return name + ", a format you use often";
        return name;
      }
      case Factor::freshness:
        if (c.published_at <= 0) return "publication date unknown";
        return "published " + num(std::floor(std::max(0.0, static_cast<double>(now_ms - c.published_at) / kDayMs))) + " days ago";
      case Factor::time_fit: {
        const double budget = profile.preferences().weekly_minutes;
        if (budget <= 0.0) return "no weekly time budget set";
        if (c.duration_minutes <= 0.0) return "duration not stated";
        return "about " + num(c.duration_minutes / budget, 1) + " weeks at your " + num(budget) + " minutes a week";
      }
      case Factor::feedback:
        return x < 0.0 ? "similar to something you marked as not for you" : "";
      case Factor::recent_interest:
        if (recent == nullptr || recent->empty()) return "no recent activity to continue from";
        if (x >= 0.5) return "a next step from what you did most recently (" + num(100.0 * x) + "% match)";
        if (x >= 0.2) return "related to what you did most recently (" + num(100.0 * x) + "% match)";
        return "not much like what you did most recently (" + num(100.0 * std::max(0.0, x)) + "% match)";
    }
    return "";
  }
};

}  // namespace

std::size_t remember_candidates(LearnerProfile& profile, const CandidateSet& set) {
  std::size_t matched = 0;
  const std::size_t d = set.dim();
  // Collect first: remember_item does not add or remove items, but keep the
  // iteration independent of it anyway.
  std::vector<std::pair<std::string_view, std::size_t>> todo;
  for (const auto& [id, item] : profile.items()) {
    const bool wants = item.embedding.size() != d || item.topics.empty() || item.content_type.empty() ||
                       item.difficulty == 0.0;
    if (!wants) continue;
    auto idx = set.index_of(id);
    if (!idx) continue;
    const std::size_t i = *idx;
    const bool useful = item.embedding.size() != d || (item.topics.empty() && set.topics_begin(i) != set.topics_end(i)) ||
                        (item.content_type.empty() && set.content_type_of(i) >= 0) ||
                        (item.difficulty == 0.0 && set[i].difficulty > 0.0);
    if (useful) todo.emplace_back(id, i);
    ++matched;
  }
  for (const auto& [id, i] : todo) {
    const int type = set.content_type_of(i);
    profile.remember_item(id, set.unit_row(i), d, set.normalized_topics(i),
                          type >= 0 ? std::string_view(set.content_type_names()[type]) : std::string_view(),
                          set[i].difficulty);
  }
  return matched;
}

Result<RerankResult> rerank(LearnerProfile& profile, std::vector<Candidate> candidates, const float* embeddings,
                            std::size_t n, std::size_t d, const RerankOptions& options, bool personalization_granted,
                            std::int64_t now_ms) {
  auto set = CandidateSet::create(std::move(candidates), embeddings, n, d);
  if (!set.ok()) return set.status();
  return rerank(profile, set.value(), options, personalization_granted, now_ms);
}

Result<RerankResult> rerank(LearnerProfile& profile, const CandidateSet& set, const RerankOptions& opt,
                            bool granted, std::int64_t now_ms) {
  Status s = opt.validate();
  if (!s.ok()) return s;
  const std::size_t n = set.size();
  if (n == 0) return Result<RerankResult>(ErrorCode::empty_input, "candidates: no candidates to rank");

  RerankResult result;
  result.candidates = n;
  if (granted) {
    profile.apply_retention(now_ms);
    remember_candidates(profile, set);
  }
  const bool personalized = granted && !profile.is_cold();
  result.source = personalized ? "personalized" : "fallback";
  if (!personalized) result.fallback_reason = granted ? kReasonCold : kReasonNoConsent;

  const DeclaredPreferences& prefs = profile.preferences();
  Scorer sc(set, profile, opt, personalized ? opt.weights : opt.fallback_weights, personalized, now_ms);
  sc.goal_count = prefs.goals.size();

  const auto& topics = set.topic_names();
  sc.topic_goal.assign(topics.size(), 0.0);
  sc.topic_learned.assign(topics.size(), 0.0);
  for (std::size_t t = 0; t < topics.size(); ++t) {
    for (const auto& g : prefs.goals) {
      if (g == topics[t]) sc.topic_goal[t] = 1.0;
    }
  }
  const auto& types = set.content_type_names();
  sc.type_declared.assign(types.size(), 0.0);
  sc.type_learned.assign(types.size(), 0.0);
  for (std::size_t t = 0; t < types.size(); ++t) {
    for (const auto& p : prefs.preferred_content_types) {
      if (p == types[t]) sc.type_declared[t] = 1.0;
    }
  }
  std::vector<std::uint8_t> flags(n, 0);
  if (granted) {
    for (const auto& [id, item] : profile.items()) {
      if (!item.flagged()) continue;
      auto idx = set.index_of(id);
      if (!idx) continue;
      flags[*idx] = static_cast<std::uint8_t>((item.completed ? kCompleted : 0) | (item.dismissed ? kDismissed : 0) |
                                              (item.thumbs_down ? kThumbsDown : 0));
    }
  }
  if (personalized) {
    const auto& affinities = profile.topic_affinities();
    if (!affinities.empty() && !topics.empty()) {
      std::unordered_map<std::string_view, double> by_name;
      by_name.reserve(affinities.size() * 2);
      for (const auto& [t, a] : affinities) by_name.emplace(t, a);
      for (std::size_t t = 0; t < topics.size(); ++t) {
        auto it = by_name.find(topics[t]);
        if (it != by_name.end()) sc.topic_learned[t] = it->second;
      }
    }
    for (const auto& [type, share] : profile.content_type_affinities()) {
      for (std::size_t t = 0; t < types.size(); ++t) {
        if (types[t] == type) sc.type_learned[t] = share;
      }
    }
    sc.interest = &profile.interest_vector(set.dim());
    sc.recent = &profile.recent_interest_vector(set.dim());
    sc.negatives = profile.thumbs_down_embeddings(set.dim(), opt.max_negative_examples);
    sc.pack_queries();
    sc.level = profile.level_estimate();
    sc.target = std::clamp(sc.level + stretch_of(prefs.difficulty_preference), 1.0, 3.0);
    for (int k = 0; k < 3; ++k) sc.difficulty_fit_table[k] = sc.difficulty_fit(k + 1.0);
  }

  const bool free_only = opt.free_only.value_or(prefs.free_only);
  std::vector<std::uint32_t> pool;
  std::vector<double> relevance;
  pool.reserve(n);
  relevance.reserve(n);
  double v[kFactorCount], contrib[kFactorCount];
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint8_t f = flags[i];
    if (f & kDismissed) { ++result.filtered_dismissed; continue; }
    if (f & kThumbsDown) { ++result.filtered_thumbs_down; continue; }
    if ((f & kCompleted) && opt.exclude_completed) { ++result.filtered_completed; continue; }
    const bool is_free = set[i].free;
    if ((free_only && !is_free) || (!opt.include_free && is_free)) { ++result.filtered_free; continue; }
    sc.raw(i, v);
    pool.push_back(static_cast<std::uint32_t>(i));
    relevance.push_back(sc.score(v, contrib));
  }
  result.eligible = pool.size();
  if (pool.empty()) return result;

  // Diversify only the head (see RerankOptions::diversity_pool_factor).
  const std::size_t head =
      opt.diversity_pool_factor == 0 ? pool.size()
                                     : std::max(opt.diversity_pool_min, opt.diversity_pool_factor * opt.limit);
  if (opt.diversity > 0.0 && head < pool.size()) {
    const std::uint32_t* rank = set.id_ranks();
    std::vector<std::uint32_t> slots(pool.size());
    for (std::uint32_t j = 0; j < slots.size(); ++j) slots[j] = j;
    std::nth_element(slots.begin(), slots.begin() + static_cast<std::ptrdiff_t>(head), slots.end(),
                     [&](std::uint32_t a, std::uint32_t b) {
                       if (relevance[a] != relevance[b]) return relevance[a] > relevance[b];
                       return rank[pool[a]] < rank[pool[b]];
                     });
    slots.resize(head);
    std::vector<std::uint32_t> head_pool(head);
    std::vector<double> head_relevance(head);
    for (std::size_t j = 0; j < head; ++j) {
      head_pool[j] = pool[slots[j]];
      head_relevance[j] = relevance[slots[j]];
    }
    pool.swap(head_pool);
    relevance.swap(head_relevance);
  }

  const std::vector<std::uint32_t> picks =
      select_by_mmr(set.unit_row(0), set.dim(), pool, relevance, set.id_ranks(), opt.limit, 1.0 - opt.diversity,
                    opt.diversity_similarity_floor);
  result.items.reserve(picks.size());
  for (std::uint32_t i : picks) {
    RankedItem item;
    item.id = set[i].id;
    item.index = i;
    sc.raw(i, v);
    item.score = sc.score(v, item.factors.data());
    if (opt.explain) {
      std::size_t strongest = 0;
      for (std::size_t f = 0; f < kFactorCount; ++f) {
        // A factor with weight 0 contributes nothing: no text for it.
        if (sc.weights.w[f] != 0.0) item.details[f] = sc.detail(static_cast<Factor>(f), i, v);
        if (sc.weights.w[f] != 0.0 && (sc.weights.w[strongest] == 0.0 || item.factors[f] > item.factors[strongest])) {
          strongest = f;
        }
      }
      item.reason = item.details[strongest];
    }
    result.items.push_back(std::move(item));
  }
  return result;
}

json to_json(const RerankResult& r) {
  json out = json::object();
  out["source"] = r.source;
  if (!r.fallback_reason.empty()) out["reason"] = r.fallback_reason;
  out["algorithm_version"] = r.algorithm_version;
  json items = json::array();
  for (const auto& item : r.items) {
    json factors = json::array();
    for (std::size_t f = 0; f < kFactorCount; ++f) {
      factors.push_back({{"name", std::string(to_string(static_cast<Factor>(f)))},
                         {"value", item.factors[f]},
                         {"detail", item.details[f]}});
    }
    items.push_back({{"id", item.id}, {"index", item.index}, {"score", item.score}, {"reason", item.reason},
                     {"factors", std::move(factors)}});
  }
  out["items"] = std::move(items);
  out["stats"] = {{"candidates", r.candidates},
                  {"eligible", r.eligible},
                  {"filtered_completed", r.filtered_completed},
                  {"filtered_dismissed", r.filtered_dismissed},
                  {"filtered_thumbs_down", r.filtered_thumbs_down},
                  {"filtered_free", r.filtered_free}};
  return out;
}

}  // namespace gradvy
