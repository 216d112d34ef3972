// Storage behaviour, each test run against SQLite and PostgreSQL.
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "gradvy_sync/storage_backends.hpp"
#include "test_storage_fixture.hpp"

namespace gradvy_sync {
namespace {

using testing_support::make_batch;
using testing_support::make_event;
using testing_support::make_events;
using testing_support::ScratchDatabase;
using testing_support::StorageTest;

constexpr std::int64_t kDay = 86'400'000;

// What schema_version holds after every migration ran exactly once.
std::vector<int> every_schema_version() {
  std::vector<int> versions;
  for (int v = 1; v <= latest_schema_version(); ++v) versions.push_back(v);
  return versions;
}

std::set<std::string> stored_ids(Storage& storage, const std::string& user_id) {
  std::set<std::string> ids;
  for (const auto& event : storage.list_events(user_id)) ids.insert(event["id"].get<std::string>());
  return ids;
}

TEST_P(StorageTest, OpensAtTheLatestSchemaVersionAndReopensWithoutMigratingTwice) {
  EXPECT_EQ(storage_->backend(), GetParam());
  EXPECT_EQ(storage_->schema_version(), latest_schema_version());
  EXPECT_TRUE(storage_->ping());
  storage_->store_batch(make_batch("learner-a", "b1"), make_events("learner-a", 0, 3));
  storage_.reset();
  storage_ = open_storage(db_.url());  // second start on the same database
  storage_ = open_storage(db_.url());  // and a third
  EXPECT_EQ(storage_->schema_version(), latest_schema_version());
  EXPECT_EQ(db_.schema_versions(), every_schema_version());
  EXPECT_EQ(storage_->count_events("learner-a"), 3) << "reopening must keep the data";
}

TEST_P(StorageTest, ServersStartingAtOnceOnAFreshDatabaseMigrateItOnce) {
  ScratchDatabase fresh;
  std::string why;
  ASSERT_TRUE(fresh.create(GetParam(), &why)) << why;
  std::vector<std::thread> starters;
  std::vector<std::string> errors(6);
  for (int i = 0; i < 6; ++i) {
    starters.emplace_back([&, i] {
      try {
        auto storage = open_storage(fresh.url(), StorageOptions{1});
        storage->store_batch(make_batch("learner-a", "b" + std::to_string(i)), make_events("learner-a", i, 1));
      } catch (const std::exception& error) {
        errors[static_cast<std::size_t>(i)] = error.what();
      }
    });
  }
  for (auto& starter : starters) starter.join();
  for (const auto& error : errors) EXPECT_EQ(error, "");
  EXPECT_EQ(fresh.schema_versions(), every_schema_version());
  EXPECT_EQ(open_storage(fresh.url())->count_events("learner-a"), 6);
}

// An SQL string literal (test data has no control characters).
std::string sql_literal(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

TEST_P(StorageTest, UpgradesAVersionOneDatabaseInPlace) {
  // A database as gradvy-sync with schema version 1 left it, rows included.
  ScratchDatabase old;
  std::string why;
  ASSERT_TRUE(old.create(GetParam(), &why)) << why;
  const auto page = make_event("learner-a", "ev-1", 1000, "page_view", "analytics", {{"path", "/"}}, 1);
  const auto enroll = make_event("learner-a", "ev-2", 2000, "course_interaction", "personalization",
                                 {{"course_id", "c-1"}, {"action", "enroll"}}, 2);
  std::string sql =
      "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL);"
      "INSERT INTO schema_version (version, applied_at) VALUES (1, 0);" +
      (GetParam() == "sqlite" ? sqlite_migrations() : postgres_migrations()).at(0);
  // The page view carries an item too: only course_interaction events count as interactions.
  for (const auto* event : {&page, &enroll}) {
    const bool interaction = event->type == "course_interaction";
    sql += "INSERT INTO events (user_id, event_id, type, ts, purpose, session_id, seq, item_id, action, batch_id,"
           " received_at, body) VALUES ('learner-a', " +
           sql_literal(event->id) + ", " + sql_literal(event->type) + ", " + std::to_string(event->ts) + ", " +
           sql_literal(event->purpose) + ", " + sql_literal(event->session_id) + ", " + std::to_string(event->seq) +
           ", " + (interaction ? "'c-1', 'enroll'" : "'c-9', 'view'") + ", 'batch-old', 5000, " +
           sql_literal(event->json) + ");";
  }
  sql += "INSERT INTO batches (user_id, batch_id, device_id, sent_at, received_at, event_count, accepted, duplicates)"
         " VALUES ('learner-a', 'batch-old', 'device-1', 4000, 5000, 2, 2, 0);";
  old.exec_sql(sql);

  auto upgraded = open_storage(old.url());
  EXPECT_EQ(upgraded->schema_version(), latest_schema_version());
  EXPECT_EQ(old.schema_versions(), every_schema_version());

  const auto events = upgraded->list_events("learner-a");
  ASSERT_EQ(events.size(), 2u) << "the upgrade keeps every stored event";
  EXPECT_EQ(events[0], nlohmann::json::parse(page.json));
  EXPECT_EQ(events[1], nlohmann::json::parse(enroll.json));
  // Events stored before the upgrade still deduplicate retries after it.
  const auto retry = upgraded->store_batch(make_batch("learner-a", "batch-new"),
                                           {page, enroll, make_event("learner-a", "ev-3", 3000)});
  EXPECT_EQ(retry.accepted, 1);
  EXPECT_EQ(retry.duplicates, 2);
  EXPECT_TRUE(upgraded->store_batch(make_batch("learner-a", "batch-old"), {page}).batch_seen_before);
  const auto interactions = upgraded->load_interactions();
  ASSERT_EQ(interactions.size(), 1u);
  EXPECT_EQ(interactions[0].item_id, "c-1");
  EXPECT_EQ(interactions[0].weight, 3.0);
  const auto popularity = upgraded->item_popularity(0);
  ASSERT_EQ(popularity.size(), 1u);
  EXPECT_EQ(popularity[0].all_time, 1);
  EXPECT_EQ(popularity[0].learners, 1);
  EXPECT_EQ(upgraded->delete_user("learner-a", 1).rows_by_table.at("events"), 3);
}

TEST_P(StorageTest, UpgradesAVersionTwoDatabaseInPlace) {
  // A database as gradvy-sync with schema version 2 left it, rows included:
  // version 3 drops the index on ts, so retention must still find old events.
  ScratchDatabase old;
  std::string why;
  ASSERT_TRUE(old.create(GetParam(), &why)) << why;
  const auto& steps = GetParam() == "sqlite" ? sqlite_migrations() : postgres_migrations();
  std::string sql =
      "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL);"
      "INSERT INTO schema_version (version, applied_at) VALUES (1, 0), (2, 0);" +
      steps.at(0) + steps.at(1);
  const std::int64_t now = 400 * kDay;
  const std::vector<StoredEvent> rows = {
      make_event("learner-a", "a-old", now - 200 * kDay), make_event("learner-a", "a-new", now - kDay),
      make_event("learner-b", "b-new", now - 2 * kDay), make_event("learner-c", "c-old", now - 300 * kDay)};
  const std::vector<std::string> owners = {"learner-a", "learner-a", "learner-b", "learner-c"};
  for (std::size_t i = 0; i < rows.size(); ++i) {
    sql += "INSERT INTO events (user_id, event_id, ts, seq, purpose, body) VALUES (" + sql_literal(owners[i]) + ", " +
           sql_literal(rows[i].id) + ", " + std::to_string(rows[i].ts) + ", " + std::to_string(rows[i].seq) + ", " +
           sql_literal(rows[i].purpose) + ", " + sql_literal(rows[i].json) + ");";
  }
  old.exec_sql(sql);

  auto upgraded = open_storage(old.url());
  EXPECT_EQ(upgraded->schema_version(), latest_schema_version());
  EXPECT_EQ(old.schema_versions(), every_schema_version());
  EXPECT_EQ(upgraded->count_events(""), 4) << "the upgrade keeps every stored event";
  EXPECT_EQ(upgraded->store_batch(make_batch("learner-a", "b1"), {rows[1]}).duplicates, 1);
  EXPECT_EQ(upgraded->purge_events_before(now - 180 * kDay), 2);
  EXPECT_EQ(stored_ids(*upgraded, "learner-a"), std::set<std::string>{"a-new"});
  EXPECT_EQ(upgraded->count_events("learner-b"), 1);
  EXPECT_EQ(upgraded->count_events("learner-c"), 0);
}

TEST_P(StorageTest, SameBatchTwiceIsStoredOnce) {
  const auto events = make_events("learner-a", 0, 50);
  const auto first = storage_->store_batch(make_batch("learner-a", "batch-1"), events);
  EXPECT_EQ(first.accepted, 50);
  EXPECT_EQ(first.duplicates, 0);
  EXPECT_FALSE(first.batch_seen_before);

  const auto retry = storage_->store_batch(make_batch("learner-a", "batch-1", 1'700'000'200'000), events);
  EXPECT_EQ(retry.accepted, 0);
  EXPECT_EQ(retry.duplicates, 50);
  EXPECT_TRUE(retry.batch_seen_before);

  EXPECT_EQ(storage_->count_events("learner-a"), 50);
  const auto exported = storage_->export_user("learner-a", 1);
  ASSERT_EQ(exported["batches"].size(), 1u);
  EXPECT_EQ(exported["batches"][0]["received_at"], 1'700'000'100'000) << "the first delivery is the one kept";
}

TEST_P(StorageTest, OverlappingBatchesStoreEachEventOnce) {
  const auto first = storage_->store_batch(make_batch("learner-a", "batch-1"), make_events("learner-a", 0, 30));
  const auto second = storage_->store_batch(make_batch("learner-a", "batch-2"), make_events("learner-a", 20, 30));
  EXPECT_EQ(first.accepted, 30);
  EXPECT_EQ(second.accepted, 20);
  EXPECT_EQ(second.duplicates, 10);
  EXPECT_FALSE(second.batch_seen_before);
  EXPECT_EQ(storage_->count_events("learner-a"), 50);
  EXPECT_EQ(stored_ids(*storage_, "learner-a").size(), 50u);
}

TEST_P(StorageTest, AnEventIdRepeatedInsideOneBatchCountsAsDuplicate) {
  auto events = make_events("learner-a", 0, 5);
  events.push_back(events[2]);
  const auto result = storage_->store_batch(make_batch("learner-a", "batch-1"), events);
  EXPECT_EQ(result.accepted, 5);
  EXPECT_EQ(result.duplicates, 1);
  EXPECT_EQ(storage_->count_events("learner-a"), 5);
}

TEST_P(StorageTest, EventIdsAreScopedToTheLearner) {
  storage_->store_batch(make_batch("learner-a", "batch-1"), make_events("learner-a", 0, 10));
  // Learner B's device happens to reuse the same ids: B's events must not be
  // swallowed as duplicates of A's.
  const auto result = storage_->store_batch(make_batch("learner-b", "batch-1"), make_events("learner-b", 0, 10));
  EXPECT_EQ(result.accepted, 10);
  EXPECT_FALSE(result.batch_seen_before);
  EXPECT_EQ(storage_->count_events("learner-a"), 10);
  EXPECT_EQ(storage_->count_events("learner-b"), 10);
  EXPECT_EQ(storage_->count_events(""), 20);
}

TEST_P(StorageTest, ABatchWithOneBadRowStoresNothing) {
  auto events = make_events("learner-a", 0, 10);
  events[7].purpose = "telepathy";  // violates the purpose CHECK constraint
  EXPECT_THROW(storage_->store_batch(make_batch("learner-a", "batch-1"), events), StorageError);
  EXPECT_EQ(storage_->count_events("learner-a"), 0) << "the 7 rows before the bad one must be rolled back";
  EXPECT_EQ(db_.rows_about("learner-a").at("batches"), 0);

  auto empty_id = make_events("learner-a", 0, 10);
  empty_id[9].id = "";
  EXPECT_THROW(storage_->store_batch(make_batch("learner-a", "batch-1"), empty_id), StorageError);
  EXPECT_EQ(storage_->count_events("learner-a"), 0);

  // The retry with the row fixed goes through in full: nothing was half-stored.
  const auto fixed = storage_->store_batch(make_batch("learner-a", "batch-1"), make_events("learner-a", 0, 10));
  EXPECT_EQ(fixed.accepted, 10);
  EXPECT_FALSE(fixed.batch_seen_before);
}

TEST_P(StorageTest, AFailingBatchDoesNotTakeConcurrentBatchesDown) {
  // Group commit merges concurrent writers into one transaction; a bad batch
  // must roll back alone.
  std::vector<std::thread> writers;
  std::vector<int> outcomes(16, -1);
  for (int t = 0; t < 16; ++t) {
    writers.emplace_back([&, t] {
      const std::string user = "learner-" + std::to_string(t);
      auto events = make_events(user, 0, 20);
      if (t % 4 == 0) events[10].purpose = "not-a-purpose";
      try {
        outcomes[static_cast<std::size_t>(t)] =
            static_cast<int>(storage_->store_batch(make_batch(user, "batch"), events).accepted);
      } catch (const StorageError&) {
        outcomes[static_cast<std::size_t>(t)] = -2;
      }
    });
  }
  for (auto& writer : writers) writer.join();
  for (int t = 0; t < 16; ++t) {
    const std::string user = "learner-" + std::to_string(t);
    if (t % 4 == 0) {
      EXPECT_EQ(outcomes[static_cast<std::size_t>(t)], -2);
      EXPECT_EQ(storage_->count_events(user), 0);
    } else {
      EXPECT_EQ(outcomes[static_cast<std::size_t>(t)], 20);
      EXPECT_EQ(storage_->count_events(user), 20);
    }
  }
}

TEST_P(StorageTest, EventsComeBackVerbatimInTimeOrder) {
  std::vector<StoredEvent> events = {
      make_event("learner-a", "late", 3000, "search", "analytics", {{"query", "lineare Algebra – Übung"}, {"results_count", 4}}),
      make_event("learner-a", "early", 1000, "page_view", "essential", {{"path", "/"}}),
      make_event("learner-a", "middle", 2000, "quiz_attempt", "personalization",
                 {{"score", 7}, {"total_questions", 10}, {"time_taken", 93.5}}),
  };
  storage_->store_batch(make_batch("learner-a", "b"), events);
  const auto stored = storage_->list_events("learner-a");
  ASSERT_EQ(stored.size(), 3u);
  EXPECT_EQ(stored[0], nlohmann::json::parse(events[1].json));
  EXPECT_EQ(stored[1], nlohmann::json::parse(events[2].json));
  EXPECT_EQ(stored[2], nlohmann::json::parse(events[0].json));
  EXPECT_EQ(storage_->list_events("learner-a", 2000).size(), 2u);
  EXPECT_EQ(storage_->list_events("learner-a", INT64_MIN, 1).size(), 1u);
  EXPECT_TRUE(storage_->list_events("learner-b").empty());
}

TEST_P(StorageTest, ConsentHistoryIsAppendOnlyAndLatestWinsPerPurpose) {
  storage_->append_consent("learner-a", {"analytics", true, 1000, "app", "v1"}, 5000);
  storage_->append_consent_many("learner-a",
                                {{"personalization", true, 2000, "app", "v1"}, {"marketing", false, 2000, "gpc", "v1"}},
                                6000);
  storage_->append_consent("learner-a", {"analytics", false, 3000, "app", "v2"}, 7000);
  // A record that arrives late but was decided earlier does not override.
  storage_->append_consent("learner-a", {"personalization", false, 1500, "tcf", "v1"}, 8000);
  storage_->append_consent("learner-b", {"analytics", true, 1000, "app", "v1"}, 5000);

  const auto history = storage_->list_consent("learner-a");
  ASSERT_EQ(history.size(), 5u);
  EXPECT_EQ(history[0].purpose, "analytics");
  EXPECT_TRUE(history[0].granted);
  EXPECT_EQ(history[0].received_at, 5000);
  EXPECT_EQ(history[3].purpose, "analytics");
  EXPECT_FALSE(history[3].granted);
  EXPECT_EQ(history[3].policy_version, "v2");
  EXPECT_EQ(history[4].source, "tcf");
  for (std::size_t i = 1; i < history.size(); ++i) EXPECT_LT(history[i - 1].seq, history[i].seq);

  const auto latest = storage_->latest_consent("learner-a");
  ASSERT_EQ(latest.size(), 3u);
  EXPECT_FALSE(latest.at("analytics").granted);
  EXPECT_TRUE(latest.at("personalization").granted);
  EXPECT_FALSE(latest.at("marketing").granted);
  EXPECT_EQ(latest.count("social_integration"), 0u);

  EXPECT_TRUE(storage_->latest_consent("learner-b").at("analytics").granted);
  EXPECT_TRUE(storage_->list_consent("nobody").empty());
  EXPECT_THROW(storage_->append_consent("learner-a", {"telepathy", true, 1, "app", "v1"}, 1), StorageError);
  EXPECT_EQ(storage_->list_consent("learner-a").size(), 5u);
}

TEST_P(StorageTest, ExportHoldsEverythingStoredAboutTheLearnerAndNothingElse) {
  const auto events = make_events("learner-a", 0, 4);
  storage_->store_batch(make_batch("learner-a", "batch-1"), events);
  storage_->store_batch(make_batch("learner-b", "batch-b"), make_events("learner-b", 100, 3));
  storage_->append_consent("learner-a", {"analytics", true, 1000, "app", "v1"}, 5000);
  storage_->store_aggregate("learner-a", "device-9", {{"counts", {{"page_view", 12.4}}}, {"epsilon", 1.0}}, 6000);

  const auto doc = storage_->export_user("learner-a", 42);
  EXPECT_EQ(doc["user_id"], "learner-a");
  EXPECT_EQ(doc["exported_at"], 42);
  ASSERT_EQ(doc["events"].size(), 4u);
  for (std::size_t i = 0; i < events.size(); ++i) EXPECT_EQ(doc["events"][i], nlohmann::json::parse(events[i].json));
  ASSERT_EQ(doc["batches"].size(), 1u);
  EXPECT_EQ(doc["batches"][0]["batch_id"], "batch-1");
  EXPECT_EQ(doc["batches"][0]["device_id"], "device-1");
  EXPECT_EQ(doc["batches"][0]["accepted"], 4);
  ASSERT_EQ(doc["consent"].size(), 1u);
  EXPECT_EQ(doc["consent"][0]["purpose"], "analytics");
  EXPECT_EQ(doc["consent"][0]["granted"], true);
  ASSERT_EQ(doc["aggregates"].size(), 1u);
  EXPECT_EQ(doc["aggregates"][0]["device_id"], "device-9");
  EXPECT_EQ(doc["aggregates"][0]["aggregate"]["counts"]["page_view"], 12.4);
  EXPECT_EQ(doc.dump().find("learner-b"), std::string::npos) << "no other learner's data in the export";

  const auto empty = storage_->export_user("nobody", 1);
  EXPECT_TRUE(empty["events"].empty());
  EXPECT_TRUE(empty["consent"].empty());
}

TEST_P(StorageTest, DeleteRemovesEveryRowInEveryTableAndLeavesOthersAlone) {
  for (const std::string user : {"learner-a", "learner-b"}) {
    storage_->store_batch(make_batch(user, "batch-1"), make_events(user, 0, 5));
    storage_->store_batch(make_batch(user, "batch-2"), make_events(user, 3, 5));
    storage_->store_batch(make_batch(user, "batch-3"),
                          {make_event(user, "ci", 5, "course_interaction", "personalization",
                                      {{"course_id", "c-1"}, {"action", "enroll"}})});
    storage_->append_consent(user, {"analytics", true, 1000, "app", "v1"}, 5000);
    storage_->append_consent(user, {"marketing", false, 1000, "app", "v1"}, 5000);
    storage_->store_aggregate(user, "device-1", {{"n", 1}}, 6000);
  }
  // Every table with a user_id column, found from the catalog: a table added
  // later without a matching delete shows up here.
  const auto before = db_.rows_about("learner-a");
  for (const auto& entry : before) {
    EXPECT_GT(entry.second, 0) << "the test must put learner rows into every table, missing: " << entry.first;
  }
  const std::map<std::string, std::int64_t> stored = {{"events", 9}, {"batches", 3}, {"consent", 2}, {"aggregates", 1}};
  EXPECT_EQ(storage_->count_user_rows("learner-a"), stored);

  const auto receipt = storage_->delete_user("learner-a", 99);
  EXPECT_EQ(receipt.user_id, "learner-a");
  EXPECT_EQ(receipt.deleted_at, 99);
  EXPECT_EQ(receipt.rows_by_table.at("events"), 9);
  EXPECT_EQ(receipt.rows_by_table.at("batches"), 3);
  EXPECT_EQ(receipt.rows_by_table.at("consent"), 2);
  EXPECT_EQ(receipt.rows_by_table.at("aggregates"), 1);
  EXPECT_EQ(receipt.total_rows(), 9 + 3 + 2 + 1);
  EXPECT_EQ(receipt.to_json()["total_rows"], 15);

  for (const auto& entry : db_.rows_about("learner-a")) {
    EXPECT_EQ(entry.second, 0) << "rows about the deleted learner left in table " << entry.first;
  }
  EXPECT_EQ(db_.rows_about("learner-b"), before) << "learner B untouched";
  const auto after = storage_->export_user("learner-a", 100);
  EXPECT_TRUE(after["events"].empty());
  EXPECT_TRUE(after["batches"].empty());
  EXPECT_TRUE(after["consent"].empty());
  EXPECT_TRUE(after["aggregates"].empty());
  for (const auto& item : storage_->item_popularity(0)) EXPECT_EQ(item.learners, 1) << "only B's interaction left";

  const auto again = storage_->delete_user("learner-a", 100);
  EXPECT_EQ(again.total_rows(), 0);
  EXPECT_EQ(again.rows_by_table.size(), learner_tables().size());
}

TEST_P(StorageTest, AggregatesAreKeptApartFromRawEvents) {
  storage_->store_aggregate("learner-a", "device-1", {{"topic_minutes", {{"math", 31.7}}}}, 1000);
  EXPECT_EQ(storage_->count_events("learner-a"), 0);
  EXPECT_TRUE(storage_->list_events("learner-a").empty());
  EXPECT_EQ(storage_->count_user_rows("learner-a").at("aggregates"), 1);
}

TEST_P(StorageTest, RetentionPurgesOnlyOlderEvents) {
  const std::int64_t now = 400 * kDay;
  std::vector<StoredEvent> events;
  for (int i = 0; i < 25; ++i) {
    // days 0..240 ago, every 10 days
    events.push_back(make_event("learner-a", "e" + std::to_string(i), now - i * 10 * kDay));
  }
  storage_->store_batch(make_batch("learner-a", "b1", now), events);
  storage_->store_batch(make_batch("learner-b", "b2", now), {make_event("learner-b", "old", now - 300 * kDay)});
  const auto purged = storage_->purge_events_before(now - 180 * kDay);
  EXPECT_EQ(purged, 6 + 1);  // 190..240 days ago for A, 300 for B
  EXPECT_EQ(storage_->count_events("learner-a"), 19);
  EXPECT_EQ(storage_->count_events("learner-b"), 0);
  for (const auto& event : storage_->list_events("learner-a")) EXPECT_GE(event["ts"].get<std::int64_t>(), now - 180 * kDay);
  EXPECT_EQ(storage_->purge_events_before(now - 180 * kDay), 0);
}

TEST_P(StorageTest, RetentionRewritesBlocksThatStraddleTheCutoff) {
  // Events live in blocks (one per stored batch): a batch whose events span
  // the cutoff keeps its recent half, interactions included.
  const std::int64_t now = 400 * kDay;
  const std::int64_t cutoff = now - 180 * kDay;
  auto interaction = [&](const std::string& id, std::int64_t ts, const std::string& course) {
    return make_event("learner-a", id, ts, "course_interaction", "personalization",
                      {{"course_id", course}, {"action", "enroll"}});
  };
  storage_->store_batch(make_batch("learner-a", "straddling", now),
                        {interaction("old-1", cutoff - kDay, "c-old"), make_event("learner-a", "old-2", cutoff - 1),
                         make_event("learner-a", "new-1", cutoff), interaction("new-2", cutoff + kDay, "c-new")});
  // More old blocks than one purge transaction takes (200).
  for (int b = 0; b < 450; ++b) {
    const std::string user = "learner-" + std::to_string(b % 30);
    storage_->store_batch(make_batch(user, "old-" + std::to_string(b), now),
                          make_events(user, b * 2, 2, cutoff - 10 * kDay - b));
  }
  EXPECT_EQ(storage_->purge_events_before(cutoff), 2 + 900);
  EXPECT_EQ(stored_ids(*storage_, "learner-a"), (std::set<std::string>{"new-1", "new-2"}));
  EXPECT_EQ(storage_->count_events(""), 2);
  const auto interactions = storage_->load_interactions();
  ASSERT_EQ(interactions.size(), 1u);
  EXPECT_EQ(interactions[0].item_id, "c-new");
  const auto popularity = storage_->item_popularity(0);
  ASSERT_EQ(popularity.size(), 1u);
  EXPECT_EQ(popularity[0].item_id, "c-new");
  // The rewritten block still deduplicates what it kept, and nothing is purged twice.
  const auto retry = storage_->store_batch(make_batch("learner-a", "retry", now),
                                           {make_event("learner-a", "new-1", cutoff), make_event("learner-a", "new-3", now)});
  EXPECT_EQ(retry.accepted, 1);
  EXPECT_EQ(retry.duplicates, 1);
  EXPECT_EQ(storage_->purge_events_before(cutoff), 0);
  EXPECT_EQ(storage_->count_events("learner-a"), 3);
}

TEST_P(StorageTest, InterleavedBatchesFromTwoDevicesAreStoredInFullAndOnce) {
  // A learner's phone and laptop send batches whose time ranges overlap but
  // whose events differ: nothing is a duplicate. Sent again, everything is.
  std::vector<StoredEvent> phone, laptop;
  for (int i = 0; i < 20; ++i) {
    phone.push_back(make_event("learner-a", "phone-" + std::to_string(i), 1000 + 2 * i));
    laptop.push_back(make_event("learner-a", "laptop-" + std::to_string(i), 1001 + 2 * i));
  }
  EXPECT_EQ(storage_->store_batch(make_batch("learner-a", "p1"), phone).accepted, 20);
  EXPECT_EQ(storage_->store_batch(make_batch("learner-a", "l1"), laptop).accepted, 20);
  std::vector<StoredEvent> both = phone;
  both.insert(both.end(), laptop.begin(), laptop.end());
  const auto again = storage_->store_batch(make_batch("learner-a", "both"), both);
  EXPECT_EQ(again.accepted, 0);
  EXPECT_EQ(again.duplicates, 40);
  // Same id at another time is another event (the identity is id and ts).
  const auto moved = make_event("learner-a", "phone-0", 6000);
  EXPECT_EQ(storage_->store_batch(make_batch("learner-a", "moved"), {moved}).accepted, 1);
  const auto events = storage_->list_events("learner-a");
  ASSERT_EQ(events.size(), 41u);
  for (std::size_t i = 1; i < events.size(); ++i) {
    EXPECT_LE(events[i - 1]["ts"].get<std::int64_t>(), events[i]["ts"].get<std::int64_t>()) << "time order across blocks";
  }
  EXPECT_EQ(storage_->list_events("learner-a", 1010, 3).size(), 3u);
  EXPECT_EQ(storage_->list_events("learner-a", 1010, 3)[0]["ts"], 1010);
}

TEST_P(StorageTest, StoredEventsTakeAFractionOfTheirJson) {
  // SQLite keeps each block zstd-compressed; PostgreSQL's TOAST compresses it.
  auto events = make_events("learner-a", 0, 200);
  std::int64_t json_bytes = 0;
  for (const auto& event : events) json_bytes += static_cast<std::int64_t>(event.json.size());
  for (int b = 0; b < 4; ++b) {
    const std::vector<StoredEvent> part(events.begin() + b * 50, events.begin() + (b + 1) * 50);
    ASSERT_EQ(storage_->store_batch(make_batch("learner-a", "b" + std::to_string(b)), part).accepted, 50);
  }
  const auto stored_bytes = db_.query_int(GetParam() == "sqlite" ? "SELECT sum(length(events)) FROM event_blocks"
                                                                  : "SELECT sum(pg_column_size(events)) FROM event_blocks");
  EXPECT_GT(stored_bytes, 0);
  EXPECT_LT(stored_bytes * 2, json_bytes) << stored_bytes << " bytes stored for " << json_bytes << " bytes of JSON";
  EXPECT_EQ(storage_->list_events("learner-a").size(), 200u);
}

TEST_P(StorageTest, InteractionsAndPopularityComeFromCourseInteractionEvents) {
  const std::int64_t t0 = 1'700'000'000'000;
  auto interaction = [&](const std::string& user, const std::string& id, std::int64_t ts, const std::string& course,
                         const std::string& action) {
    return make_event(user, id, ts, "course_interaction", "personalization",
                      {{"course_id", course}, {"action", action}, {"duration", 60}});
  };
  storage_->store_batch(make_batch("learner-a", "b1"),
                        {interaction("learner-a", "1", t0, "c-algebra", "view"),
                         interaction("learner-a", "2", t0 + 1, "c-algebra", "enroll"),
                         interaction("learner-a", "3", t0 + 2 * kDay, "c-python", "complete"),
                         make_event("learner-a", "4", t0 + 3, "page_view", "analytics", {{"course_id", "c-ignored"}})});
  auto with_columns = interaction("learner-b", "5", t0 + 3 * kDay, "c-python", "drop");
  with_columns.item_id = "c-python";  // the HTTP layer may pass them already parsed
  with_columns.action = "drop";
  storage_->store_batch(make_batch("learner-b", "b2"),
                        {with_columns, interaction("learner-b", "6", t0 + 3 * kDay + 1, "c-algebra", "progress")});

  const auto all = storage_->load_interactions();
  ASSERT_EQ(all.size(), 5u) << "the page_view is not an interaction";
  EXPECT_EQ(all[0].user_id, "learner-a");
  EXPECT_EQ(all[0].item_id, "c-algebra");
  EXPECT_EQ(all[0].action, "view");
  EXPECT_EQ(all[0].weight, 1.0);
  EXPECT_EQ(all[1].weight, 3.0);
  EXPECT_EQ(all[2].item_id, "c-python");
  EXPECT_EQ(all[2].weight, 5.0);
  EXPECT_EQ(all[3].user_id, "learner-b");
  EXPECT_EQ(all[3].weight, -1.0);
  EXPECT_EQ(all[4].action, "progress");
  for (std::size_t i = 1; i < all.size(); ++i) EXPECT_LE(all[i - 1].ts, all[i].ts);

  EXPECT_EQ(storage_->load_interactions(t0 + 2 * kDay).size(), 3u);
  int streamed = 0;
  storage_->for_each_interaction(t0 + 3 * kDay, [&](const StoredInteraction&) { ++streamed; });
  EXPECT_EQ(streamed, 2);

  const auto popularity = storage_->item_popularity(t0 + 2 * kDay);
  ASSERT_EQ(popularity.size(), 2u);
  EXPECT_EQ(popularity[0].item_id, "c-algebra");
  EXPECT_EQ(popularity[0].all_time, 3);
  EXPECT_EQ(popularity[0].recent, 1);
  EXPECT_EQ(popularity[0].learners, 2);
  EXPECT_EQ(popularity[1].item_id, "c-python");
  EXPECT_EQ(popularity[1].all_time, 2);
  EXPECT_EQ(popularity[1].recent, 2);
  EXPECT_EQ(popularity[1].learners, 2);
}

TEST_P(StorageTest, EmbeddingsAndMetaRoundTrip) {
  EXPECT_FALSE(storage_->load_embeddings().has_value());
  storage_->save_embeddings({{"dim", 2}, {"items", {{"c-1", {0.5, -0.25}}}}}, 1000);
  storage_->save_embeddings({{"dim", 2}, {"items", {{"c-2", {1.0, 0.0}}}}}, 2000);
  const auto loaded = storage_->load_embeddings();
  ASSERT_TRUE(loaded.has_value());
  EXPECT_EQ((*loaded)["items"].size(), 1u) << "save replaces the whole document";
  EXPECT_EQ((*loaded)["items"]["c-2"][0], 1.0);

  EXPECT_FALSE(storage_->get_meta("candidates_built_at").has_value());
  storage_->put_meta("candidates_built_at", "123");
  storage_->put_meta("candidates_built_at", "456");
  EXPECT_EQ(storage_->get_meta("candidates_built_at").value_or(""), "456");
}

TEST_P(StorageTest, EightThreadsWithOverlappingBatchesStoreEachEventOnce) {
  // 8 writers, each sending 60 batches of 50 events drawn from windows that
  // overlap the other writers' windows, for 4 learners.
  constexpr int kThreads = 8, kBatches = 60, kBatchSize = 50;
  std::vector<std::int64_t> accepted(kThreads), duplicates(kThreads);
  std::vector<std::string> errors(kThreads);
  std::vector<std::thread> writers;
  for (int t = 0; t < kThreads; ++t) {
    writers.emplace_back([&, t] {
      try {
        for (int b = 0; b < kBatches; ++b) {
          const std::string user = "learner-" + std::to_string(b % 4);
          const int first = (b / 4) * 40 + t * 7;  // consecutive windows overlap
          const auto result = storage_->store_batch(
              make_batch(user, "t" + std::to_string(t) + "-b" + std::to_string(b)), make_events(user, first, kBatchSize));
          accepted[static_cast<std::size_t>(t)] += result.accepted;
          duplicates[static_cast<std::size_t>(t)] += result.duplicates;
        }
      } catch (const std::exception& error) {
        errors[static_cast<std::size_t>(t)] = error.what();
      }
    });
  }
  // Readers at the same time must not block or fail the writers.
  std::thread reader([&] {
    for (int i = 0; i < 50; ++i) {
      storage_->count_events("learner-0");
      storage_->latest_consent("learner-1");
    }
  });
  for (auto& writer : writers) writer.join();
  reader.join();
  for (const auto& error : errors) ASSERT_EQ(error, "");

  std::set<std::pair<std::string, int>> expected;
  for (int t = 0; t < kThreads; ++t) {
    for (int b = 0; b < kBatches; ++b) {
      const int first = (b / 4) * 40 + t * 7;
      for (int i = first; i < first + kBatchSize; ++i) expected.insert({"learner-" + std::to_string(b % 4), i});
    }
  }
  std::int64_t total_accepted = 0, total_duplicates = 0;
  for (int t = 0; t < kThreads; ++t) {
    total_accepted += accepted[static_cast<std::size_t>(t)];
    total_duplicates += duplicates[static_cast<std::size_t>(t)];
  }
  EXPECT_EQ(total_accepted, static_cast<std::int64_t>(expected.size())) << "each event accepted exactly once";
  EXPECT_EQ(total_accepted + total_duplicates, kThreads * kBatches * kBatchSize);
  EXPECT_EQ(storage_->count_events(""), static_cast<std::int64_t>(expected.size()));
  for (int u = 0; u < 4; ++u) {
    const std::string user = "learner-" + std::to_string(u);
    std::size_t want = 0;
    for (const auto& key : expected) want += key.first == user ? 1 : 0;
    EXPECT_EQ(stored_ids(*storage_, user).size(), want);
    EXPECT_EQ(storage_->count_user_rows(user).at("batches"), kThreads * kBatches / 4);
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, StorageTest, ::testing::Values("sqlite", "postgresql"),
                         testing_support::backend_name);

// --- PostgreSQL only ---------------------------------------------------------------

using PostgresStorageTest = StorageTest;

TEST_P(PostgresStorageTest, KeepsWorkingAfterTheServerDropsItsConnections) {
  storage_->store_batch(make_batch("learner-a", "b1"), make_events("learner-a", 0, 10));
  ASSERT_GE(db_.terminate_connections(), 1);
  // Idempotent calls are retried once on a fresh connection.
  EXPECT_EQ(storage_->store_batch(make_batch("learner-a", "b2"), make_events("learner-a", 5, 10)).accepted, 5);
  ASSERT_GE(db_.terminate_connections(), 1);
  EXPECT_EQ(storage_->count_events("learner-a"), 15);
  EXPECT_TRUE(storage_->ping());
}

INSTANTIATE_TEST_SUITE_P(Backends, PostgresStorageTest, ::testing::Values("postgresql"), testing_support::backend_name);

// --- SQLite only -------------------------------------------------------------------

TEST(SqliteStorage, RolledBackBatchesAmongManyLearnersLeaveAnIntactDatabase) {
  // Many learners' events split index pages in the middle of the tree and
  // failing batches roll such splits back, from three threads at once (group
  // commit); every accepted event must stay readable and the file intact.
  ScratchDatabase scratch;
  std::string why;
  ASSERT_TRUE(scratch.create("sqlite", &why)) << why;
  std::int64_t accepted = 0;
  std::map<std::string, std::int64_t> per_learner;
  {
    auto storage = open_storage(scratch.url());
    std::vector<std::thread> writers;
    std::mutex mu;
    for (int t = 0; t < 3; ++t) {
      writers.emplace_back([&, t] {
        for (int b = 0; b < 150; ++b) {
          const std::string user = "learner-" + std::to_string((b * 7 + t * 13) % 40);
          auto events = make_events(user, (t * 150 + b) * 50, 50, 1'700'000'000'000 + b * 1000);
          for (auto& event : events) event.id = testing_support::random_hex(32);
          if (b % 5 == 4) events.back().purpose = "not-a-purpose";
          try {
            const auto result = storage->store_batch(make_batch(user, "b-" + std::to_string(t) + "-" + std::to_string(b)),
                                                     events);
            std::lock_guard<std::mutex> lock(mu);
            accepted += result.accepted;
            per_learner[user] += result.accepted;
          } catch (const StorageError&) {
          }
        }
      });
    }
    for (auto& writer : writers) writer.join();
    EXPECT_EQ(accepted, 3 * 120 * 50) << "every batch but the failing fifth is stored in full";
    EXPECT_EQ(storage->count_events(""), accepted);
    for (const auto& entry : per_learner) {
      EXPECT_EQ(static_cast<std::int64_t>(storage->list_events(entry.first).size()), entry.second) << entry.first;
    }
  }
  EXPECT_EQ(scratch.sqlite_integrity_check(), "ok");
  EXPECT_EQ(open_storage(scratch.url())->count_events(""), accepted) << "reopened: the same events";
}

TEST(SqliteStorage, BackgroundCheckpointsCopyTheWalIntoTheDatabase) {
  // The background checkpointer must really copy the WAL into the database
  // (given a checkpoint on a connection that never read, SQLite 3.40 does
  // nothing and reports success; the writer then did every checkpoint itself,
  // stalling commits, and only past 1 GB of WAL). 40,000 events carrying 2 KB
  // of random hex each (~40 MB once compressed) pass the background threshold
  // (~32 MB of WAL) but not the writer's: the rows must reach the database file anyway.
  ScratchDatabase scratch;
  std::string why;
  ASSERT_TRUE(scratch.create("sqlite", &why)) << why;
  const std::string db_path = scratch.url().substr(std::string("sqlite:").size());
  const auto size_of = [](const std::string& path) {
    std::error_code error;
    const auto size = std::filesystem::file_size(path, error);
    return error ? std::uintmax_t{0} : size;
  };
  constexpr std::uintmax_t kMiB = 1024 * 1024;
  auto storage = open_storage(scratch.url());
  for (int b = 0; b < 800; ++b) {
    const std::string user = "learner-" + std::to_string(b % 50);
    auto events = make_events(user, b * 50, 50, 1'700'000'000'000 + b * 1000);
    for (auto& event : events) {
      event.id = testing_support::random_hex(32);
      auto doc = nlohmann::json::parse(event.json);
      doc["id"] = event.id;
      doc["props"]["note"] = testing_support::random_hex(2000);  // hex: compresses only 2:1
      event.json = doc.dump();
    }
    storage->store_batch(make_batch(user, "b-" + std::to_string(b)), events);
  }
  bool copied = false;
  for (int attempt = 0; attempt < 200 && !copied; ++attempt) {
    copied = size_of(db_path) >= 8 * kMiB;
    if (!copied) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(copied) << "database file " << size_of(db_path) / kMiB << " MiB, WAL file "
                      << size_of(db_path + "-wal") / kMiB << " MiB: the background checkpointer copied nothing";
  EXPECT_EQ(storage->count_events(""), 40'000);
}

// --- opening: URLs and errors -----------------------------------------------------

std::string open_error(const std::string& url) {
  try {
    open_storage(url);
  } catch (const StorageError& error) {
    return error.what();
  }
  return "";
}

TEST(StorageOpen, RejectsUnsupportedUrlsWithAClearMessage) {
  EXPECT_NE(open_error("mysql://root@127.0.0.1/db").find("unsupported database URL 'mysql://root@127.0.0.1/db'"),
            std::string::npos);
  EXPECT_NE(open_error("sqlite:").find("names no file"), std::string::npos);
  EXPECT_NE(open_error("sqlite:/tmp/x.db?journal=off").find("unknown option"), std::string::npos);
  EXPECT_NE(open_error("gradvy.db").find("expected sqlite:PATH"), std::string::npos);
}

TEST(StorageOpen, ReportsAnUnreachablePostgresWithoutLeakingThePassword) {
  // Port 1 on loopback: nothing listens there.
  const auto message = open_error("postgresql://gradvy:s3cret@127.0.0.1:1/gradvy?connect_timeout=2");
  EXPECT_NE(message.find("cannot connect to PostgreSQL at postgresql://gradvy:***@127.0.0.1:1/gradvy"),
            std::string::npos)
      << message;
  EXPECT_EQ(message.find("s3cret"), std::string::npos);
}

TEST(StorageOpen, ReportsAnUnwritableSqlitePath) {
  const auto message = open_error("sqlite:/nonexistent-dir-gradvy/sub/x.db");
  EXPECT_NE(message.find("cannot open '/nonexistent-dir-gradvy/sub/x.db'"), std::string::npos) << message;
}

TEST(StorageOpen, InMemorySqliteWorksForQuickRuns) {
  auto storage = open_storage("sqlite::memory:");
  EXPECT_EQ(storage->store_batch(make_batch("learner-a", "b"), make_events("learner-a", 0, 5)).accepted, 5);
  EXPECT_EQ(storage->count_events("learner-a"), 5);
  EXPECT_EQ(storage->export_user("learner-a", 1)["events"].size(), 5u);
}

TEST(StorageOpen, RedactsPasswordsInUrls) {
  EXPECT_EQ(redact_url("postgresql://u:pw@h:5432/db"), "postgresql://u:***@h:5432/db");
  EXPECT_EQ(redact_url("postgresql://u@h/db?sslmode=disable&password=x&a=b"), "postgresql://u@h/db?sslmode=disable&password=***&a=b");
}

}  // namespace
}  // namespace gradvy_sync
