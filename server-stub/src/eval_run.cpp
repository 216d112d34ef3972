#include "gradvy_sync/eval_run.hpp"

#include <chrono>
#include <cstdio>
#include <map>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "gradvy/profile.hpp"
#include "gradvy/profile_event.hpp"
#include "gradvy/rerank_candidates.hpp"
#include "gradvy/reranker.hpp"
#include "gradvy_sync/eval_popularity.hpp"

namespace gradvy_sync {

namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// A catalogue slice as the reranker sees it: metadata + one n × d buffer.
struct CourseCatalogue {
  std::vector<std::uint32_t> items;  // item indices, ascending
  gradvy::CandidateSet set;
};

gradvy::Candidate make_candidate(const CatalogueItem& item, std::uint32_t popularity) {
  gradvy::Candidate c;
  c.id = item.id;
  c.popularity = popularity;
  c.content_type = item.activity_type;
  return c;
}

std::vector<float> rows_of(const ItemEmbeddings& e, const std::vector<std::uint32_t>& items) {
  std::vector<float> buffer(items.size() * static_cast<std::size_t>(e.dim));
  for (std::size_t r = 0; r < items.size(); ++r) {
    for (int d = 0; d < e.dim; ++d) buffer[r * e.dim + d] = e.vectors(items[r], d);
  }
  return buffer;
}

gradvy::CandidateSet make_set(const InteractionData& data, const ItemEmbeddings& e,
                              const std::vector<std::uint32_t>& items, const std::vector<std::uint32_t>& popularity) {
  std::vector<gradvy::Candidate> candidates;
  candidates.reserve(items.size());
  for (std::uint32_t i : items) candidates.push_back(make_candidate(data.items[i], popularity[i]));
  const std::vector<float> buffer = rows_of(e, items);
  auto set = gradvy::CandidateSet::create(std::move(candidates), buffer.data(), items.size(),
                                          static_cast<std::size_t>(e.dim));
  if (!set.ok()) throw std::runtime_error("reranker refused the candidates: " + set.message());
  return std::move(set).value();
}

}  // namespace

// Empty: the eval measures what ships. (Until 2026-12 it used half_life_days 3
// and diversity 0; the short-term interest vector and the near-duplicate MMR
// floor made those overrides unnecessary, see docs/BENCHMARKS.md.)
const char* eval_default_profile_json() { return "{}"; }
const char* eval_default_rerank_json() { return "{}"; }

EvalConfig EvalConfig::defaults() {
  EvalConfig config;
  auto profile = gradvy::ProfileConfig::from_json(nlohmann::json::parse(eval_default_profile_json()));
  auto rerank = gradvy::RerankOptions::from_json_text(eval_default_rerank_json());
  if (profile.ok()) config.profile = profile.value();
  if (rerank.ok()) config.rerank = rerank.value();
  return config;
}

