// Event blocks (server-stub/include/gradvy_sync/event_blocks.hpp): what a
// packed block gives back, and that its key filter never hides a stored event.
#include <gtest/gtest.h>

#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "gradvy_sync/event_blocks.hpp"
#include "test_storage_fixture.hpp"

namespace gradvy_sync {
namespace {

using testing_support::make_event;

std::vector<StoredEvent> random_events(std::mt19937_64& rng, int count) {
  std::vector<StoredEvent> events;
  for (int i = 0; i < count; ++i) {
    const auto ts = 1'700'000'000'000 + static_cast<std::int64_t>(rng() % 600'000);
    events.push_back(make_event("learner-a", "ev-" + std::to_string(rng()), ts));
  }
  return events;
}

TEST(EventBlocks, IdsAndJsonComeBackByteForByte) {
  // Separators, newlines and non-ASCII inside ids and JSON must not confuse the packing.
  auto odd = make_event("learner-a", "id with spaces:and\ncolons", 5, "page_view", "analytics",
                        {{"text", "line one\nline two: \"quoted\" – ünïcode"}}, 7);
  auto plain = make_event("learner-a", "ev-2", 3);
  const auto block = pack_new_events({odd, plain});
  EXPECT_EQ(block.event_count, 2);
  EXPECT_EQ(block.ts_min, 3);
  EXPECT_EQ(block.ts_max, 5);
  std::vector<BlockEvent> back;
  unpack_events(block.events, back);
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[0].id, odd.id);
  EXPECT_EQ(back[0].json, odd.json);
  EXPECT_EQ(back[0].seq, 7);
  EXPECT_EQ(back[1].id, "ev-2");
  EXPECT_EQ(back[1].ts, 3);
}

TEST(EventBlocks, RepeatsInsideABatchAndStoredKeysAreLeftOut) {
  const auto a = make_event("learner-a", "ev-a", 10);
  const auto b = make_event("learner-a", "ev-b", 20);
  const auto a_later = make_event("learner-a", "ev-a", 30);  // same id, other time: another event
  EXPECT_EQ(pack_new_events({a, b, a, a_later}).event_count, 3);
  StoredEventKeys stored{{20, "ev-b"}};
  const auto block = pack_new_events({a, b}, &stored);
  EXPECT_EQ(block.event_count, 1);
  EXPECT_EQ(block.ts_max, 10);
}

TEST(EventBlocks, EventsThatCannotBeStoredAreRefusedByPosition) {
  auto no_id = make_event("learner-a", "", 1);
  auto bad_purpose = make_event("learner-a", "ev-1", 1, "page_view", "advertising");
  EXPECT_THROW(pack_new_events({make_event("learner-a", "ok", 1), no_id}), StorageError);
  try {
    pack_new_events({bad_purpose});
    FAIL() << "an unknown purpose was packed";
  } catch (const StorageError& e) {
    EXPECT_NE(std::string(e.what()).find("event 0"), std::string::npos) << e.what();
  }
}

TEST(EventBlocks, ACorruptBlockThrowsInsteadOfReadingPastItsEnd) {
  std::vector<BlockEvent> out;
  EXPECT_THROW(unpack_events("12 0 5:ev-1 999:{}\n", out), StorageError);
  EXPECT_THROW(unpack_events("12 0 4:ev-1", out), StorageError);
  EXPECT_THROW(unpack_events("x 0 4:ev-1 2:{}\n", out), StorageError);
  std::vector<BlockInteraction> interactions;
  EXPECT_THROW(unpack_interactions("5 3:c-1 -1:view\n", interactions), StorageError);
}

TEST(EventBlocks, KeyFilterHoldsEveryEventOfItsBlock) {
  std::mt19937_64 rng(7);
  for (int round = 0; round < 200; ++round) {
    const auto events = random_events(rng, 1 + round % 60);
    const auto block = pack_new_events(events);
    ASSERT_FALSE(block.key_filter.empty());
    for (const auto& event : events) {
      ASSERT_TRUE(key_filter_may_hold_any(block.key_filter, event_key_hashes({event})))
          << "round " << round << ": the filter hides stored event " << event.id;
    }
  }
}

TEST(EventBlocks, KeyFilterRulesOutMostBlocksThatHoldNoneOfABatch) {
  std::mt19937_64 rng(11);
  int maybe = 0;
  const int rounds = 2000;
  for (int round = 0; round < rounds; ++round) {
    const auto block = pack_new_events(random_events(rng, 50));
    if (key_filter_may_hold_any(block.key_filter, event_key_hashes(random_events(rng, 50)))) ++maybe;
  }
  // 16 bits and 11 probes per event: ~2% of unrelated blocks get unpacked.
  EXPECT_LT(maybe, rounds * 4 / 100) << maybe << " of " << rounds;
  std::printf("key filter: %d of %d unrelated blocks may hold the batch\n", maybe, rounds);
}

TEST(EventBlocks, AMissingOrDamagedFilterMayHoldAnything) {
  const auto hashes = event_key_hashes({make_event("learner-a", "ev-1", 1)});
  EXPECT_TRUE(key_filter_may_hold_any("", hashes)) << "blocks migrated from single events have no filter";
  EXPECT_TRUE(key_filter_may_hold_any(std::string(16, 'z'), hashes));
  EXPECT_FALSE(key_filter_may_hold_any(std::string(16, '0'), hashes));
}

TEST(EventBlocks, RetentionKeepsTheNewerPartWithItsOwnFilter) {
  std::vector<StoredEvent> events;
  for (int i = 0; i < 10; ++i) {
    events.push_back(make_event("learner-a", "ev-" + std::to_string(i), 100 + i, "course_interaction",
                                "personalization", {{"course_id", "c-" + std::to_string(i)}, {"action", "view"}}));
    events.back().item_id = "c-" + std::to_string(i);
    events.back().action = "view";
  }
  const auto block = pack_new_events(events);
  EventBlock kept;
  EXPECT_EQ(keep_events_since(block.events, block.interactions, 106, kept), 6);
  EXPECT_EQ(kept.event_count, 4);
  EXPECT_EQ(kept.ts_min, 106);
  EXPECT_EQ(kept.ts_max, 109);
  for (int i = 6; i < 10; ++i) {
    EXPECT_TRUE(key_filter_may_hold_any(kept.key_filter, event_key_hashes({events[static_cast<std::size_t>(i)]})));
  }
  std::vector<BlockInteraction> interactions;
  unpack_interactions(kept.interactions, interactions);
  ASSERT_EQ(interactions.size(), 4u);
  EXPECT_EQ(interactions.front().item_id, "c-6");
}

TEST(EventBlocks, CompressedEventsReadBackAndTextPassesThrough) {
  std::mt19937_64 rng(3);
  const auto block = pack_new_events(random_events(rng, 50));
  const auto compressed = compress_events(block.events);
  EXPECT_LT(compressed.size() * 3, block.events.size()) << "50 similar events compress well";
  EXPECT_EQ(decompress_events(compressed), block.events);
  EXPECT_EQ(decompress_events(block.events), block.events) << "text (migrated rows) reads as it is";
  EXPECT_EQ(decompress_events(""), "");
}

TEST(EventBlocks, ADamagedCompressedBlockThrows) {
  std::mt19937_64 rng(5);
  auto compressed = compress_events(pack_new_events(random_events(rng, 20)).events);
  auto truncated = compressed.substr(0, compressed.size() / 2);
  EXPECT_THROW(decompress_events(truncated), StorageError);
  for (std::size_t at = 12; at < compressed.size(); at += 7) {  // past the frame header
    auto damaged = compressed;
    damaged[at] = static_cast<char>(damaged[at] ^ 0x5a);
    EXPECT_THROW(decompress_events(damaged), StorageError) << "byte " << at << " flipped went unnoticed";
  }
  EXPECT_THROW(decompress_events(std::string("\x28\xb5\x2f\xfd\xff\xff\xff\xff", 8)), StorageError);
}

}  // namespace
}  // namespace gradvy_sync
