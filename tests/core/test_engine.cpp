// Engine: the data flow of docs/ARCHITECTURE.md as a host sees it.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "gradvy/engine.hpp"

namespace gradvy {
namespace {

using json = nlohmann::json;

constexpr std::int64_t T0 = 1'763'800'000'000;

std::unique_ptr<Engine> make_engine(const std::string& config = "", const std::string& seed = "5eed") {
  auto created = Engine::create(config, seed);
  EXPECT_TRUE(created.ok()) << created.message();
  return std::move(*created);
}

std::string course(const std::string& id, const std::string& action = "view") {
  return json{{"course_id", id}, {"action", action}}.dump();
}

json body_of(const DeliveryBatch& batch) { return json::parse(batch.body); }

void grant(Engine& e, const std::string& toggles, std::int64_t now = T0) {
  auto r = e.set_consent(toggles, now);
  ASSERT_TRUE(r.ok()) << r.message();
}

TEST(EngineCreate, RefusesBadConfigAndSeed) {
  EXPECT_EQ(Engine::create("{\"queue\":{\"batch_size\":0}}", "1").code(), ErrorCode::invalid_argument);
  EXPECT_EQ(Engine::create("{\"unknown\":1}", "1").code(), ErrorCode::invalid_argument);
  EXPECT_EQ(Engine::create("{", "1").code(), ErrorCode::invalid_json);
  EXPECT_EQ(Engine::create("", "xyz").code(), ErrorCode::invalid_argument);
  EXPECT_EQ(Engine::create("", "").code(), ErrorCode::invalid_argument);
  EXPECT_EQ(Engine::create("{\"user_id\":\"ada@example.com\"}", "1").code(), ErrorCode::invalid_argument);
  EXPECT_EQ(Engine::create("{\"aggregate_epsilon\":0}", "1").code(), ErrorCode::invalid_argument);
  EXPECT_EQ(Engine::create("{\"gpc_also_withdraw\":[\"essential\"]}", "1").code(), ErrorCode::invalid_argument);
  EXPECT_TRUE(Engine::create("{\"device_id\":\"dev-1\",\"queue\":{\"batch_size\":5}}", "abc").ok());
}

TEST(EngineCreate, SameSeedSameIdsDifferentSeedDifferentIds) {
  auto a = make_engine("", "0123456789abcdef0123456789abcdef");
  auto b = make_engine("", "0123456789abcdef0123456789abcdef");
  auto c = make_engine("", "0123456789abcdef0123456789abcdee");
  EXPECT_EQ(a->device_id(), b->device_id());
  EXPECT_NE(a->device_id(), c->device_id());
  for (auto* e : {a.get(), b.get()}) {
    grant(*e, R"({"analytics":true})");
    ASSERT_TRUE(e->track("page_view", "{}", "", T0).ok());
  }
  EXPECT_EQ(a->snapshot(), b->snapshot());
}

TEST(EngineTrack, WithoutConsentNothingIsStoredButItIsCounted) {
  auto e = make_engine();
  auto r = e->track("course_interaction", course("py-101"), "", T0);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 0);
  EXPECT_EQ(e->counters().dropped_no_consent, 1u);
  EXPECT_EQ(e->queue_stats().held_events, 0u);
  EXPECT_FALSE(e->take_batch(T0, true).has_value());
  EXPECT_EQ(e->snapshot().find("py-101"), std::string::npos);
}

TEST(EngineTrack, UploadConsentQueuesAndTheBatchIsTheWireEnvelope) {
  auto e = make_engine(R"({"device_id":"dev-7","user_id":"learner-7"})");
  grant(*e, R"({"analytics":true})");
  auto r = e->track("course_interaction", course("py-101", "enroll"), R"({"page_url":"/c/py-101"})", T0 + 5);
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_EQ(*r, kTrackQueued);

  EXPECT_FALSE(e->take_batch(T0 + 6, false).has_value()) << "one young event is not due";
  auto batch = e->take_batch(T0 + 6, true);
  ASSERT_TRUE(batch.has_value());
  EXPECT_EQ(batch->event_count, 1u);
  EXPECT_EQ(batch->attempt, 1u);
  const json body = body_of(*batch);
  EXPECT_EQ(body["batch_id"], batch->batch_id);
  EXPECT_EQ(body["device_id"], "dev-7");
  EXPECT_EQ(body["sent_at"], T0 + 6);
  ASSERT_EQ(body["events"].size(), 1u);
  const json& ev = body["events"][0];
  EXPECT_EQ(ev["type"], "course_interaction");
  EXPECT_EQ(ev["purpose"], "analytics");
  EXPECT_EQ(ev["user_id"], "learner-7");
  EXPECT_EQ(ev["ts"], T0 + 5);
  EXPECT_EQ(ev["seq"], 1);
  EXPECT_EQ(ev["props"]["course_id"], "py-101");
  EXPECT_EQ(ev["ctx"]["page_url"], "/c/py-101");

  auto acked = e->ack(batch->batch_id, T0 + 7);
  ASSERT_TRUE(acked.ok());
  ASSERT_EQ(acked->size(), 1u);
  EXPECT_EQ((*acked)[0], ev["id"]);
  EXPECT_EQ(e->queue_stats().sent, 1u);
  EXPECT_EQ(e->ack(batch->batch_id, T0 + 8).code(), ErrorCode::unknown_batch);
}

TEST(EngineTrack, PersonalizationOnlyUpdatesTheProfileAndQueuesNothingOfAnalytics) {
  auto e = make_engine();
  grant(*e, R"({"personalization":true})");
  auto r = e->track("course_interaction", course("py-101", "complete"), "", T0);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, kTrackProfiled);
  EXPECT_EQ(e->queue_stats().held_events, 0u);
  EXPECT_EQ(e->counters().profiled, 1u);
  // recommendation_* events travel under personalization: queued and profiled.
  auto fb = e->feedback("py-200", "thumbs_down", "too easy", T0 + 1);
  ASSERT_TRUE(fb.ok()) << fb.message();
  EXPECT_EQ(*fb, kTrackQueued | kTrackProfiled);
}

