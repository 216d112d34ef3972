// Reranker: scenarios, factors, filters, determinism and errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>

#include <nlohmann/json.hpp>

#include "gradvy/rerank_mmr.hpp"
#include "gradvy/reranker.hpp"
#include "test_ranker_fixtures.hpp"

using namespace gradvy;
using namespace gradvy_test;
using A = ProfileEvent::Action;
using F = ProfileEvent::Feedback;

namespace {

std::vector<std::string> ids(const RerankResult& r) {
  std::vector<std::string> out;
  for (const auto& item : r.items) out.push_back(item.id);
  return out;
}

std::ptrdiff_t position(const RerankResult& r, const std::string& id) {
  const auto v = ids(r);
  auto it = std::find(v.begin(), v.end(), id);
  return it == v.end() ? -1 : it - v.begin();
}

const RankedItem* find(const RerankResult& r, const std::string& id) {
  for (const auto& item : r.items) {
    if (item.id == id) return &item;
  }
  return nullptr;
}

double factor(const RankedItem& item, Factor f) { return item.factors[static_cast<std::size_t>(f)]; }

LearnerProfile python_learner() {
  LearnerProfile p;
  p.observe(interaction("py-101", A::complete, kNow - 30 * kDay)).ok();
  p.observe(interaction("py-102", A::complete, kNow - 20 * kDay)).ok();
  p.observe(interaction("py-data-basics", A::complete, kNow - 10 * kDay)).ok();
  return p;
}

RerankResult run(LearnerProfile& p, const CandidateSet& set, RerankOptions o = RerankOptions(), bool granted = true,
                 std::int64_t now = kNow) {
  auto r = rerank(p, set, o, granted, now);
  EXPECT_TRUE(r.ok()) << r.message();
  return r.ok() ? std::move(r).value() : RerankResult();
}

}  // namespace

TEST(RerankScenario, ThreeCompletedPythonCoursesPutIntermediatePythonFirst) {
  const Catalogue cat = python_catalogue();
  const CandidateSet set = make_set(cat);
  LearnerProfile p = python_learner();  // events carry no topics: learned from the candidates
  const RerankResult r = run(p, set);
  ASSERT_EQ(r.source, "personalized");
  ASSERT_FALSE(r.items.empty());
  EXPECT_EQ(r.items[0].id, "py-intermediate") << nlohmann::json(ids(r)).dump();
  // The completed courses are not offered again.
  for (const char* done : {"py-101", "py-102", "py-data-basics"}) EXPECT_EQ(position(r, done), -1) << done;
  EXPECT_EQ(r.filtered_completed, 3u);
  // It says why.
  EXPECT_NE(r.items[0].reason, "");
  EXPECT_NE(r.items[0].details[static_cast<std::size_t>(Factor::progression)].find("completed all"), std::string::npos);
  // The learner's level moved up from the completed beginner courses.
  EXPECT_GT(p.level_estimate(), 1.0);
}

TEST(RerankScenario, DeclaredGoalLiftsMatchingCourseWithReason) {
  const Catalogue cat = python_catalogue();
  const CandidateSet set = make_set(cat);
  LearnerProfile p;
  ASSERT_TRUE(p.set_preferences_json(R"({"goals":["machine learning"]})").ok());
  const RerankResult r = run(p, set);  // cold: fallback for the declared goal
  EXPECT_EQ(r.source, "fallback");
  EXPECT_EQ(r.items[0].id, "ml-intro");
  EXPECT_EQ(r.items[0].details[static_cast<std::size_t>(Factor::goal_match)],
            "covers Machine Learning, one of your goals");
}

