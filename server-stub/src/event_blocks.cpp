// Packing and unpacking event blocks (see event_blocks.hpp).
#include "gradvy_sync/event_blocks.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <map>
#include <unordered_set>

#include <zstd.h>

#include "gradvy/purpose.hpp"

namespace gradvy_sync {

namespace {

void append_int(std::string& out, std::int64_t value) {
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
  out.append(digits, end);
}

void append_sized(std::string& out, std::string_view text) {
  append_int(out, static_cast<std::int64_t>(text.size()));
  out += ':';
  out += text;
}

void append_event(std::string& out, std::int64_t ts, std::int64_t seq, std::string_view id, std::string_view json) {
  append_int(out, ts);
  out += ' ';
  append_int(out, seq);
  out += ' ';
  append_sized(out, id);
  out += ' ';
  append_sized(out, json);
  out += '\n';
}

void append_interaction(std::string& out, std::int64_t ts, std::string_view item_id, std::string_view action) {
  append_int(out, ts);
  out += ' ';
  append_sized(out, item_id);
  out += ' ';
  append_sized(out, action);
  out += '\n';
}

// Reads the packed fields one after another; any malformed field throws.
class BlockReader {
 public:
  explicit BlockReader(std::string_view text) : text_(text) {}
  bool at_end() const { return pos_ >= text_.size(); }

  std::int64_t integer(char terminator) {
    std::int64_t value = 0;
    const char* begin = text_.data() + pos_;
    const auto parsed = std::from_chars(begin, text_.data() + text_.size(), value);
    if (parsed.ec != std::errc() || parsed.ptr == begin) fail();
    pos_ = static_cast<std::size_t>(parsed.ptr - text_.data());
    expect(terminator);
    return value;
  }

  std::string_view sized(char terminator) {
    const std::int64_t size = integer(':');
    if (size < 0 || static_cast<std::uint64_t>(size) > text_.size() - pos_) fail();
    const auto out = text_.substr(pos_, static_cast<std::size_t>(size));
    pos_ += static_cast<std::size_t>(size);
    expect(terminator);
    return out;
  }

 private:
  void expect(char c) {
    if (pos_ >= text_.size() || text_[pos_] != c) fail();
    ++pos_;
  }
  [[noreturn]] void fail() const {
    throw StorageError("stored event block is corrupt at byte " + std::to_string(pos_));
  }
  std::string_view text_;
  std::size_t pos_ = 0;
};

bool is_interaction(const StoredEvent& event) {
  // A non-empty item_id is what marks a stored course interaction.
  return event.type == "course_interaction" && !event.item_id.empty();
}

// Bloom filter over (ts, id): FNV-1a of the id mixed with ts, and each probe
// a further splitmix64 step (double hashing modulo a non-power of two left
// probes correlated: 6% false hits instead of 2%). Stable across builds: it is stored.
constexpr int kFilterProbes = 11;
constexpr std::size_t kFilterBitsPerEvent = 16;

std::uint64_t mix64(std::uint64_t h) {
  h ^= h >> 30;
  h *= 0xBF58476D1CE4E5B9ULL;
  h ^= h >> 27;
  h *= 0x94D049BB133111EBULL;
  h ^= h >> 31;
  return h;
}

std::uint64_t key_hash(std::int64_t ts, std::string_view id) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (const char c : id) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return mix64(h ^ static_cast<std::uint64_t>(ts) * 0x9E3779B97F4A7C15ULL);
}

template <typename Probe>
bool for_each_probe(std::uint64_t hash, std::uint64_t bits, Probe&& probe) {
  for (int i = 0; i < kFilterProbes; ++i) {
    if (!probe(mix64(hash + static_cast<std::uint64_t>(i) * 0x9E3779B97F4A7C15ULL) % bits)) return false;
  }
  return true;
}

// Anything but a lowercase hex digit reads as all bits set: a damaged
// filter costs an unpack, never a missed duplicate.
int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return 15;
}

std::string build_key_filter(const std::vector<std::uint64_t>& hashes) {
  const std::uint64_t bits = std::max<std::uint64_t>(64, (hashes.size() * kFilterBitsPerEvent + 3) / 4 * 4);
  std::vector<std::uint8_t> nibbles(bits / 4, 0);
  for (const auto hash : hashes) {
    for_each_probe(hash, bits, [&](std::uint64_t bit) {
      nibbles[bit / 4] |= static_cast<std::uint8_t>(1u << (bit % 4));
      return true;
    });
  }
  static const char* hex = "0123456789abcdef";
  std::string out(nibbles.size(), '0');
  for (std::size_t i = 0; i < nibbles.size(); ++i) out[i] = hex[nibbles[i]];
  return out;
}