// track() hands the event's wire string to the queue without a copy, so the
// profile's input has to be read from the event first: with both purposes
// granted, the queue and the profile must each see the right course.
TEST(EngineTrack, QueuedAndProfiledEventReachesBothWithItsOwnFields) {
  auto e = make_engine();
  grant(*e, R"({"analytics":true,"personalization":true})");
  auto r = e->track("course_interaction", course("py-101", "complete"), R"({"page_url":"/c/py-101"})", T0);
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_EQ(*r, kTrackQueued | kTrackProfiled);
  const json profile = e->profile_json(T0);
  ASSERT_EQ(profile["items"].size(), 1u) << profile.dump();
  EXPECT_EQ(profile["items"][0]["item_id"], "py-101");
  auto batch = e->take_batch(T0, true);
  ASSERT_TRUE(batch.has_value());
  const json body = json::parse(batch->body);
  ASSERT_EQ(body["events"].size(), 1u);
  EXPECT_EQ(body["events"][0]["props"]["course_id"], "py-101");
  EXPECT_EQ(body["events"][0]["props"]["action"], "complete");
  EXPECT_EQ(body["events"][0]["ctx"]["page_url"], "/c/py-101");
}

TEST(EngineTrack, BadEventsAreRefusedWholeWithFieldAndRule) {
  auto e = make_engine();
  grant(*e, R"({"analytics":true})");
  auto bad = e->track("quiz_attempt", R"({"score":12,"total_questions":10,"time_taken":30})", "", T0);
  EXPECT_EQ(bad.code(), ErrorCode::invalid_event);
  EXPECT_NE(bad.message().find("props.score"), std::string::npos) << bad.message();
  EXPECT_EQ(e->track("course_interaction", "{\"course_id\":", "", T0).code(), ErrorCode::invalid_json);
  EXPECT_EQ(e->track("nope", "{}", "", T0).code(), ErrorCode::invalid_event);
  const std::string huge = json{{"query", std::string(400, 'a')}, {"results_count", 1}}.dump();
  auto small = make_engine(R"({"events":{"max_event_bytes":512}})");
  grant(*small, R"({"analytics":true})");
  EXPECT_EQ(small->track("search", huge, "", T0).code(), ErrorCode::event_too_large);
  EXPECT_EQ(small->counters().dropped_too_large, 1u);
  EXPECT_EQ(e->counters().dropped_invalid, 3u);
  EXPECT_EQ(e->queue_stats().held_events, 0u);
  EXPECT_EQ(e->counters().tracked, 0u);
}