TEST(RerankScenario, ThumbsDownDemotesItemAndNearNeighbours) {
  const Catalogue cat = python_catalogue();
  const CandidateSet set = make_set(cat);
  LearnerProfile p;
  p.observe(interaction("js-101", A::view, kNow - 2 * kDay)).ok();
  p.observe(interaction("py-101", A::view, kNow - 2 * kDay)).ok();
  p.observe(interaction("ml-intro", A::view, kNow - 2 * kDay)).ok();
  RerankOptions o;
  o.diversity = 0.0;
  o.limit = 9;
  const RerankResult before = run(p, set, o);
  ASSERT_EQ(before.source, "personalized");
  ASSERT_NE(find(before, "js-react"), nullptr);

  ASSERT_TRUE(p.observe(feedback("js-101", F::thumbs_down, kNow - kDay)).ok());
  const RerankResult after = run(p, set, o);
  EXPECT_EQ(position(after, "js-101"), -1);  // the item itself is gone
  EXPECT_EQ(after.filtered_thumbs_down, 1u);
  const RankedItem* neighbour_before = find(before, "js-react");
  const RankedItem* neighbour_after = find(after, "js-react");
  ASSERT_NE(neighbour_after, nullptr);
  EXPECT_LT(neighbour_after->score, neighbour_before->score);
  EXPECT_LT(factor(*neighbour_after, Factor::feedback), 0.0);
  // It falls behind an unrelated item it used to outrank, to the end of the list.
  EXPECT_LT(position(before, "js-react"), position(before, "cooking-pasta"));
  EXPECT_GT(position(after, "js-react"), position(after, "cooking-pasta"));
  EXPECT_EQ(position(after, "js-react"), static_cast<std::ptrdiff_t>(after.items.size()) - 1);
  // A far-away item is not penalised by the feedback factor.
  EXPECT_EQ(factor(*find(after, "cooking-pasta"), Factor::feedback), 0.0);
  EXPECT_EQ(neighbour_after->details[static_cast<std::size_t>(Factor::feedback)],
            "similar to something you marked as not for you");
}

TEST(RerankScenario, DismissedItemNeverReturns) {
  const Catalogue cat = python_catalogue();
  const CandidateSet set = make_set(cat);
  LearnerProfile p = python_learner();
  ASSERT_TRUE(p.observe(feedback("cooking-pasta", F::dismissed, kNow - kDay)).ok());
  RerankOptions o;
  o.limit = 100;
  for (double diversity : {0.0, 0.6, 1.0}) {
    o.diversity = diversity;
    EXPECT_EQ(position(run(p, set, o), "cooking-pasta"), -1);
  }
  o.exclude_completed = false;
  const RerankResult r = run(p, set, o);
  EXPECT_EQ(position(r, "cooking-pasta"), -1);
  EXPECT_EQ(r.filtered_dismissed, 1u);
  EXPECT_NE(position(r, "py-101"), -1);  // completed items may come back on request
}

TEST(RerankScenario, ThumbsUpChangesTheVeryNextRanking) {
  const Catalogue cat = python_catalogue();
  const CandidateSet set = make_set(cat);
  LearnerProfile p = python_learner();
  RerankOptions o;
  o.diversity = 0;
  o.limit = 20;
  const RerankResult before = run(p, set, o);
  const auto cooking_before = position(before, "cooking-pasta");
  for (int i = 0; i < 3; ++i) p.observe(feedback("cooking-pasta", F::thumbs_up, kNow - 1000 + i)).ok();
  const RerankResult after = run(p, set, o);
  EXPECT_LT(position(after, "cooking-pasta"), cooking_before);
  EXPECT_GT(find(after, "cooking-pasta")->score, find(before, "cooking-pasta")->score);
}

TEST(RerankFallback, NoConsentIsLabelledAndIgnoresBehaviour) {
  const Catalogue cat = python_catalogue();
  const CandidateSet set = make_set(cat);
  LearnerProfile p = python_learner();
  p.observe(feedback("cooking-pasta", F::dismissed, kNow - kDay)).ok();
  const std::string before = p.to_json().dump();
  RerankOptions o;
  o.diversity = 0;
  const RerankResult r = run(p, set, o, /*granted=*/false);
  EXPECT_EQ(r.source, "fallback");
  EXPECT_EQ(r.fallback_reason, "no personalization consent");
  EXPECT_EQ(r.algorithm_version, "gradvy-rerank-2");
  EXPECT_EQ(r.items[0].id, "cooking-pasta");  // most popular; learned state not read
  for (const auto& item : r.items) EXPECT_EQ(factor(item, Factor::interest), 0.0);
  EXPECT_EQ(p.to_json().dump(), before);  // not written either
  const auto j = to_json(r);
  EXPECT_EQ(j["source"], "fallback");
  EXPECT_EQ(j["reason"], "no personalization consent");
}

