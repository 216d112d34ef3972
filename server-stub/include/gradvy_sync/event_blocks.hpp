// Event blocks: how both storage backends keep events. A stored batch's new
// events are one row (a block) holding them packed, not one row each: a row
// per event cost a B-tree insert per event into the table and into the
// dedupe key, about four times the CPU and bytes of one row per batch.
//
// Dedupe without an index per event: a block records the time range of its
// events, and a new batch only unpacks the learner's blocks whose range
// overlaps its own. Devices send events in time order, so a fresh batch
// overlaps nothing; a retried or overlapping one unpacks a block or two.
// Each block also keeps a Bloom filter of its (ts, id) keys, read before the
// events: a learner whose batches all overlap (many devices at once, a
// client replaying old events) costs a filter probe per overlapping block,
// not an unpack of every one.
// Course interactions (what popularity and embeddings read) are packed a
// second time, small, in an interaction block with the same id, so the
// background jobs scan kilobytes instead of every event's JSON.
//
// Packed formats (text: both databases keep them as TEXT):
//   event:        "<ts> <seq> <id bytes>:<id> <json bytes>:<json>\n"
//   interaction:  "<ts> <item bytes>:<item> <action bytes>:<action>\n"
//   key filter:   hex digits of a Bloom filter over the events' (ts, id),
//                 16 bits per event (at least 64), 11 probes: a batch of 50
//                 new events hits a block that holds none of them ~2% of the
//                 time. Empty: unknown (blocks migrated from single events).
// Lengths are in bytes, so ids and JSON may hold any character.
//
// At rest in SQLite the packed events are a zstd frame (level 1: ~9x smaller
// at ~0.5 us per event), which cuts the bytes the single writer pushes through
// the WAL and the checkpoints. PostgreSQL keeps the text (TEXT cannot hold
// the frame's bytes; TOAST compresses large values itself). Packed text never
// starts with zstd's magic number, so both forms read back (migrated rows are text).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "gradvy_sync/storage.hpp"

namespace gradvy_sync {

// One event read back from a block; views into the block's text.
struct BlockEvent {
  std::int64_t ts = 0;
  std::int64_t seq = 0;
  std::string_view id;
  std::string_view json;
};

// One course interaction read back from an interaction block.
struct BlockInteraction {
  std::int64_t ts = 0;
  std::string_view item_id;
  std::string_view action;
};

// What one stored batch adds: its new events, packed.
struct EventBlock {
  std::int64_t event_count = 0;  // 0: nothing new to store
  std::int64_t ts_min = 0;
  std::int64_t ts_max = 0;
  std::string events;        // packed events, batch order
  std::string key_filter;    // Bloom filter of the events' (ts, id), hex
  std::string interactions;  // packed course interactions; empty when none
};

// Keys (ts, event id) of events already stored for a learner.
using StoredEventKeys = std::set<std::pair<std::int64_t, std::string_view>>;

// Packs the batch's events that are new: not in `stored` (when given) and not
// repeated earlier in the batch (same ts and id). Course interactions need
// item_id/action filled (fill_interaction_columns). Throws StorageError naming
// the event when one cannot be stored (empty id, unknown purpose), before
// anything is written.
EventBlock pack_new_events(const std::vector<StoredEvent>& events, const StoredEventKeys* stored = nullptr);

// The filter hash of each event's (ts, id), computed once per batch.
std::vector<std::uint64_t> event_key_hashes(const std::vector<StoredEvent>& events);

// False only when the block whose filter this is holds none of the keys; an
// empty filter may hold any.
bool key_filter_may_hold_any(std::string_view filter, const std::vector<std::uint64_t>& hashes);

// A block's packed events as a zstd frame, and back. decompress_events
// passes packed text through unchanged and throws StorageError on a damaged frame.
std::string compress_events(std::string_view packed);
std::string decompress_events(std::string stored);

// Unpack a block's text; throw StorageError when it is not a valid block.
void unpack_events(std::string_view packed, std::vector<BlockEvent>& out);
void unpack_interactions(std::string_view packed, std::vector<BlockInteraction>& out);

// Adds the (ts, id) of every event in `packed` to keys (views into packed).
void add_event_keys(std::string_view packed, StoredEventKeys& keys);

// Retention of one block: the part of it with ts >= cutoff (event_count 0
// when nothing is left). Returns how many events were dropped.
std::int64_t keep_events_since(std::string_view events, std::string_view interactions, std::int64_t cutoff,
                               EventBlock& kept);

// A learner's events gathered from several blocks, handed back in (ts, seq,
// arrival) order: add blocks in the order they were stored.
class EventCollector {
 public:
  void add_block(std::string packed);
  // Events with ts >= since_ms, in order, at most limit, parsed.
  std::vector<nlohmann::json> take_json(std::int64_t since_ms = INT64_MIN, std::size_t limit = SIZE_MAX);

 private:
  std::deque<std::string> blocks_;  // deque: views into it stay valid as it grows
  std::vector<BlockEvent> events_;
};

// Every learner's course interactions gathered from interaction blocks
// (added in stored order), for embeddings and popularity.
class InteractionCollector {
 public:
  void add_block(std::string user_id, std::string packed);
  // Interactions with ts >= since_ms, in (ts, arrival) order.
  void for_each(std::int64_t since_ms, const std::function<void(const StoredInteraction&)>& fn);
  // Per item: all-time and recent counts, distinct learners; sorted by
  // all_time desc, then item id.
  std::vector<ItemPopularity> popularity(std::int64_t recent_since_ms) const;

 private:
  struct Entry {
    BlockInteraction interaction;
    std::size_t learner;  // index into learners_
  };
  std::deque<std::string> learners_;
  std::deque<std::string> blocks_;
  std::vector<Entry> entries_;
};

// Parses stored JSON text; text that does not parse comes back as a string
// rather than being lost.
nlohmann::json parse_stored_json(std::string_view text);

}  // namespace gradvy_sync