TEST(EngineTrack, PiiIsScrubbedBeforeAnythingIsStored) {
  auto e = make_engine();
  grant(*e, R"({"analytics":true})");
  ASSERT_TRUE(e->track("search", R"({"query":"write to ada@example.com","results_count":0})", "", T0).ok());
  EXPECT_EQ(e->snapshot().find("ada@example.com"), std::string::npos);
  EXPECT_NE(e->snapshot().find("[redacted]"), std::string::npos);
  EXPECT_EQ(e->stats_json()["pii_redactions"], 1);
}

TEST(EngineConsent, WithdrawalPurgesPendingAndInFlightBeforeReturning) {
  auto e = make_engine();
  grant(*e, R"({"analytics":true,"personalization":true})");
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(e->track("course_interaction", course("c" + std::to_string(i)), "", T0).ok());
  ASSERT_TRUE(e->feedback("c9", "thumbs_up", "", T0).ok());
  auto in_flight = e->take_batch(T0 + 1, true);
  ASSERT_TRUE(in_flight.has_value());
  EXPECT_EQ(in_flight->event_count, 4u);
  ASSERT_TRUE(e->track("course_interaction", course("c-late"), "", T0 + 2).ok());

  auto update = e->set_consent(R"({"analytics":false})", T0 + 3);
  ASSERT_TRUE(update.ok());
  EXPECT_TRUE(update->change.withdrawn.contains(Purpose::analytics));
  EXPECT_EQ(update->purged, 4u);
  EXPECT_EQ(json::parse(e->snapshot())["queue"].dump().find("c-late"), std::string::npos);
  EXPECT_EQ(e->stats_json()["dropped"]["consent_withdrawn"], 4);
  // The ack of the batch that was in flight reports only the feedback event.
  auto acked = e->ack(in_flight->batch_id, T0 + 4);
  ASSERT_TRUE(acked.ok());
  EXPECT_EQ(acked->size(), 1u);
}

TEST(EngineConsent, WithdrawingPersonalizationErasesLearnedSignalsButKeepsPreferences) {
  auto e = make_engine();
  grant(*e, R"({"personalization":true})");
  ASSERT_TRUE(e->set_preferences(R"({"goals":["python"]})").ok());
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(e->track("course_interaction", course("c" + std::to_string(i), "complete"), "", T0 + i).ok());
  ASSERT_EQ(e->counters().profiled, 5u);
  const std::string before = e->snapshot();
  ASSERT_NE(before.find("\"c3\""), std::string::npos);
  ASSERT_TRUE(e->set_consent(R"({"personalization":false})", T0 + 10).ok());
  const std::string after = e->snapshot();
  EXPECT_EQ(after.find("\"c3\""), std::string::npos) << "learned items erased";
  EXPECT_NE(after.find("python"), std::string::npos) << "declared goals stay";
  // And nothing is learned while it is withdrawn.
  auto r = e->track("course_interaction", course("c9", "complete"), "", T0 + 11);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, 0);
}

TEST(EngineConsent, EveryInputGoesThroughEnforcement) {
  auto e = make_engine(R"({"gpc_also_withdraw":["analytics"]})");
  auto cm = e->apply_consent_mode(R"({"analytics_storage":"granted","personalization_storage":"granted"})", T0);
  ASSERT_TRUE(cm.ok()) << cm.message();
  ASSERT_TRUE(e->track("page_view", "{}", "", T0).ok());
  EXPECT_EQ(e->queue_stats().held_events, 1u);
  auto gpc = e->set_gpc(true, T0 + 1);
  ASSERT_TRUE(gpc.ok());
  EXPECT_TRUE(gpc->change.withdrawn.contains(Purpose::analytics));
  EXPECT_EQ(gpc->purged, 1u);
  EXPECT_EQ(e->apply_tcf("garbage!", T0 + 2).code(), ErrorCode::invalid_tc_string);
  EXPECT_EQ(e->apply_consent_mode("{", T0 + 2).code(), ErrorCode::invalid_json);
  EXPECT_EQ(e->set_consent(R"({"essential":false})", T0 + 2).code(), ErrorCode::invalid_consent);
  const json consent = e->consent_json();
  EXPECT_EQ(consent["gpc"], true);
  EXPECT_EQ(consent["granted"], json::array({"essential", "personalization"}));
  EXPECT_EQ(consent["history"].back()["source"], "gpc");
}

