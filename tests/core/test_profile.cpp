// Learner profile: learning, retention, snapshots, preferences, patterns.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "gradvy/behavior_patterns.hpp"
#include "gradvy/profile.hpp"
#include "gradvy/reranker.hpp"
#include "test_ranker_fixtures.hpp"

using namespace gradvy;
using namespace gradvy_test;
using A = ProfileEvent::Action;
using F = ProfileEvent::Feedback;

TEST(ProfileLearning, ActionWeightsAreOrderedAndDecayWithHalfLife) {
  LearnerProfile p;
  p.observe(interaction("viewed", A::view, kNow)).ok();
  p.observe(interaction("enrolled", A::enroll, kNow)).ok();
  p.observe(interaction("progressed", A::progress, kNow)).ok();
  p.observe(interaction("completed", A::complete, kNow)).ok();
  EXPECT_LT(p.item_weight("viewed", kNow), p.item_weight("enrolled", kNow));
  EXPECT_LT(p.item_weight("enrolled", kNow), p.item_weight("progressed", kNow));
  EXPECT_LT(p.item_weight("progressed", kNow), p.item_weight("completed", kNow));
  // 30-day half-life by default.
  EXPECT_NEAR(p.item_weight("completed", kNow + 30 * kDay), p.item_weight("completed", kNow) / 2, 1e-9);
  ProfileConfig c;
  c.half_life_days = 7;
  LearnerProfile q(c);
  q.observe(interaction("a", A::view, kNow)).ok();
  EXPECT_NEAR(q.item_weight("a", kNow + 14 * kDay), 0.25, 1e-9);
}

TEST(ProfileLearning, OutOfOrderEventsGiveTheSameWeight) {
  LearnerProfile in_order, reversed;
  in_order.observe(interaction("a", A::view, kNow - 10 * kDay)).ok();
  in_order.observe(interaction("a", A::complete, kNow)).ok();
  reversed.observe(interaction("a", A::complete, kNow)).ok();
  reversed.observe(interaction("a", A::view, kNow - 10 * kDay)).ok();
  EXPECT_NEAR(in_order.item_weight("a", kNow), reversed.item_weight("a", kNow), 1e-12);
}

TEST(ProfileLearning, ClicksAreLogScaledAndFeedbackCounts) {
  LearnerProfile p;
  ProfileEvent e = interaction("many-clicks", A::view, kNow);
  e.weight = 100;
  p.observe(e).ok();
  EXPECT_NEAR(p.item_weight("many-clicks", kNow), 1 + std::log(100.0), 1e-12);
  p.observe(feedback("liked", F::thumbs_up, kNow)).ok();
  p.observe(feedback("disliked", F::thumbs_down, kNow)).ok();
  EXPECT_GT(p.item_weight("liked", kNow), 0);
  EXPECT_LT(p.item_weight("disliked", kNow), 0);
  EXPECT_TRUE(p.find_item("disliked")->thumbs_down);
  // Changing one's mind: a later thumbs-up clears the thumbs-down.
  p.observe(feedback("disliked", F::thumbs_up, kNow + 1)).ok();
  EXPECT_FALSE(p.find_item("disliked")->thumbs_down);
}

TEST(ProfileLearning, InvalidEventsAreRefusedWithFieldNames) {
  LearnerProfile p;
  ProfileEvent quiz;
  quiz.kind = ProfileEvent::Kind::quiz_attempt;
  quiz.score = 11;
  quiz.total_questions = 10;
  Status s = p.observe(quiz);
  EXPECT_EQ(s.code(), ErrorCode::invalid_event);
  EXPECT_NE(s.message().find("score"), std::string::npos);
  ProfileEvent no_item = interaction("", A::view, kNow);
  EXPECT_EQ(p.observe(no_item).code(), ErrorCode::invalid_event);
  ProfileEvent nan_weight = interaction("a", A::view, kNow);
  nan_weight.weight = std::nan("");
  EXPECT_EQ(p.observe(nan_weight).code(), ErrorCode::invalid_event);
  EXPECT_TRUE(p.items().empty());
  EXPECT_TRUE(p.activity().empty());
}