TEST(RerankFallback, ColdProfileFallsBackWithReason) {
  const Catalogue cat = python_catalogue();
  const CandidateSet set = make_set(cat);
  LearnerProfile p;
  p.observe(interaction("py-101", A::view, kNow - kDay)).ok();  // 1 < 3 events
  const RerankResult r = run(p, set);
  EXPECT_EQ(r.source, "fallback");
  EXPECT_EQ(r.fallback_reason, "not enough activity yet");
  LearnerProfile warm = python_learner();
  const RerankResult w = run(warm, set);
  EXPECT_EQ(w.source, "personalized");
  EXPECT_EQ(w.fallback_reason, "");
  EXPECT_EQ(to_json(w).count("reason"), 0u);
}

TEST(RerankFactors, FactorsSumToScoreExactly) {
  const Catalogue cat = python_catalogue();
  const CandidateSet set = make_set(cat);
  LearnerProfile p = python_learner();
  p.set_preferences_json(R"({"goals":["python"],"preferred_content_types":["course"],"weekly_minutes":120})").ok();
  p.observe(feedback("js-101", F::thumbs_down, kNow - kDay)).ok();
  RerankOptions o;
  o.limit = 100;
  for (bool granted : {true, false}) {
    const RerankResult r = run(p, set, o, granted);
    ASSERT_FALSE(r.items.empty());
    for (const auto& item : r.items) {
      const double sum = std::accumulate(item.factors.begin(), item.factors.end(), 0.0);
      EXPECT_NEAR(sum, item.score, 1e-6) << item.id;
    }
    const auto j = to_json(r);
    for (const auto& item : j["items"]) {
      double sum = 0;
      for (const auto& f : item["factors"]) sum += f["value"].get<double>();
      EXPECT_NEAR(sum, item["score"].get<double>(), 1e-6);
    }
  }
}

// One candidate set, one factor switched on at a time.
class SingleFactor : public ::testing::Test {
 protected:
  RerankOptions only(Factor f, double w = 1.0) {
    RerankOptions o;
    o.weights = RerankWeights();
    o.weights[f] = w;
    o.fallback_weights = o.weights;
    o.diversity = 0;
    o.limit = 100;
    return o;
  }
};

TEST_F(SingleFactor, RatingUsesBayesianAverage) {
  Catalogue cat;
  cat.add(course("few-perfect", {}, 0, 0, 5.0, 1), {1});
  cat.add(course("many-good", {}, 0, 0, 4.6, 500), {0, 1});
  cat.add(course("unrated", {}, 0, 0, 0, 0), {0, 0, 1});
  const CandidateSet set = make_set(cat);
  LearnerProfile p;
  RerankOptions o = only(Factor::rating);
  const RerankResult r = run(p, set, o);
  EXPECT_EQ(ids(r), (std::vector<std::string>{"many-good", "few-perfect", "unrated"}));
  // (10 * 3.5 + 1 * 5) / 11 / 5
  EXPECT_NEAR(find(r, "few-perfect")->score, (35.0 + 5.0) / 11.0 / 5.0, 1e-12);
  EXPECT_NEAR(find(r, "unrated")->score, 3.5 / 5.0, 1e-12);
  o.consider_ratings = false;
  for (const auto& item : run(p, set, o).items) EXPECT_EQ(item.score, 0.0);
  o.consider_ratings = true;
  o.rating_prior_count = 0;  // no prior: the raw mean wins
  EXPECT_EQ(run(p, set, o).items[0].id, "few-perfect");
}

TEST_F(SingleFactor, PopularityIsLogScaled) {
  Catalogue cat;
  cat.add(course("a", {}, 0, 9), {1});
  cat.add(course("b", {}, 0, 99), {0, 1});
  cat.add(course("c", {}, 0, 0), {0, 0, 1});
  const CandidateSet set = make_set(cat);
  LearnerProfile p;
  const RerankResult r = run(p, set, only(Factor::popularity));
  EXPECT_EQ(ids(r), (std::vector<std::string>{"b", "a", "c"}));
  EXPECT_NEAR(find(r, "b")->score, 1.0, 1e-12);
  EXPECT_NEAR(find(r, "a")->score, std::log(10.0) / std::log(100.0), 1e-12);
  EXPECT_EQ(find(r, "c")->score, 0.0);
}