EvalReport run_evaluation(const InteractionData& data, const EvalConfig& config) {
  EvalReport report;
  auto say = [&](const std::string& line) {
    if (config.progress) config.progress(line);
  };
  const std::vector<UserSplit> splits = temporal_split(data, config.split);
  report.users = splits.size();
  for (const auto& s : splits) report.test_items += s.test_items.size();
  say("split: " + std::to_string(splits.size()) + " users evaluated, " + std::to_string(report.test_items) +
      " held-out items");

  const InteractionData train = training_part(data, splits);
  const std::vector<std::uint32_t> popularity = item_popularity(train);

  auto started = Clock::now();
  say("embedding the training part (" + std::to_string(train.interactions.size()) + " interactions)");
  const ItemEmbeddings embeddings = embed_items(train, config.embed);
  report.content_vectors = embeddings.content_items;
  report.seconds_embed = seconds_since(started);

  // Catalogue per course (catalogue items only; everything when there is no course column).
  std::map<std::string, std::vector<std::uint32_t>> course_items;
  for (std::uint32_t i = 0; i < data.items.size(); ++i) {
    if (!data.items[i].in_catalogue) continue;
    course_items[data.has_course ? data.items[i].course : std::string()].push_back(i);
  }
  std::map<std::string, gradvy::CandidateSet> course_sets;

  gradvy::RerankOptions rerank_options = config.rerank;
  rerank_options.limit = config.k;
  rerank_options.explain = false;

  RankingMetricsAccumulator popular(config.k), personal(config.k);
  started = Clock::now();
  std::size_t done = 0;
  for (const UserSplit& split : splits) {
    const std::string course = data.has_course ? user_course(data, split) : std::string();
    const auto& catalogue = course_items[course];
    std::vector<std::uint32_t> candidates;
    for (std::uint32_t i : catalogue) {
      if (!std::binary_search(split.train_items.begin(), split.train_items.end(), i)) candidates.push_back(i);
    }
    if (candidates.empty()) {
      // Nothing left to recommend: both rankings score zero for this user.
      popular.add({}, split.test_items, {});
      personal.add({}, split.test_items, {});
      continue;
    }
    popular.add(rank_by_popularity(candidates, popularity), split.test_items, candidates);

    gradvy::LearnerProfile profile(config.profile);
    for (std::size_t r = split.train_begin; r < split.train_end; ++r) {
      const Interaction& x = data.interactions[r];
      gradvy::ProfileEvent event;
      event.kind = gradvy::ProfileEvent::Kind::course_interaction;
      event.action = gradvy::ProfileEvent::Action::view;
      event.item_id = data.items[x.item].id;
      event.weight = x.weight;
      event.content_type = data.items[x.item].activity_type;
      event.ts = x.ts_ms;
      const gradvy::Status s = profile.observe(event);
      if (!s.ok()) throw std::runtime_error("profile refused a training event: " + s.message());
    }
    auto set_it = course_sets.find(course);
    if (set_it == course_sets.end()) {
      set_it = course_sets.emplace(course, make_set(data, embeddings, catalogue, popularity)).first;
    }
    gradvy::remember_candidates(profile, set_it->second);

    const gradvy::CandidateSet user_set = make_set(data, embeddings, candidates, popularity);
    auto ranked = gradvy::rerank(profile, user_set, rerank_options, /*personalization_granted=*/true, split.split_ts);
    if (!ranked.ok()) throw std::runtime_error("reranker failed: " + ranked.message());
    if (ranked->source != "personalized") ++report.cold_fallbacks;
    std::vector<std::uint32_t> order;
    order.reserve(ranked->items.size());
    for (const auto& item : ranked->items) order.push_back(candidates[item.index]);
    personal.add(order, split.test_items, candidates);
    if (++done % 100 == 0) say("ranked " + std::to_string(done) + " of " + std::to_string(splits.size()) + " users");
  }
  report.seconds_rank = seconds_since(started);
  report.popularity = popular.result();
  report.personalized = personal.result();
  return report;
}

std::string format_eval_report(const EvalReport& r, const EvalConfig& config) {
  std::string out;
  char line[160];
  auto add = [&](const char* name, double value) {
    std::snprintf(line, sizeof line, "%s=%.4f\n", name, value);
    out += line;
  };
  auto add_count = [&](const char* name, std::size_t value) {
    std::snprintf(line, sizeof line, "%s=%zu\n", name, value);
    out += line;
  };
  add_count("users", r.users);
  add_count("test_items", r.test_items);
  add_count("k", config.k);
  const std::string k = std::to_string(config.k);
  for (const auto& [name, m] : {std::pair<const char*, const RankingMetrics*>{"popularity", &r.popularity},
                                {"personalized", &r.personalized}}) {
    add((std::string(name) + ".ndcg@" + k).c_str(), m->ndcg);
    add((std::string(name) + ".recall@" + k).c_str(), m->recall);
    add((std::string(name) + ".coverage@" + k).c_str(), m->coverage);
  }
  add("personalized_over_popularity.ndcg", r.popularity.ndcg > 0 ? r.personalized.ndcg / r.popularity.ndcg : 0.0);
  add_count("personalized.fallback_users", r.cold_fallbacks);
  add_count("catalogue_items_candidates", r.personalized.candidate_items);
  add_count("items_content_vectors", r.content_vectors);
  return out;
}

}  // namespace gradvy_sync