TEST(ProfileLearning, ConvertsStampedEventJson) {
  auto e = profile_event_from_event_json(nlohmann::json::parse(
      R"({"type":"course_interaction","ts":1700000000000,"props":{"course_id":"py-101","action":"complete","duration":60}})"));
  ASSERT_TRUE(e.ok()) << e.message();
  EXPECT_EQ(e->kind, ProfileEvent::Kind::course_interaction);
  EXPECT_EQ(e->action, A::complete);
  EXPECT_EQ(e->item_id, "py-101");
  EXPECT_EQ(e->duration_s, 60);
  auto fb = profile_event_from_event_json(nlohmann::json::parse(
      R"({"type":"recommendation_feedback","ts":1,"props":{"item_id":"x","feedback":"dismissed"}})"));
  ASSERT_TRUE(fb.ok());
  EXPECT_EQ(fb->feedback, F::dismissed);
  auto bad = profile_event_from_event_json(nlohmann::json::parse(
      R"({"type":"course_interaction","ts":1,"props":{"course_id":"a","action":"binge"}})"));
  EXPECT_EQ(bad.code(), ErrorCode::invalid_event);
  EXPECT_NE(bad.message().find("props.action"), std::string::npos);
}

TEST(ProfileLearning, InterestVectorComesFromRememberedEmbeddings) {
  LearnerProfile p;
  p.observe(interaction("a", A::complete, kNow)).ok();
  EXPECT_TRUE(p.interest_vector(2).empty());
  const float e[2] = {3.0f, 4.0f};
  EXPECT_TRUE(p.remember_item("a", e, 2, {"python"}, "video", 1));
  EXPECT_FALSE(p.remember_item("untracked", e, 2, {}, "", 0));
  const auto& v = p.interest_vector(2);
  ASSERT_EQ(v.size(), 2u);
  EXPECT_NEAR(v[0], 0.6, 1e-6);
  EXPECT_NEAR(v[1], 0.8, 1e-6);
  EXPECT_EQ(p.topic_affinities().at(0).first, "python");
  EXPECT_GT(p.level_estimate(), 1.0);  // completed a beginner course, difficulty learned late
}

TEST(ProfileLearning, ShortTermVectorFollowsTheLatestSessionsLongTermKeepsOlderInterests) {
  // Weeks of Python, then two days of cooking: "what next" is cooking, the
  // long-term interest is still mostly Python.
  LearnerProfile p;
  for (int day = 40; day >= 20; --day) p.observe(interaction("py", A::progress, kNow - day * kDay)).ok();
  p.observe(interaction("cook", A::view, kNow - 2 * kDay)).ok();
  p.observe(interaction("cook", A::view, kNow - kDay)).ok();
  const float py[2] = {1.0f, 0.0f}, cook[2] = {0.0f, 1.0f};
  p.remember_item("py", py, 2, {}, "", 0);
  p.remember_item("cook", cook, 2, {}, "", 0);
  const auto& long_term = p.interest_vector(2);
  const auto& short_term = p.recent_interest_vector(2);
  ASSERT_EQ(long_term.size(), 2u);
  ASSERT_EQ(short_term.size(), 2u);
  EXPECT_GT(long_term[0], 0.9f);   // Python dominates over 30 days
  EXPECT_GT(short_term[1], 0.9f);  // cooking dominates the last days
  // The short-term weights decay with their own half-life (3 days by default).
  EXPECT_EQ(p.config().short_term_half_life_days, 3.0);
  ProfileConfig c;
  c.short_term_half_life_days = 30;  // as slow as the long-term one: the same direction
  LearnerProfile q(c);
  for (int day = 40; day >= 20; --day) q.observe(interaction("py", A::progress, kNow - day * kDay)).ok();
  q.observe(interaction("cook", A::view, kNow - kDay)).ok();
  q.remember_item("py", py, 2, {}, "", 0);
  q.remember_item("cook", cook, 2, {}, "", 0);
  EXPECT_NEAR(q.recent_interest_vector(2)[0], q.interest_vector(2)[0], 1e-6);
}