TEST(EngineLocalOnly, RawEventsStayOnDeviceAggregatesNeedAnalytics) {
  auto e = make_engine();
  grant(*e, R"({"analytics":true})");
  ASSERT_TRUE(e->track("page_view", "{}", "", T0).ok());
  EXPECT_EQ(e->set_local_only(true), 1u);
  EXPECT_EQ(e->queue_stats().held_events, 0u);
  auto r = e->track("course_interaction", course("c1", "complete"), "", T0 + 1);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, kTrackAggregated);
  EXPECT_FALSE(e->take_batch(T0 + 100000, true).has_value());
  auto report = e->take_aggregates(T0 + 2);
  ASSERT_TRUE(report.has_value());
  EXPECT_EQ((*report)["counts"].size(), 18u);
  EXPECT_FALSE(e->take_aggregates(T0 + 3).has_value()) << "window was released";
  ASSERT_TRUE(e->track("page_view", "{}", "", T0 + 4).ok());
  ASSERT_TRUE(e->set_consent(R"({"analytics":false})", T0 + 5).ok());
  EXPECT_FALSE(e->take_aggregates(T0 + 6).has_value());
  EXPECT_EQ(e->stats_json()["dropped"]["local_only"], 1);
  EXPECT_EQ(e->stats_json()["dropped"]["forgotten"], 0);
}

TEST(EngineSnapshot, RoundTripContinuesExactlyWhereItStopped) {
  auto a = make_engine(R"({"device_id":"dev-a"})");
  grant(*a, R"({"analytics":true,"personalization":true})");
  for (int i = 0; i < 7; ++i) ASSERT_TRUE(a->track("course_interaction", course("c" + std::to_string(i), "complete"), "", T0 + i).ok());
  auto batch = a->take_batch(T0 + 10, true);
  ASSERT_TRUE(batch.has_value());
  ASSERT_TRUE(a->fail(batch->batch_id, FailureInfo{true, 2000, false}, T0 + 11).ok());
  const std::string snap = a->snapshot();
  const json doc = json::parse(snap);
  EXPECT_EQ(doc["format"], "gradvy.snapshot");
  EXPECT_EQ(doc["version"], 1);

  auto b = make_engine(R"({"device_id":"dev-a"})", "ffff");
  ASSERT_TRUE(b->restore(snap).ok());
  json restored = json::parse(b->snapshot());
  json original = doc;
  restored.erase("revision");
  original.erase("revision");
  EXPECT_EQ(restored, original);
  // Both continue identically: same retry batch, same next ids.
  auto ra = a->take_batch(T0 + 100000, false);
  auto rb = b->take_batch(T0 + 100000, false);
  ASSERT_TRUE(ra && rb);
  EXPECT_EQ(ra->body, rb->body);
  ASSERT_TRUE(a->track("page_view", "{}", "", T0 + 100001).ok());
  ASSERT_TRUE(b->track("page_view", "{}", "", T0 + 100001).ok());
  EXPECT_EQ(json::parse(a->snapshot())["queue"], json::parse(b->snapshot())["queue"]);
}

TEST(EngineSnapshot, CorruptOrForeignSnapshotsLeaveTheStateUntouched) {
  auto e = make_engine();
  grant(*e, R"({"analytics":true})");
  ASSERT_TRUE(e->track("page_view", "{}", "", T0).ok());
  const std::string good = e->snapshot();
  const json doc = json::parse(good);
  auto expect_refused = [&](const std::string& text, ErrorCode code) {
    const std::string before = e->snapshot();
    const Status s = e->restore(text);
    EXPECT_EQ(s.code(), code) << s.message() << " for " << text.substr(0, 80);
    EXPECT_EQ(e->snapshot(), before);
  };
  expect_refused(good.substr(0, good.size() / 2), ErrorCode::snapshot_corrupt);
  expect_refused("[]", ErrorCode::snapshot_corrupt);
  expect_refused(R"({"format":"other","version":1})", ErrorCode::snapshot_version);
  json v2 = doc;
  v2["version"] = 2;
  expect_refused(v2.dump(), ErrorCode::snapshot_version);
  json bad_queue = doc;
  bad_queue["queue"]["pending"][0]["purpose"] = "bribery";
  expect_refused(bad_queue.dump(), ErrorCode::snapshot_corrupt);
  json bad_consent = doc;
  bad_consent["consent"]["granted"] = "everything";
  expect_refused(bad_consent.dump(), ErrorCode::snapshot_corrupt);
  json bad_rng = doc;
  bad_rng["rng"] = json::array({"0000000000000000", "0000000000000000", "0000000000000000", "0000000000000000"});
  expect_refused(bad_rng.dump(), ErrorCode::snapshot_corrupt);
  json no_profile = doc;
  no_profile.erase("profile");
  expect_refused(no_profile.dump(), ErrorCode::snapshot_corrupt);
  EXPECT_TRUE(e->restore(good).ok());
}