TEST_F(SingleFactor, DifficultyFitsLevelPlusStretch) {
  Catalogue cat;
  cat.add(course("beginner", {}, 1), {1});
  cat.add(course("intermediate", {}, 2), {0, 1});
  cat.add(course("advanced", {}, 3), {0, 0, 1});
  cat.add(course("unknown", {}, 0), {0, 0, 0, 1});
  const CandidateSet set = make_set(cat);
  LearnerProfile p = python_learner();
  p.set_preferences_json(R"({"experience_level":"intermediate","difficulty_preference":"comfortable"})").ok();
  RerankResult r = run(p, set, only(Factor::difficulty));
  EXPECT_EQ(r.items[0].id, "intermediate");
  EXPECT_NEAR(find(r, "unknown")->score, 0.5, 1e-12);
  p.set_preferences_json(R"({"experience_level":"advanced","difficulty_preference":"challenge"})").ok();
  r = run(p, set, only(Factor::difficulty));
  EXPECT_EQ(r.items[0].id, "advanced");
  p.set_preferences_json(R"({"experience_level":"beginner","difficulty_preference":"comfortable"})").ok();
  EXPECT_EQ(run(p, set, only(Factor::difficulty)).items[0].id, "beginner");
}

TEST_F(SingleFactor, LevelEstimateRisesWithQuizResults) {
  LearnerProfile p;
  p.set_preferences_json(R"({"experience_level":"beginner"})").ok();
  const double start = p.level_estimate();
  ProfileEvent quiz;
  quiz.kind = ProfileEvent::Kind::quiz_attempt;
  quiz.score = 10;
  quiz.total_questions = 10;
  quiz.difficulty = 2;
  quiz.ts = kNow;
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(p.observe(quiz).ok());
  EXPECT_GT(p.level_estimate(), start + 0.5);
  quiz.score = 1;
  LearnerProfile q;
  q.set_preferences_json(R"({"experience_level":"advanced"})").ok();
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(q.observe(quiz).ok());
  EXPECT_LT(q.level_estimate(), 3.0 - 0.5);
}

TEST_F(SingleFactor, ProgressionRewardsCompletedPrerequisites) {
  Catalogue cat;
  auto ready = course("ready", {}, 0);
  ready.prerequisites = {"basics"};
  auto half = course("half", {}, 0);
  half.prerequisites = {"basics", "other"};
  auto blocked = course("blocked", {}, 0);
  blocked.prerequisites = {"other"};
  cat.add(ready, {1});
  cat.add(half, {0, 1});
  cat.add(blocked, {0, 0, 1});
  cat.add(course("none", {}, 0), {0, 0, 0, 1});
  const CandidateSet set = make_set(cat);
  LearnerProfile p;
  for (int i = 0; i < 3; ++i) p.observe(interaction("basics", A::complete, kNow - kDay + i)).ok();
  const RerankResult r = run(p, set, only(Factor::progression));
  EXPECT_EQ(ids(r), (std::vector<std::string>{"ready", "half", "none", "blocked"}));
  EXPECT_NEAR(find(r, "ready")->score, 1.0, 1e-12);
  EXPECT_NEAR(find(r, "half")->score, 0.25, 1e-12);
  EXPECT_NEAR(find(r, "blocked")->score, -0.5, 1e-12);
}

TEST_F(SingleFactor, ContentTypeDeclaredAndLearned) {
  Catalogue cat;
  auto video = course("video", {}, 0);
  video.content_type = "Video";
  auto article = course("article", {}, 0);
  article.content_type = "article";
  auto quiz = course("quiz", {}, 0);
  quiz.content_type = "quiz";
  cat.add(video, {1});
  cat.add(article, {0, 1});
  cat.add(quiz, {0, 0, 1});
  const CandidateSet set = make_set(cat);
  LearnerProfile p;
  p.set_preferences_json(R"({"preferred_content_types":["video"]})").ok();
  RerankResult r = run(p, set, only(Factor::content_type));  // declared counts in the fallback too
  EXPECT_EQ(r.items[0].id, "video");
  EXPECT_EQ(r.items[0].details[static_cast<std::size_t>(Factor::content_type)], "video, a format you prefer");
  LearnerProfile learner;
  for (int i = 0; i < 4; ++i) {
    ProfileEvent e = interaction("q" + std::to_string(i), A::progress, kNow - kDay + i);
    e.content_type = "quiz";
    learner.observe(e).ok();
  }
  r = run(learner, set, only(Factor::content_type));
  EXPECT_EQ(r.items[0].id, "quiz");
  EXPECT_NEAR(r.items[0].score, 1.0, 1e-12);
}

