// EventQueue::to_json / restore: the queue's persisted document.
//
// {
//   "format": "gradvy.queue", "version": 1,
//   "pending": [{"id", "purpose", "ts", "seq", "json", "enqueued_at_ms"}],
//   "batches": [{"batch_id", "state": "in_flight"|"retry_wait"|"parked", "attempts",
//                "scheduled_at_ms", "delay_ms"          (retry_wait only),
//                "park_reason"                          (parked only),
//                "events": [{"id", "purpose", "ts", "seq", "json"}]}],
//   "retired_batch_ids": [...],
//   "counters": {"accepted", "sent", ...}
// }
//
// restore() validates the whole document into a fresh State before touching
// the queue, so a refusal leaves the queue exactly as it was.
#include <limits>
#include <string>
#include <unordered_set>

#include "gradvy/queue.hpp"

namespace gradvy {
namespace {

using nlohmann::json;

constexpr std::int64_t kMaxDelayMs = 8ll * 86'400'000;  // max Retry-After (7 days) + max cap (1 day)

const char* state_name(int state) {
  switch (state) {
    case 0: return "in_flight";
    case 1: return "retry_wait";
    default: return "parked";
  }
}

// Reads typed fields and keeps the first failure, naming the path and rule.
class Reader {
 public:
  bool ok() const { return status_.ok(); }
  Status status() const { return status_; }

  bool fail(const std::string& path, const std::string& rule) {
    if (status_.ok()) status_ = Status(ErrorCode::snapshot_corrupt, "queue snapshot: " + path + ": " + rule);
    return false;
  }

  const json* require(const json& object, const char* key, const std::string& path) {
    if (!ok()) return nullptr;
    auto it = object.find(key);
    if (it == object.end()) {
      fail(path + "." + key, "is missing");
      return nullptr;
    }
    return &*it;
  }

  const json* object(const json& parent, const char* key, const std::string& path) {
    const json* value = require(parent, key, path);
    if (value != nullptr && !value->is_object()) {
      fail(path + "." + key, "must be an object");
      return nullptr;
    }
    return value;
  }

  const json* array(const json& parent, const char* key, const std::string& path) {
    const json* value = require(parent, key, path);
    if (value != nullptr && !value->is_array()) {
      fail(path + "." + key, "must be an array");
      return nullptr;
    }
    return value;
  }

  bool i64(const json& parent, const char* key, const std::string& path, std::int64_t& out,
           std::int64_t lo = std::numeric_limits<std::int64_t>::min(),
           std::int64_t hi = std::numeric_limits<std::int64_t>::max()) {
    const json* value = require(parent, key, path);
    if (value == nullptr) return false;
    if (!value->is_number_integer()) return fail(path + "." + key, "must be an integer");
    if (value->is_number_unsigned()) {
      const std::uint64_t u = value->get<std::uint64_t>();
      if (u > static_cast<std::uint64_t>(hi)) return fail(path + "." + key, "must be at most " + std::to_string(hi));
      out = static_cast<std::int64_t>(u);
    } else {
      out = value->get<std::int64_t>();
    }
    if (out < lo || out > hi) {
      return fail(path + "." + key, "must be in " + std::to_string(lo) + ".." + std::to_string(hi));
    }
    return true;
  }

  bool u64(const json& parent, const char* key, const std::string& path, std::uint64_t& out,
           std::uint64_t hi = std::numeric_limits<std::uint64_t>::max()) {
    const json* value = require(parent, key, path);
    if (value == nullptr) return false;
    if (value->is_number_unsigned()) {
      out = value->get<std::uint64_t>();
    } else if (value->is_number_integer() && value->get<std::int64_t>() >= 0) {
      out = static_cast<std::uint64_t>(value->get<std::int64_t>());
    } else {
      return fail(path + "." + key, "must be a non-negative integer");
    }
    if (out > hi) return fail(path + "." + key, "must be at most " + std::to_string(hi));
    return true;
  }

  bool str(const json& parent, const char* key, const std::string& path, std::string& out) {
    const json* value = require(parent, key, path);
    if (value == nullptr) return false;
    if (!value->is_string()) return fail(path + "." + key, "must be a string");
    out = value->get<std::string>();
    return true;
  }