// Appends events to a block, keeping its range, count and key filter.
class BlockBuilder {
 public:
  void reserve(std::size_t events, std::size_t bytes) {
    hashes_.reserve(events);
    block_.events.reserve(bytes);
  }
  void add(std::int64_t ts, std::int64_t seq, std::string_view id, std::string_view json) {
    if (block_.event_count == 0 || ts < block_.ts_min) block_.ts_min = ts;
    if (block_.event_count == 0 || ts > block_.ts_max) block_.ts_max = ts;
    ++block_.event_count;
    append_event(block_.events, ts, seq, id, json);
    hashes_.push_back(key_hash(ts, id));
  }
  std::string& interactions() { return block_.interactions; }
  EventBlock finish() {
    if (block_.event_count > 0) block_.key_filter = build_key_filter(hashes_);
    return std::move(block_);
  }

 private:
  EventBlock block_;
  std::vector<std::uint64_t> hashes_;
};

struct KeyHash {
  std::size_t operator()(const std::pair<std::int64_t, std::string_view>& key) const {
    return std::hash<std::string_view>()(key.second) ^ static_cast<std::size_t>(key.first * 0x9E3779B97F4A7C15ULL);
  }
};

}  // namespace

EventBlock pack_new_events(const std::vector<StoredEvent>& events, const StoredEventKeys* stored) {
  for (std::size_t i = 0; i < events.size(); ++i) {
    const auto& event = events[i];
    if (event.id.empty()) throw StorageError("event " + std::to_string(i) + ": empty id cannot be stored");
    if (!gradvy::parse_purpose(event.purpose)) {
      throw StorageError("event " + std::to_string(i) + ": unknown purpose '" + event.purpose + "' cannot be stored");
    }
  }
  std::size_t bytes = 0;
  for (const auto& event : events) bytes += event.json.size() + event.id.size() + 48;
  BlockBuilder block;
  block.reserve(events.size(), bytes);
  // Repeats inside the batch: only batches that repeat an id pay for the set.
  std::unordered_set<std::pair<std::int64_t, std::string_view>, KeyHash> seen;
  seen.reserve(events.size());
  for (const auto& event : events) {
    const std::pair<std::int64_t, std::string_view> key{event.ts, event.id};
    if (!seen.insert(key).second) continue;
    if (stored && stored->count(key)) continue;
    block.add(event.ts, event.seq, event.id, event.json);
    if (is_interaction(event)) append_interaction(block.interactions(), event.ts, event.item_id, event.action);
  }
  return block.finish();
}

std::vector<std::uint64_t> event_key_hashes(const std::vector<StoredEvent>& events) {
  std::vector<std::uint64_t> hashes;
  hashes.reserve(events.size());
  for (const auto& event : events) hashes.push_back(key_hash(event.ts, event.id));
  return hashes;
}

bool key_filter_may_hold_any(std::string_view filter, const std::vector<std::uint64_t>& hashes) {
  if (filter.empty()) return true;
  const std::uint64_t bits = static_cast<std::uint64_t>(filter.size()) * 4;
  for (const auto hash : hashes) {
    const bool maybe = for_each_probe(hash, bits, [&](std::uint64_t bit) {
      return (hex_value(filter[bit / 4]) >> (bit % 4) & 1) != 0;
    });
    if (maybe) return true;
  }
  return false;
}

namespace {
constexpr unsigned char kZstdMagic[4] = {0x28, 0xB5, 0x2F, 0xFD};
// A block holds at most one batch (1,000 events of <= 32 KiB): anything that
// claims more than this is damage, not data.
constexpr unsigned long long kMaxBlockBytes = 64ull << 20;
}  // namespace

// One context per thread: ZSTD_compress() would allocate one per call.
// With a checksum, so damage is an error rather than different events.
ZSTD_CCtx* compression_context() {
  struct Context {
    ZSTD_CCtx* cctx = ZSTD_createCCtx();
    Context() {
      ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, 1);
      ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
    }
    ~Context() { ZSTD_freeCCtx(cctx); }
  };
  static thread_local Context context;
  return context.cctx;
}

ZSTD_DCtx* decompression_context() {
  struct Context {
    ZSTD_DCtx* dctx = ZSTD_createDCtx();
    ~Context() { ZSTD_freeDCtx(dctx); }
  };
  static thread_local Context context;
  return context.dctx;
}

std::string compress_events(std::string_view packed) {
  std::string out(ZSTD_compressBound(packed.size()), '\0');
  const std::size_t size = ZSTD_compress2(compression_context(), out.data(), out.size(), packed.data(), packed.size());
  if (ZSTD_isError(size)) throw StorageError(std::string("compressing an event block: ") + ZSTD_getErrorName(size));
  out.resize(size);
  return out;
}

std::string decompress_events(std::string stored) {
  if (stored.size() < sizeof kZstdMagic || std::memcmp(stored.data(), kZstdMagic, sizeof kZstdMagic) != 0) {
    return stored;
  }
  const unsigned long long size = ZSTD_getFrameContentSize(stored.data(), stored.size());
  if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN || size > kMaxBlockBytes) {
    throw StorageError("stored event block is corrupt: bad zstd frame header");
  }
  std::string out(static_cast<std::size_t>(size), '\0');
  const std::size_t got = ZSTD_decompressDCtx(decompression_context(), out.data(), out.size(), stored.data(), stored.size());
  if (ZSTD_isError(got) || got != out.size()) {
    throw StorageError("stored event block is corrupt: " +
                       std::string(ZSTD_isError(got) ? ZSTD_getErrorName(got) : "short zstd frame"));
  }
  return out;
}