TEST_F(SingleFactor, FreshnessHalvesEveryHalfLife) {
  Catalogue cat;
  auto fresh = course("fresh", {}, 0);
  fresh.published_at = kNow;
  auto old = course("old", {}, 0);
  old.published_at = kNow - 180 * kDay;
  cat.add(fresh, {1});
  cat.add(old, {0, 1});
  cat.add(course("undated", {}, 0), {0, 0, 1});
  const CandidateSet set = make_set(cat);
  LearnerProfile p;
  const RerankResult r = run(p, set, only(Factor::freshness));
  EXPECT_NEAR(find(r, "fresh")->score, 1.0, 1e-12);
  EXPECT_NEAR(find(r, "old")->score, 0.5, 1e-12);
  EXPECT_EQ(find(r, "undated")->score, 0.0);
}

TEST_F(SingleFactor, TimeFitUsesWeeklyBudget) {
  Catalogue cat;
  auto short_course = course("short", {}, 0);
  short_course.duration_minutes = 300;
  auto long_course = course("long", {}, 0);
  long_course.duration_minutes = 120 * 12;  // 12 weeks at 2 h/week
  cat.add(short_course, {1});
  cat.add(long_course, {0, 1});
  const CandidateSet set = make_set(cat);
  LearnerProfile p;
  p.set_preferences_json(R"({"weekly_minutes":120})").ok();
  const RerankResult r = run(p, set, only(Factor::time_fit));
  EXPECT_NEAR(find(r, "short")->score, 1.0, 1e-12);
  EXPECT_NEAR(find(r, "long")->score, 0.25, 1e-12);
}

TEST_F(SingleFactor, InterestIsCosineToLearnedVector) {
  const Catalogue cat = python_catalogue();
  const CandidateSet set = make_set(cat);
  LearnerProfile p;
  for (int i = 0; i < 3; ++i) p.observe(interaction("cooking-pasta", A::progress, kNow - kDay + i)).ok();
  RerankOptions o = only(Factor::interest);
  o.exclude_completed = false;
  const RerankResult r = run(p, set, o);
  EXPECT_EQ(r.items[0].id, "cooking-pasta");
  EXPECT_NEAR(r.items[0].score, 1.0, 1e-6);
  EXPECT_LT(find(r, "py-101")->score, 0.1);
}

TEST_F(SingleFactor, RecentInterestFollowsTheLastSessionsInterestKeepsTheLongTerm) {
  const Catalogue cat = python_catalogue();
  const CandidateSet set = make_set(cat);
  LearnerProfile p;
  for (int day = 40; day >= 25; --day) p.observe(interaction("py-101", A::progress, kNow - day * kDay)).ok();
  p.observe(interaction("js-101", A::view, kNow - kDay)).ok();
  RerankOptions o = only(Factor::recent_interest);
  const RerankResult recent = run(p, set, o);
  ASSERT_EQ(recent.source, "personalized");
  // Continues yesterday's JavaScript (the viewed item itself is still a candidate).
  EXPECT_EQ(recent.items[0].id, "js-101");
  EXPECT_EQ(recent.items[1].id, "js-react");
  EXPECT_NE(recent.items[0].details[static_cast<std::size_t>(Factor::recent_interest)].find("what you did most recently"),
            std::string::npos);
  const RerankResult long_term = run(p, set, only(Factor::interest));
  EXPECT_EQ(long_term.items[0].id.rfind("py-", 0), 0u);  // weeks of Python still count
  // Without consent neither is used.
  for (const auto& item : run(p, set, o, /*granted=*/false).items) EXPECT_EQ(factor(item, Factor::recent_interest), 0.0);
}

TEST_F(SingleFactor, GoalMatchFromLearnedTopics) {
  const Catalogue cat = python_catalogue();
  const CandidateSet set = make_set(cat);
  LearnerProfile p;
  for (int i = 0; i < 3; ++i) p.observe(interaction("x" + std::to_string(i), A::complete, kNow - i, {"Cooking"})).ok();
  const RerankResult r = run(p, set, only(Factor::goal_match));
  EXPECT_EQ(r.items[0].id, "cooking-pasta");
  EXPECT_NEAR(r.items[0].score, 0.8, 1e-12);
  EXPECT_EQ(r.items[0].details[0], "covers Cooking, a topic you have been learning");
}