 private:
  Status status_;
};

json event_to_json(const QueuedEvent& e) {
  return json{{"id", e.id}, {"purpose", std::string(to_string(e.purpose))}, {"ts", e.ts}, {"seq", e.seq}, {"json", e.json}};
}

bool read_event(Reader& r, const json& value, const std::string& path, QueuedEvent& out,
                std::unordered_set<std::string>& seen_ids) {
  if (!value.is_object()) return r.fail(path, "must be an object");
  std::string purpose;
  if (!r.str(value, "id", path, out.id) || !r.str(value, "purpose", path, purpose) ||
      !r.i64(value, "ts", path, out.ts) || !r.u64(value, "seq", path, out.seq) ||
      !r.str(value, "json", path, out.json)) {
    return false;
  }
  const auto parsed = parse_purpose(purpose);
  if (!parsed) return r.fail(path + ".purpose", "unknown purpose \"" + purpose + "\"");
  out.purpose = *parsed;
  Status shape = check_queued_event(out);
  if (!shape.ok()) return r.fail(path, shape.message());
  if (!seen_ids.insert(out.id).second) return r.fail(path + ".id", "duplicate event id \"" + out.id + "\"");
  return true;
}

}  // namespace

json EventQueue::to_json() const {
  const State& s = state_;
  json pending = json::array();
  s.pending.for_each_in_order([&](const PendingLanes::Entry& p) {
    json e = event_to_json(p.event);
    e["enqueued_at_ms"] = p.enqueued_at_ms;
    pending.push_back(std::move(e));
  });
  json batches = json::array();
  for (const Batch& b : s.batches) {
    json events = json::array();
    for (const QueuedEvent& e : b.events) events.push_back(event_to_json(e));
    json batch{{"batch_id", b.id},
               {"state", state_name(static_cast<int>(b.state))},
               {"attempts", b.attempts},
               {"events", std::move(events)}};
    if (b.state == BatchState::retry_wait) {
      batch["scheduled_at_ms"] = b.scheduled_at_ms;
      batch["delay_ms"] = b.delay_ms;
    }
    if (b.state == BatchState::parked) batch["park_reason"] = std::string(to_string(b.park_reason));
    batches.push_back(std::move(batch));
  }
  json retired = json::array();
  for (const std::string& id : s.retired_batch_ids) retired.push_back(id);
  const Counters& c = s.counters;
  json counters{{"accepted", c.accepted},
                {"sent", c.sent},
                {"batches_sent", c.batches_sent},
                {"retries", c.retries},
                {"batches_split", c.batches_split},
                {"batches_parked", c.batches_parked},
                {"dropped_overflow", c.dropped_overflow},
                {"dropped_consent_withdrawn", c.dropped_consent_withdrawn},
                {"dropped_too_large", c.dropped_too_large},
                {"dropped_cleared", c.dropped_cleared},
                {"refused_overflow", c.refused_overflow},
                {"refused_too_large", c.refused_too_large},
                {"refused_invalid", c.refused_invalid}};
  return json{{"format", std::string(kSnapshotFormat)},
              {"version", kSnapshotVersion},
              {"pending", std::move(pending)},
              {"batches", std::move(batches)},
              {"retired_batch_ids", std::move(retired)},
              {"counters", std::move(counters)}};
}

Status EventQueue::restore(const json& snapshot) {
  if (!snapshot.is_object()) return Status(ErrorCode::snapshot_corrupt, "queue snapshot: must be an object");
  auto format = snapshot.find("format");
  if (format == snapshot.end() || !format->is_string() || format->get<std::string>() != kSnapshotFormat) {
    return Status(ErrorCode::snapshot_version,
                  "queue snapshot: format must be \"" + std::string(kSnapshotFormat) + "\" (not a queue snapshot)");
  }
  auto version = snapshot.find("version");
  if (version == snapshot.end() || !version->is_number_integer() || version->get<std::int64_t>() != kSnapshotVersion) {
    return Status(ErrorCode::snapshot_version,
                  "queue snapshot: version must be " + std::to_string(kSnapshotVersion) + " (unsupported version)");
  }

  Reader r;
  State fresh;
  std::unordered_set<std::string> event_ids;

  const json* pending = r.array(snapshot, "pending", "");
  if (pending != nullptr) {
    for (std::size_t i = 0; i < pending->size() && r.ok(); ++i) {
      const std::string path = ".pending[" + std::to_string(i) + "]";
      QueuedEvent event;
      std::int64_t enqueued_at_ms = 0;
      if (!read_event(r, (*pending)[i], path, event, event_ids)) break;
      if (!r.i64((*pending)[i], "enqueued_at_ms", path, enqueued_at_ms)) break;
      fresh.pending.push_back(std::move(event), enqueued_at_ms);
    }
  }

  std::unordered_set<std::string> batch_ids;
  const json* batches = r.array(snapshot, "batches", "");
  if (batches != nullptr) {
    for (std::size_t i = 0; i < batches->size() && r.ok(); ++i) {
      const std::string path = ".batches[" + std::to_string(i) + "]";
      const json& value = (*batches)[i];
      if (!value.is_object()) {
        r.fail(path, "must be an object");
        break;
      }
      Batch b;
      std::string state;
      std::uint64_t attempts = 0;
      if (!r.str(value, "batch_id", path, b.id) || !r.str(value, "state", path, state) ||
          !r.u64(value, "attempts", path, attempts, std::numeric_limits<std::uint32_t>::max())) {
        break;
      }
      if (b.id.empty()) {
        r.fail(path + ".batch_id", "must not be empty");
        break;
      }
      if (!batch_ids.insert(b.id).second) {
        r.fail(path + ".batch_id", "duplicate batch id \"" + b.id + "\"");
        break;
      }
      b.attempts = static_cast<std::uint32_t>(attempts);
      if (state == "in_flight") {
        if (b.attempts == 0) {
          r.fail(path + ".attempts", "must be at least 1 for a batch in flight");
          break;
        }
        // The page may have died mid-send: resend at once (the server dedups).
        b.state = BatchState::retry_wait;
        b.scheduled_at_ms = std::numeric_limits<std::int64_t>::min();
        b.delay_ms = 0;
      } else if (state == "retry_wait") {
        b.state = BatchState::retry_wait;
        if (!r.i64(value, "scheduled_at_ms", path, b.scheduled_at_ms) ||
            !r.i64(value, "delay_ms", path, b.delay_ms, 0, kMaxDelayMs)) {
          break;
        }
      } else if (state == "parked") {
        b.state = BatchState::parked;
        std::string reason;
        if (!r.str(value, "park_reason", path, reason)) break;
        if (reason == to_string(ParkReason::attempts_exhausted)) {
          b.park_reason = ParkReason::attempts_exhausted;
        } else if (reason == to_string(ParkReason::rejected)) {
          b.park_reason = ParkReason::rejected;
        } else {
          r.fail(path + ".park_reason", "must be \"attempts_exhausted\" or \"rejected\"");
          break;
        }
      } else {
        r.fail(path + ".state", "must be \"in_flight\", \"retry_wait\" or \"parked\"");
        break;
      }
      const json* events = r.array(value, "events", path);
      if (events == nullptr) break;
      if (events->empty()) {
        r.fail(path + ".events", "must not be empty (an emptied batch is removed)");
        break;
      }
      b.events.reserve(events->size());
      for (std::size_t j = 0; j < events->size() && r.ok(); ++j) {
        QueuedEvent e;
        if (!read_event(r, (*events)[j], path + ".events[" + std::to_string(j) + "]", e, event_ids)) break;
        b.bytes += e.json.size();
        b.events.push_back(std::move(e));
      }
      if (!r.ok()) break;
      fresh.batch_events += b.events.size();
      fresh.batch_bytes += b.bytes;
      fresh.batches.push_back(std::move(b));
    }
  }

  const json* retired = r.array(snapshot, "retired_batch_ids", "");
  if (retired != nullptr) {
    if (retired->size() > kRetiredBatchMemory) {
      r.fail(".retired_batch_ids", "must hold at most " + std::to_string(kRetiredBatchMemory) + " ids");
    }
    for (std::size_t i = 0; i < retired->size() && r.ok(); ++i) {
      const json& id = (*retired)[i];
      const std::string path = ".retired_batch_ids[" + std::to_string(i) + "]";
      if (!id.is_string() || id.get<std::string>().empty()) {
        r.fail(path, "must be a non-empty string");
      } else if (!batch_ids.insert(id.get<std::string>()).second) {
        r.fail(path, "duplicates a batch id");
      } else {
        fresh.retired_batch_ids.push_back(id.get<std::string>());
      }
    }
  }

  const json* counters = r.object(snapshot, "counters", "");
  if (counters != nullptr) {
    Counters& c = fresh.counters;
    const std::string path = ".counters";
    (void)(r.u64(*counters, "accepted", path, c.accepted) && r.u64(*counters, "sent", path, c.sent) &&
        r.u64(*counters, "batches_sent", path, c.batches_sent) && r.u64(*counters, "retries", path, c.retries) &&
        r.u64(*counters, "batches_split", path, c.batches_split) &&
        r.u64(*counters, "batches_parked", path, c.batches_parked) &&
        r.u64(*counters, "dropped_overflow", path, c.dropped_overflow) &&
        r.u64(*counters, "dropped_consent_withdrawn", path, c.dropped_consent_withdrawn) &&
        r.u64(*counters, "dropped_too_large", path, c.dropped_too_large) &&
        r.u64(*counters, "dropped_cleared", path, c.dropped_cleared) &&
        r.u64(*counters, "refused_overflow", path, c.refused_overflow) &&
        r.u64(*counters, "refused_too_large", path, c.refused_too_large) &&
        r.u64(*counters, "refused_invalid", path, c.refused_invalid));
    if (r.ok()) {
      // Every accepted event is held, sent or dropped with a reason; a document
      // where that does not add up was edited or truncated.
      __extension__ using u128 = unsigned __int128;  // the sum of seven u64 counters may exceed 2^64
      const u128 accounted = static_cast<u128>(fresh.pending.size()) +
                                          fresh.batch_events + c.sent + c.dropped_overflow +
                                          c.dropped_consent_withdrawn + c.dropped_too_large + c.dropped_cleared;
      if (accounted != c.accepted) {
        r.fail(path + ".accepted",
               "must equal held + sent + dropped events (the counters do not match the events in the snapshot)");
      }
    }
  }

  if (!r.ok()) return r.status();
  state_ = std::move(fresh);
  return Status();
}

}  // namespace gradvy