TEST(ProfileLearning, BoundedNumberOfItems) {
  ProfileConfig c;
  c.max_items = 10;
  LearnerProfile p(c);
  p.observe(interaction("keep-completed", A::complete, kNow - 100 * kDay)).ok();
  for (int i = 0; i < 50; ++i) p.observe(interaction("i" + std::to_string(i), A::view, kNow - (50 - i) * 1000)).ok();
  EXPECT_EQ(p.items().size(), 10u);
  EXPECT_TRUE(p.tracks("keep-completed"));  // flags outlive plain signals
  EXPECT_TRUE(p.tracks("i49"));
}

TEST(ProfileRetention, SignalsOlderThanTheWindowAreForgotten) {
  LearnerProfile p;  // 180 days
  p.observe(interaction("old", A::complete, kNow - 200 * kDay)).ok();
  p.observe(feedback("old-dismissed", F::dismissed, kNow - 190 * kDay)).ok();
  p.observe(interaction("recent", A::view, kNow - 5 * kDay)).ok();
  p.apply_retention(kNow);
  EXPECT_FALSE(p.tracks("old"));
  EXPECT_FALSE(p.tracks("old-dismissed"));
  EXPECT_TRUE(p.tracks("recent"));
  ASSERT_EQ(p.activity().size(), 1u);
  EXPECT_EQ(p.signal_event_count(), 1u);
  // rerank applies it too: an old completion no longer filters the course.
  LearnerProfile q;
  for (int i = 0; i < 3; ++i) q.observe(interaction("py-101", A::complete, kNow - 400 * kDay + i)).ok();
  for (int i = 0; i < 3; ++i) q.observe(interaction("js-101", A::view, kNow - kDay + i)).ok();
  const Catalogue cat = python_catalogue();
  const CandidateSet set = make_set(cat);
  RerankOptions o;
  o.limit = 100;
  auto r = rerank(q, set, o, true, kNow);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->filtered_completed, 0u);
}

TEST(ProfileSnapshot, RoundTripKeepsEverything) {
  const Catalogue cat = python_catalogue();
  const CandidateSet set = make_set(cat);
  LearnerProfile p;
  p.set_preferences_json(R"({"goals":["Python"],"experience_level":"beginner","weekly_minutes":90})").ok();
  p.observe(interaction("py-101", A::complete, kNow - 3 * kDay)).ok();
  p.observe(interaction("js-101", A::view, kNow - 2 * kDay)).ok();
  p.observe(feedback("cooking-pasta", F::thumbs_down, kNow - kDay)).ok();
  auto first = rerank(p, set, RerankOptions(), true, kNow);  // caches embeddings
  ASSERT_TRUE(first.ok());
  const std::string snapshot = p.to_json().dump();

  LearnerProfile restored;
  ASSERT_TRUE(restored.restore_json(snapshot).ok());
  EXPECT_EQ(restored.to_json().dump(), snapshot);
  EXPECT_EQ(restored.preferences(), p.preferences());
  EXPECT_EQ(restored.interest_vector(8), p.interest_vector(8));
  auto again = rerank(restored, set, RerankOptions(), true, kNow);
  ASSERT_TRUE(again.ok());
  ASSERT_EQ(again->items.size(), first->items.size());
  for (std::size_t i = 0; i < first->items.size(); ++i) {
    EXPECT_EQ(again->items[i].id, first->items[i].id);
    EXPECT_EQ(again->items[i].score, first->items[i].score);
  }
}