TEST(RerankFilters, FreeOnlyAndIncludeFree) {
  Catalogue cat = python_catalogue();
  cat.items[0].free = true;  // py-101
  cat.items[5].free = true;  // js-101
  const CandidateSet set = make_set(cat);
  LearnerProfile p;
  RerankOptions o;
  o.limit = 100;
  o.free_only = true;
  RerankResult r = run(p, set, o);
  EXPECT_EQ(r.items.size(), 2u);
  EXPECT_EQ(r.filtered_free, cat.items.size() - 2);
  o.free_only.reset();
  p.set_preferences_json(R"({"free_only":true})").ok();  // declared preference is the default
  EXPECT_EQ(run(p, set, o).items.size(), 2u);
  o.free_only = false;
  o.include_free = false;
  r = run(p, set, o);
  EXPECT_EQ(r.items.size(), cat.items.size() - 2);
  EXPECT_EQ(position(r, "py-101"), -1);
}

TEST(RerankDiversity, MmrSpreadsAcrossClusters) {
  Catalogue cat;
  for (int i = 0; i < 5; ++i) cat.add(course("py-" + std::to_string(i), {}, 0, 1000 - i), {1.0f, 0.01f * i});
  cat.add(course("js", {}, 0, 500), {0, 1.0f});
  cat.add(course("cook", {}, 0, 400), {0, 0, 1.0f});
  const CandidateSet set = make_set(cat);
  LearnerProfile p;
  RerankOptions o;
  o.limit = 3;
  o.diversity = 0.0;
  EXPECT_EQ(ids(run(p, set, o)), (std::vector<std::string>{"py-0", "py-1", "py-2"}));
  o.diversity = 0.6;
  EXPECT_EQ(ids(run(p, set, o)), (std::vector<std::string>{"py-0", "js", "cook"}));
}

TEST(RerankDiversity, OnlyNearDuplicatesArePenalized) {
  // Three lessons of one unit (related, cos ~0.6 to each other), then a
  // near-copy of the first, then an unrelated item with the lowest score.
  Catalogue cat;
  cat.add(course("unit-1", {}, 0, 1000), {1.0f, 0.8f, 0, 0, 0});
  cat.add(course("unit-2", {}, 0, 900), {1.0f, 0, 0.8f, 0, 0});
  cat.add(course("unit-3", {}, 0, 800), {1.0f, 0, 0, 0.8f, 0});
  cat.add(course("unit-1-copy", {}, 0, 950), {1.0f, 0.82f, 0, 0, 0});
  cat.add(course("other", {}, 0, 100), {0, 0, 0, 0, 1.0f});
  const CandidateSet set = make_set(cat);
  LearnerProfile p;
  RerankOptions o;
  o.limit = 3;
  o.diversity = 0.6;
  // Default floor: related lessons stay, the near-copy gives way.
  EXPECT_EQ(ids(run(p, set, o)), (std::vector<std::string>{"unit-1", "unit-2", "unit-3"}));
  // Plain MMR (floor 0) also pushes out merely related items.
  o.diversity_similarity_floor = 0.0;
  EXPECT_EQ(ids(run(p, set, o)), (std::vector<std::string>{"unit-1", "unit-2", "other"}));
}