void unpack_events(std::string_view packed, std::vector<BlockEvent>& out) {
  BlockReader reader(packed);
  while (!reader.at_end()) {
    BlockEvent event;
    event.ts = reader.integer(' ');
    event.seq = reader.integer(' ');
    event.id = reader.sized(' ');
    event.json = reader.sized('\n');
    out.push_back(event);
  }
}

void unpack_interactions(std::string_view packed, std::vector<BlockInteraction>& out) {
  BlockReader reader(packed);
  while (!reader.at_end()) {
    BlockInteraction interaction;
    interaction.ts = reader.integer(' ');
    interaction.item_id = reader.sized(' ');
    interaction.action = reader.sized('\n');
    out.push_back(interaction);
  }
}

void add_event_keys(std::string_view packed, StoredEventKeys& keys) {
  std::vector<BlockEvent> events;
  unpack_events(packed, events);
  for (const auto& event : events) keys.emplace(event.ts, event.id);
}

std::int64_t keep_events_since(std::string_view events, std::string_view interactions, std::int64_t cutoff,
                               EventBlock& kept) {
  std::vector<BlockEvent> stored;
  unpack_events(events, stored);
  std::int64_t dropped = 0;
  BlockBuilder block;
  for (const auto& event : stored) {
    if (event.ts < cutoff) {
      ++dropped;
      continue;
    }
    block.add(event.ts, event.seq, event.id, event.json);
  }
  std::vector<BlockInteraction> stored_interactions;
  unpack_interactions(interactions, stored_interactions);
  for (const auto& interaction : stored_interactions) {
    if (interaction.ts >= cutoff) append_interaction(block.interactions(), interaction.ts, interaction.item_id, interaction.action);
  }
  kept = block.finish();
  return dropped;
}

void EventCollector::add_block(std::string packed) {
  blocks_.push_back(std::move(packed));
  unpack_events(blocks_.back(), events_);
}

std::vector<nlohmann::json> EventCollector::take_json(std::int64_t since_ms, std::size_t limit) {
  // Stable: events with equal (ts, seq) keep the order they were stored in.
  std::stable_sort(events_.begin(), events_.end(), [](const BlockEvent& a, const BlockEvent& b) {
    return a.ts != b.ts ? a.ts < b.ts : a.seq < b.seq;
  });
  std::vector<nlohmann::json> out;
  for (const auto& event : events_) {
    if (out.size() >= limit) break;
    if (event.ts >= since_ms) out.push_back(parse_stored_json(event.json));
  }
  return out;
}

void InteractionCollector::add_block(std::string user_id, std::string packed) {
  if (learners_.empty() || learners_.back() != user_id) learners_.push_back(std::move(user_id));
  blocks_.push_back(std::move(packed));
  std::vector<BlockInteraction> unpacked;
  unpack_interactions(blocks_.back(), unpacked);
  for (const auto& interaction : unpacked) entries_.push_back({interaction, learners_.size() - 1});
}

void InteractionCollector::for_each(std::int64_t since_ms, const std::function<void(const StoredInteraction&)>& fn) {
  std::stable_sort(entries_.begin(), entries_.end(),
                   [](const Entry& a, const Entry& b) { return a.interaction.ts < b.interaction.ts; });
  StoredInteraction out;
  for (const auto& entry : entries_) {
    if (entry.interaction.ts < since_ms) continue;
    out.user_id = learners_[entry.learner];
    out.item_id = std::string(entry.interaction.item_id);
    out.action = std::string(entry.interaction.action);
    out.ts = entry.interaction.ts;
    out.weight = interaction_weight(out.action);
    fn(out);
  }
}

std::vector<ItemPopularity> InteractionCollector::popularity(std::int64_t recent_since_ms) const {
  struct Counts {
    ItemPopularity item;
    std::unordered_set<std::string_view> learners;
  };
  std::map<std::string_view, Counts> by_item;
  for (const auto& entry : entries_) {
    auto& counts = by_item[entry.interaction.item_id];
    ++counts.item.all_time;
    if (entry.interaction.ts >= recent_since_ms) ++counts.item.recent;
    counts.learners.insert(learners_[entry.learner]);
  }
  std::vector<ItemPopularity> out;
  out.reserve(by_item.size());
  for (auto& entry : by_item) {
    entry.second.item.item_id = std::string(entry.first);
    entry.second.item.learners = static_cast<std::int64_t>(entry.second.learners.size());
    out.push_back(std::move(entry.second.item));
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const ItemPopularity& a, const ItemPopularity& b) { return a.all_time > b.all_time; });
  return out;
}

nlohmann::json parse_stored_json(std::string_view text) {
  auto doc = nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
  if (doc.is_discarded()) return std::string(text);  // never expected: keep the bytes rather than lose them
  return doc;
}

}  // namespace gradvy_sync
