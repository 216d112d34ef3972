// Reranker benchmark: 1,000 candidates x 64 dims, top 20 with MMR (diversity
// 0.6), a warm profile of 200 tracked items with 5 thumbs-downs. Prints
// `name=value unit` lines; never fails on time.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "gradvy/reranker.hpp"

using namespace gradvy;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::size_t kN = 1000, kD = 64;
std::size_t kRuns = 2000;  // `bench_rerank quick`: 50 (for profilers)
constexpr std::int64_t kNow = 1700000000000;

// CPU time of this thread: on a shared, overloaded machine wall time mostly
// measures the scheduler; both are printed.
double thread_cpu_us() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

template <typename Fn>
void measure(const char* name, Fn&& fn, std::size_t runs = kRuns) {
  std::vector<double> wall, cpu;
  wall.reserve(runs);
  cpu.reserve(runs);
  for (std::size_t i = 0; i < 20; ++i) fn();  // warm-up
  for (std::size_t i = 0; i < runs; ++i) {
    const double c0 = thread_cpu_us();
    const auto t0 = Clock::now();
    fn();
    wall.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
    cpu.push_back(thread_cpu_us() - c0);
  }
  std::sort(wall.begin(), wall.end());
  std::sort(cpu.begin(), cpu.end());
  std::printf("%s_median=%.1f us\n%s_p95=%.1f us\n%s_cpu_median=%.1f us\n%s_cpu_p95=%.1f us\n", name,
              wall[wall.size() / 2], name, wall[wall.size() * 95 / 100], name, cpu[cpu.size() / 2], name,
              cpu[cpu.size() * 95 / 100]);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::string(argv[1]) == "quick") kRuns = 50;
  std::mt19937 gen(42);
  std::normal_distribution<float> normal;
  std::uniform_real_distribution<double> uni(0, 1);
  const char* topics[] = {"Python", "JavaScript", "Data", "ML", "Design", "Cooking", "Music", "Business"};
  const char* types[] = {"video", "course", "article", "quiz"};
  std::vector<Candidate> candidates(kN);
  nlohmann::json candidates_json = nlohmann::json::array();
  for (std::size_t i = 0; i < kN; ++i) {
    Candidate& c = candidates[i];
    c.id = "course-" + std::to_string(i);
    c.topics = {topics[i % 8], topics[(i / 8) % 8]};
    c.difficulty = 1 + static_cast<double>(i % 3);
    c.rating = 3 + 2 * uni(gen);
    c.rating_count = std::floor(uni(gen) * 1000);
    c.free = i % 4 == 0;
    c.popularity = std::floor(std::exp(uni(gen) * 10));
    c.content_type = types[i % 4];
    c.duration_minutes = 30 + std::floor(uni(gen) * 600);
    if (i % 5 == 0) c.prerequisites = {"course-" + std::to_string((i + 7) % kN)};
    c.published_at = kNow - static_cast<std::int64_t>(uni(gen) * 400 * 86400000.0);
    candidates_json.push_back({{"id", c.id}, {"topics", c.topics}, {"difficulty", c.difficulty}, {"rating", c.rating},
                               {"rating_count", c.rating_count}, {"free", c.free}, {"popularity", c.popularity},
                               {"content_type", c.content_type}, {"duration_minutes", c.duration_minutes},
                               {"prerequisites", c.prerequisites}, {"published_at", c.published_at}});
  }
  std::vector<float> embeddings(kN * kD);
  for (auto& x : embeddings) x = normal(gen);

  LearnerProfile profile;
  profile.set_preferences_json(R"({"goals":["python","data"],"preferred_content_types":["video"],"weekly_minutes":180})").ok();
  for (int i = 0; i < 200; ++i) {
    ProfileEvent e;
    e.kind = ProfileEvent::Kind::course_interaction;
    e.item_id = "course-" + std::to_string((i * 37) % kN);
    e.action = i % 10 == 0 ? ProfileEvent::Action::complete : ProfileEvent::Action::progress;
    e.ts = kNow - (200 - i) * 3600000LL;
    profile.observe(e).ok();
  }
  LearnerProfile no_feedback = profile;  // same history, no thumbs-down items
  for (int i = 0; i < 5; ++i) {
    ProfileEvent e;
    e.kind = ProfileEvent::Kind::recommendation_feedback;
    e.item_id = "course-" + std::to_string(500 + i);
    e.feedback = ProfileEvent::Feedback::thumbs_down;
    e.ts = kNow - 1000 + i;
    profile.observe(e).ok();
  }

  auto set = CandidateSet::create(candidates, embeddings.data(), kN, kD);
  if (!set.ok()) {
    std::printf("error=%s\n", set.message().c_str());
    return 1;
  }
  RerankOptions options;  // limit 20, diversity 0.6, explain on
  auto first = rerank(profile, *set, options, true, kNow);
  std::printf("rerank_source=%s\nrerank_items=%zu\n", first->source.c_str(), first->items.size());

  measure("rerank_prepared_explain", [&] { auto r = rerank(profile, *set, options, true, kNow); });
  auto warm = rerank(no_feedback, *set, options, true, kNow);
  measure("rerank_prepared_explain_no_thumbs_down", [&] { auto r = rerank(no_feedback, *set, options, true, kNow); });
  RerankOptions quiet = options;
  quiet.explain = false;
  measure("rerank_prepared_no_explain", [&] { auto r = rerank(profile, *set, quiet, true, kNow); });
  RerankOptions no_mmr = options;
  no_mmr.diversity = 0;
  measure("rerank_prepared_no_mmr", [&] { auto r = rerank(profile, *set, no_mmr, true, kNow); });
  RerankOptions plain_mmr = options;  // every positive cosine counts as redundancy (the pre-2026-12 MMR)
  plain_mmr.diversity_similarity_floor = 0;
  measure("rerank_prepared_plain_mmr", [&] { auto r = rerank(profile, *set, plain_mmr, true, kNow); });
  measure("rerank_fallback_no_consent", [&] { auto r = rerank(profile, *set, options, false, kNow); });
  measure("candidate_set_create", [&] { auto s = CandidateSet::create(candidates, embeddings.data(), kN, kD); }, std::max<std::size_t>(kRuns / 4, 10));
  measure("rerank_one_shot", [&] { auto r = rerank(profile, candidates, embeddings.data(), kN, kD, options, true, kNow); }, std::max<std::size_t>(kRuns / 4, 10));
  const std::string text = candidates_json.dump();
  measure("candidates_from_json", [&] { auto c = candidates_from_json(text); }, std::max<std::size_t>(kRuns / 10, 5));
  measure("result_to_json_dump", [&] { auto s = to_json(*first).dump(); }, std::max<std::size_t>(kRuns / 4, 10));
  return 0;
}