TEST(RerankDiversity, LazyMmrMatchesEagerMmr) {
  std::mt19937 gen(7);
  std::normal_distribution<float> normal;
  const std::size_t n = 300, d = 16, k = 25;
  std::vector<float> rows(n * d);
  for (auto& x : rows) x = normal(gen);
  for (std::size_t i = 0; i < n; ++i) {
    float norm = 0;
    for (std::size_t j = 0; j < d; ++j) norm += rows[i * d + j] * rows[i * d + j];
    for (std::size_t j = 0; j < d; ++j) rows[i * d + j] /= std::sqrt(norm);
  }
  std::vector<std::uint32_t> pool(n), rank(n);
  std::iota(pool.begin(), pool.end(), 0u);
  std::iota(rank.begin(), rank.end(), 0u);
  std::vector<double> rel(n);
  for (auto& r : rel) r = std::uniform_real_distribution<double>(0, 1)(gen);
  for (double floor : {0.0, 0.3}) for (double lambda : {0.2, 0.4, 0.7}) {
    const auto lazy = select_by_mmr(rows.data(), d, pool, rel, rank.data(), k, lambda, floor);
    // Eager reference.
    double lo = *std::min_element(rel.begin(), rel.end()), hi = *std::max_element(rel.begin(), rel.end());
    std::vector<float> max_sim(n, 0.0f);
    std::vector<bool> taken(n, false);
    std::vector<std::uint32_t> eager;
    for (std::size_t step = 0; step < k; ++step) {
      std::size_t best = n;
      double best_v = 0;
      for (std::size_t i = 0; i < n; ++i) {
        if (taken[i]) continue;
        const double redundancy = std::max(0.0, (double(max_sim[i]) - floor) / (1 - floor));
        const double v = lambda * (rel[i] - lo) / (hi - lo) - (1 - lambda) * redundancy;
        if (best == n || v > best_v) { best = i; best_v = v; }
      }
      taken[best] = true;
      eager.push_back(static_cast<std::uint32_t>(best));
      for (std::size_t i = 0; i < n; ++i) {
        max_sim[i] = std::max(max_sim[i], dot_product(&rows[i * d], &rows[best * d], d));
      }
    }
    EXPECT_EQ(lazy, eager) << "lambda " << lambda << " floor " << floor;
  }
}

TEST(RerankDeterminism, SameInputTwiceAndShuffledOrderGiveSameRanking) {
  std::mt19937 gen(11);
  std::normal_distribution<float> normal;
  Catalogue cat;
  for (int i = 0; i < 200; ++i) {
    std::vector<float> e(Catalogue::d);
    for (auto& x : e) x = normal(gen);
    // Many exact score ties: popularity and rating repeat.
    cat.add(course("item-" + std::to_string(i), {i % 3 == 0 ? "Python" : "Other"}, 1 + i % 3, 10 * (i % 5)), e);
  }
  LearnerProfile p;
  for (int i = 0; i < 10; ++i) p.observe(interaction("item-" + std::to_string(i * 7), A::progress, kNow - i * kDay)).ok();
  p.set_preferences_json(R"({"goals":["python"]})").ok();
  RerankOptions o;
  o.limit = 30;
  const CandidateSet set = make_set(cat);
  LearnerProfile p2 = p;
  const auto first = ids(run(p, set, o));
  const auto second = ids(run(p, set, o));
  EXPECT_EQ(first, second);

  std::vector<std::size_t> perm(cat.items.size());
  std::iota(perm.begin(), perm.end(), 0);
  std::shuffle(perm.begin(), perm.end(), gen);
  Catalogue shuffled;
  for (std::size_t i : perm) {
    shuffled.add(cat.items[i], std::vector<float>(cat.embeddings.begin() + i * Catalogue::d,
                                                  cat.embeddings.begin() + (i + 1) * Catalogue::d));
  }
  EXPECT_EQ(ids(run(p2, make_set(shuffled), o)), first);
}

TEST(RerankErrors, EveryBoundHasAClearError) {
  LearnerProfile p;
  RerankOptions o;
  const Catalogue cat = python_catalogue();
  auto call = [&](std::vector<Candidate> c, const float* e, std::size_t n, std::size_t d) {
    return rerank(p, std::move(c), e, n, d, o, true, kNow);
  };
  EXPECT_EQ(call({}, cat.embeddings.data(), 0, 8).code(), ErrorCode::empty_input);
  // n above the maximum.
  std::vector<Candidate> many(kMaxCandidates + 1);
  for (std::size_t i = 0; i < many.size(); ++i) many[i].id = "c" + std::to_string(i);
  std::vector<float> big(many.size() * 2, 0.5f);
  auto r = call(many, big.data(), many.size(), 2);
  EXPECT_EQ(r.code(), ErrorCode::limit_exceeded);
  EXPECT_NE(r.message().find("5000"), std::string::npos);
  // d above the maximum.
  std::vector<float> wide(cat.items.size() * 513, 0.1f);
  EXPECT_EQ(call(cat.items, wide.data(), cat.items.size(), 513).code(), ErrorCode::limit_exceeded);
  // n does not match the metadata; buffer length does not match n x d.
  EXPECT_EQ(call(cat.items, cat.embeddings.data(), cat.items.size() - 1, 8).code(), ErrorCode::dimension_mismatch);
  EXPECT_EQ(CandidateSet::create_from_buffer(cat.items, cat.embeddings.data(), cat.embeddings.size() - 1, 8).code(),
            ErrorCode::dimension_mismatch);
  // NaN and Inf.
  for (float bad : {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity()}) {
    std::vector<float> e = cat.embeddings;
    e[3 * 8 + 2] = bad;
    auto res = call(cat.items, e.data(), cat.items.size(), 8);
    EXPECT_EQ(res.code(), ErrorCode::non_finite);
    EXPECT_NE(res.message().find("py-intermediate"), std::string::npos) << res.message();
  }
  // Duplicate ids.
  std::vector<Candidate> dup = cat.items;
  dup[4].id = dup[1].id;
  auto res = call(dup, cat.embeddings.data(), dup.size(), 8);
  EXPECT_EQ(res.code(), ErrorCode::duplicate_id);
  EXPECT_NE(res.message().find("py-102"), std::string::npos);
  // Bad options.
  o.diversity = 1.5;
  EXPECT_EQ(call(cat.items, cat.embeddings.data(), cat.items.size(), 8).code(), ErrorCode::invalid_argument);
}