TEST(ProfileSnapshot, SnapshotWithoutShortTermWeightsStillRestores) {
  // Written before the short-term weights existed: the long-term value stands in.
  LearnerProfile p;
  p.observe(interaction("a", A::complete, kNow)).ok();
  nlohmann::json doc = p.to_json();
  for (auto& item : doc["items"]) {
    item.erase("rw");
    item.erase("rts");
  }
  LearnerProfile restored;
  ASSERT_TRUE(restored.restore(doc).ok());
  const float e[2] = {1.0f, 0.0f};
  restored.remember_item("a", e, 2, {}, "", 0);
  EXPECT_EQ(restored.recent_interest_vector(2).size(), 2u);
  doc["items"][0]["rw"] = "x";
  EXPECT_EQ(restored.restore(doc).code(), ErrorCode::snapshot_corrupt);
}

TEST(ProfileSnapshot, CorruptRestoreLeavesStateUnchanged) {
  LearnerProfile p;
  p.observe(interaction("a", A::complete, kNow)).ok();
  const std::string before = p.to_json().dump();
  EXPECT_EQ(p.restore_json("{not json").code(), ErrorCode::snapshot_corrupt);
  EXPECT_EQ(p.restore_json(R"({"format":"gradvy.profile","version":99})").code(), ErrorCode::snapshot_version);
  nlohmann::json doc = p.to_json();
  doc["items"][0]["w"] = "heavy";
  EXPECT_EQ(p.restore(doc).code(), ErrorCode::snapshot_corrupt);
  doc = p.to_json();
  doc["items"][0]["embedding"] = "!!!";
  EXPECT_EQ(p.restore(doc).code(), ErrorCode::snapshot_corrupt);
  doc = p.to_json();
  doc["activity"][0] = nlohmann::json::array({1, "teleport", "none", "none", 0, -1, -1});
  EXPECT_EQ(p.restore(doc).code(), ErrorCode::snapshot_corrupt);
  doc = p.to_json();
  doc["preferences"]["goals"] = 7;
  EXPECT_EQ(p.restore(doc).code(), ErrorCode::snapshot_corrupt);
  EXPECT_EQ(p.to_json().dump(), before);
}

TEST(ProfileSnapshot, ExportAndClear) {
  LearnerProfile p;
  p.set_preferences_json(R"({"goals":["python"]})").ok();
  p.observe(interaction("a", A::complete, kNow, {"Python"})).ok();
  const auto exported = p.export_json(kNow);
  EXPECT_EQ(exported["items"][0]["item_id"], "a");
  EXPECT_EQ(exported["declared_preferences"]["goals"][0], "python");
  EXPECT_TRUE(exported.contains("insights"));
  p.clear_learned();
  EXPECT_TRUE(p.items().empty());
  EXPECT_EQ(p.preferences().goals.size(), 1u);
  p.clear();
  EXPECT_TRUE(p.preferences().goals.empty());
}

TEST(ProfilePreferences, ValidatedFromJson) {
  auto ok = preferences_from_json(nlohmann::json::parse(
      R"({"goals":[" Python ","python","Data Science"],"experience_level":"Intermediate",
          "preferred_content_types":["Video"],"difficulty_preference":"challenge","free_only":true,"weekly_minutes":120})"));
  ASSERT_TRUE(ok.ok()) << ok.message();
  EXPECT_EQ(ok->goals, (std::vector<std::string>{"python", "data science"}));
  EXPECT_EQ(ok->experience_level, 2.0);
  EXPECT_EQ(ok->difficulty_preference, DifficultyPreference::challenge);
  for (const char* bad : {R"({"goals":"python"})", R"({"experience_level":"guru"})", R"({"weekly_minutes":-5})",
                          R"({"free_only":"yes"})", R"({"goal":["typo"]})", R"({"difficulty_preference":"hard"})"}) {
    auto r = preferences_from_json(nlohmann::json::parse(bad));
    EXPECT_EQ(r.code(), ErrorCode::invalid_argument) << bad;
    EXPECT_NE(r.message().find("preferences."), std::string::npos);
  }
  LearnerProfile p;
  p.set_preferences_json(R"({"goals":["a"]})").ok();
  EXPECT_EQ(p.set_preferences_json(R"({"goals":[1]})").code(), ErrorCode::invalid_argument);
  EXPECT_EQ(p.preferences().goals, std::vector<std::string>{"a"});  // unchanged
}