TEST(EngineDataRights, ExportShowsEverythingAndForgetWipesIt) {
  auto e = make_engine(R"({"user_id":"learner-1"})");
  grant(*e, R"({"analytics":true,"personalization":true})");
  ASSERT_TRUE(e->set_preferences(R"({"goals":["python"]})").ok());
  ASSERT_TRUE(e->track("course_interaction", course("py-101", "complete"), "", T0).ok());
  const json exported = e->export_data(T0);
  EXPECT_EQ(exported["user_id"], "learner-1");
  EXPECT_EQ(exported["device_id"], e->device_id());
  ASSERT_EQ(exported["queued_events"].size(), 1u);
  EXPECT_EQ(exported["queued_events"][0]["event"]["props"]["course_id"], "py-101");
  EXPECT_EQ(exported["consent"]["history"].size(), 2u);
  EXPECT_NE(exported["profile"].dump().find("py-101"), std::string::npos);

  const std::string old_device = e->device_id();
  e->forget();
  const json after = e->export_data(T0);
  EXPECT_EQ(after["queued_events"].size(), 0u);
  EXPECT_EQ(after["user_id"], "");
  EXPECT_EQ(after["consent"]["history"].size(), 0u);
  EXPECT_EQ(after["consent"]["granted"], json::array({"essential"}));
  EXPECT_EQ(after["profile"].dump().find("py-101"), std::string::npos);
  EXPECT_EQ(after["profile"].dump().find("python"), std::string::npos);
  EXPECT_NE(e->device_id(), old_device) << "a generated device id is replaced";
  EXPECT_EQ(e->stats_json()["dropped"]["forgotten"], 1);
}

TEST(EngineIdentity, UserIdsArePseudonymous) {
  auto e = make_engine();
  EXPECT_EQ(e->identify("ada@example.com").code(), ErrorCode::invalid_argument);
  EXPECT_TRUE(e->identify("u-123").ok());
  EXPECT_EQ(e->user_id(), "u-123");
  EXPECT_TRUE(e->identify("").ok());
  EXPECT_EQ(e->user_id(), "");
}

// --- candidates and ranking ---------------------------------------------------------

struct Catalogue {
  std::string json_text;
  std::vector<float> embeddings;
  std::size_t n = 0, d = 0;
};

Catalogue catalogue(std::size_t n, std::size_t d) {
  Catalogue c;
  c.n = n;
  c.d = d;
  json items = json::array();
  Rng rng(99);
  for (std::size_t i = 0; i < n; ++i) {
    items.push_back({{"id", "c" + std::to_string(i)},
                     {"topics", json::array({i % 2 ? "python" : "design"})},
                     {"difficulty", 1 + static_cast<int>(i % 3)},
                     {"rating", 3.0 + (i % 5) * 0.4},
                     {"rating_count", 10 + i},
                     {"popularity", 100.0 * static_cast<double>(n - i)},
                     {"content_type", "video"}});
    for (std::size_t k = 0; k < d; ++k) c.embeddings.push_back(static_cast<float>(rng.next_double() - 0.5));
  }
  c.json_text = items.dump();
  return c;
}

TEST(EngineRanking, BoundsAreCheckedWithTheDocumentedCodes) {
  auto e = make_engine();
  const Catalogue c = catalogue(10, 8);
  EXPECT_EQ(e->rerank_json("{}", T0).code(), ErrorCode::invalid_state);
  EXPECT_EQ(e->set_candidates("[]", nullptr, 0, 8).code(), ErrorCode::empty_input);
  EXPECT_EQ(e->set_candidates(c.json_text, c.embeddings.data(), 9, 8).code(), ErrorCode::dimension_mismatch);
  std::vector<float> nan = c.embeddings;
  nan[17] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_EQ(e->set_candidates(c.json_text, nan.data(), 10, 8).code(), ErrorCode::non_finite);
  json dup = json::parse(c.json_text);
  dup[3]["id"] = "c1";
  EXPECT_EQ(e->set_candidates(dup.dump(), c.embeddings.data(), 10, 8).code(), ErrorCode::duplicate_id);
  const Catalogue big = catalogue(5001, 1);
  EXPECT_EQ(e->set_candidates(big.json_text, big.embeddings.data(), 5001, 1).code(), ErrorCode::limit_exceeded);
  EXPECT_EQ(e->set_candidates(c.json_text, c.embeddings.data(), 10, 8).code(), ErrorCode::ok);
  EXPECT_EQ(e->candidate_count(), 10u);
  EXPECT_EQ(e->rerank_json("{\"diversity\":7}", T0).code(), ErrorCode::invalid_argument);
  EXPECT_EQ(e->rerank_json("{", T0).code(), ErrorCode::invalid_json);
}