TEST(RerankJson, CandidatesFromJsonAndOptionsFromJson) {
  auto c = candidates_from_json(R"({"candidates":[
      {"id":"a","topics":["Python"],"difficulty":"intermediate","rating":4.5,"rating_count":10,
       "free":true,"popularity":12,"content_type":"video","duration_minutes":90,
       "prerequisites":["b"],"published_at":1690000000000,"title":"ignored"},
      {"id":"b"}]})");
  ASSERT_TRUE(c.ok()) << c.message();
  ASSERT_EQ(c->size(), 2u);
  EXPECT_EQ((*c)[0].difficulty, 2.0);
  EXPECT_TRUE((*c)[0].free);
  EXPECT_EQ((*c)[0].prerequisites, std::vector<std::string>{"b"});
  EXPECT_EQ((*c)[0].published_at, 1690000000000);
  EXPECT_EQ(candidates_from_json("[]").code(), ErrorCode::empty_input);
  EXPECT_EQ(candidates_from_json("{").code(), ErrorCode::invalid_json);
  auto bad = candidates_from_json(R"([{"id":"a"},{"id":"b","rating":"five"}])");
  EXPECT_EQ(bad.code(), ErrorCode::invalid_argument);
  EXPECT_NE(bad.message().find("candidates[1].rating"), std::string::npos) << bad.message();
  // Out-of-range numbers name the bounds as JSON writes them.
  EXPECT_EQ(candidates_from_json(R"([{"id":"a","rating":101}])").message(),
            "candidates[0].rating: must be between 0.0 and 100.0");
  EXPECT_EQ(candidates_from_json(R"([{"id":"a","popularity":1e16}])").message(),
            "candidates[0].popularity: must be between 0.0 and 1e+15");
  Candidate nan_pop;
  nan_pop.id = "x";
  nan_pop.popularity = std::nan("");
  EXPECT_EQ(validate(nan_pop, 0).code(), ErrorCode::non_finite);

  auto o = RerankOptions::from_json_text(R"({"limit":5,"diversity":0.2,"weights":{"interest":0.9},"explain":false})");
  ASSERT_TRUE(o.ok()) << o.message();
  EXPECT_EQ(o->limit, 5u);
  EXPECT_EQ(o->weights[Factor::interest], 0.9);
  EXPECT_EQ(o->weights[Factor::popularity], RerankWeights::personalized_defaults()[Factor::popularity]);
  EXPECT_EQ(RerankOptions::from_json_text(R"({"weights":{"nope":1}})").code(), ErrorCode::invalid_argument);
  EXPECT_EQ(RerankOptions::from_json_text(R"({"limit":0})").code(), ErrorCode::invalid_argument);
  EXPECT_EQ(RerankOptions::from_json_text(R"({"diversty":0.5})").code(), ErrorCode::invalid_argument);
}

TEST(RerankJson, ExplainOffLeavesNoStrings) {
  const Catalogue cat = python_catalogue();
  const CandidateSet set = make_set(cat);
  LearnerProfile p = python_learner();
  RerankOptions o;
  o.explain = false;
  const RerankResult r = run(p, set, o);
  for (const auto& item : r.items) {
    EXPECT_EQ(item.reason, "");
    for (const auto& d : item.details) EXPECT_EQ(d, "");
  }
}