TEST(ProfileConfigJson, PartialOverrideAndValidation) {
  auto c = ProfileConfig::from_json(nlohmann::json::parse(R"({"half_life_days":7,"weight_view":0.5})"));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->half_life_days, 7);
  EXPECT_EQ(c->weight_complete, ProfileConfig().weight_complete);
  EXPECT_EQ(ProfileConfig::from_json(nlohmann::json::parse(R"({"half_life_days":0})")).code(), ErrorCode::invalid_argument);
  EXPECT_EQ(ProfileConfig::from_json(nlohmann::json::parse(R"({"halflife":3})")).code(), ErrorCode::invalid_argument);
}

TEST(BehaviorPatterns, ActiveLearnerVersusLapsedLearner) {
  ProfileConfig c;
  c.tz_offset_minutes = 60;
  LearnerProfile active(c), lapsed(c);
  // Active: 20 evenings (18:00 UTC = 19:00 local) in the last 28 days, 40-minute sessions.
  for (int day = 0; day < 20; ++day) {
    const std::int64_t start = kNow - day * kDay - (kNow % kDay) + 18 * 3600000LL;
    ProfileEvent e = interaction("c" + std::to_string(day % 4), A::progress, start - kDay);
    e.duration_s = 1200;
    active.observe(e).ok();
    e.ts += 20 * 60000;
    active.observe(e).ok();
  }
  active.observe(interaction("c0", A::complete, kNow - kDay)).ok();
  active.observe(interaction("c0", A::enroll, kNow - 20 * kDay)).ok();
  // Lapsed: a few sessions 25 days ago, then a drop.
  for (int i = 0; i < 3; ++i) lapsed.observe(interaction("l", A::view, kNow - 25 * kDay + i * 60000)).ok();
  lapsed.observe(interaction("l", A::enroll, kNow - 25 * kDay)).ok();
  lapsed.observe(interaction("l", A::drop, kNow - 24 * kDay)).ok();

  const BehaviorPatterns a = compute_behavior_patterns(active, kNow);
  const BehaviorPatterns l = compute_behavior_patterns(lapsed, kNow);
  EXPECT_GT(a.engagement, 0.7);
  EXPECT_LT(l.engagement, 0.2);
  EXPECT_LT(a.dropout_risk, 0.2);
  EXPECT_GT(l.dropout_risk, 0.8);
  EXPECT_GE(a.engagement, 0.0);
  EXPECT_LE(a.engagement, 1.0);
  EXPECT_EQ(a.peak_hours.at(0), 19);  // local time
  // 20 sessions of 40 minutes plus the two single-event (0-minute) ones.
  EXPECT_EQ(a.session.sessions, 22u);
  EXPECT_NEAR(a.session.avg_minutes, 20 * 40.0 / 22, 1e-9);
  EXPECT_EQ(a.learning_velocity, 0.25);
  ASSERT_TRUE(a.completion_rate.has_value());
  EXPECT_EQ(*a.completion_rate, 1.0);
  EXPECT_EQ(*l.completion_rate, 0.0);
  const auto j = insights(active, kNow);
  EXPECT_EQ(j["preferred_times"]["label"], "evening");
  EXPECT_EQ(j["hour_histogram"].size(), 24u);
  EXPECT_TRUE(j.contains("top_interests"));
  // Empty profile: defined values, no NaN.
  const BehaviorPatterns none = compute_behavior_patterns(LearnerProfile(), kNow);
  EXPECT_EQ(none.engagement, 0.0);
  EXPECT_EQ(none.dropout_risk, 0.0);
  EXPECT_TRUE(none.peak_hours.empty());
}