TEST(EngineRanking, FallbackWithoutConsentPersonalizedWithItAndFactorsSumToScores) {
  auto e = make_engine();
  const Catalogue c = catalogue(200, 16);
  ASSERT_TRUE(e->set_candidates(c.json_text, c.embeddings.data(), c.n, c.d).ok());
  auto fallback = e->rerank_json(R"({"limit":10})", T0);
  ASSERT_TRUE(fallback.ok()) << fallback.message();
  json r = json::parse(*fallback);
  EXPECT_EQ(r["source"], "fallback");
  EXPECT_TRUE(r.contains("reason"));
  EXPECT_EQ(r["items"].size(), 10u);

  grant(*e, R"({"personalization":true})");
  for (int i = 1; i < 12; i += 2)
    ASSERT_TRUE(e->track("course_interaction", course("c" + std::to_string(i), "complete"), "", T0 + i).ok());
  auto personal = e->rerank_json(R"({"limit":20,"explain":true})", T0 + 100);
  ASSERT_TRUE(personal.ok()) << personal.message();
  r = json::parse(*personal);
  EXPECT_EQ(r["source"], "personalized");
  ASSERT_EQ(r["items"].size(), 20u);
  for (const json& item : r["items"]) {
    double sum = 0;
    for (const json& f : item["factors"]) sum += f["value"].get<double>();
    EXPECT_NEAR(sum, item["score"].get<double>(), 1e-9) << item.dump();
    EXPECT_NE(item["id"], "c1") << "completed items are filtered";
  }
  // Feedback changes the very next ranking.
  const std::string top = r["items"][0]["id"];
  ASSERT_TRUE(e->feedback(top, "dismissed", "", T0 + 101).ok());
  json next = json::parse(*e->rerank_json(R"({"limit":20,"explain":true})", T0 + 102));
  for (const json& item : next["items"]) EXPECT_NE(item["id"], top);
  // Same inputs, same output.
  EXPECT_EQ(*e->rerank_json(R"({"limit":20})", T0 + 102), *e->rerank_json(R"({"limit":20})", T0 + 102));
}

TEST(EngineExperiments, AssignmentIsStableAndExposureIsQueuedOncePerSession) {
  auto e = make_engine(R"({"user_id":"learner-9"})");
  auto no_consent = e->variant("exp-1", R"({"a":1,"b":1})", T0);
  ASSERT_TRUE(no_consent.ok()) << no_consent.message();
  EXPECT_EQ((*no_consent)["exposure_queued"], false);
  grant(*e, R"({"analytics":true})");
  auto first = e->variant("exp-1", R"({"a":1,"b":1})", T0 + 1);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ((*first)["exposure_queued"], true);
  auto again = e->variant("exp-1", R"({"a":1,"b":1})", T0 + 2);
  EXPECT_EQ((*again)["variant"], (*first)["variant"]);
  EXPECT_EQ((*again)["exposure_queued"], false);
  EXPECT_EQ(e->queue_stats().held_events, 1u);
  auto later = e->variant("exp-1", R"({"a":1,"b":1})", T0 + 2 + 3'600'000);
  EXPECT_EQ((*later)["exposure_queued"], true) << "a new session logs a new exposure";
  auto other = make_engine(R"({"user_id":"learner-9"})", "77");
  EXPECT_EQ((*other->variant("exp-1", R"({"a":1,"b":1})", T0))["variant"], (*first)["variant"]);
  EXPECT_EQ(e->variant("exp-1", "[]", T0).code(), ErrorCode::invalid_argument);
  EXPECT_EQ(e->variant("exp-1", "{", T0).code(), ErrorCode::invalid_json);
}

}  // namespace
}  // namespace gradvy
