#include "gradvy/queue.hpp"

#include <algorithm>
#include <limits>
#include <utility>

#include "gradvy/str_cat.hpp"
#include "gradvy/utf8.hpp"

namespace gradvy {
namespace {

std::int64_t saturating_add(std::int64_t a, std::int64_t b) {
  if (b > 0 && a > std::numeric_limits<std::int64_t>::max() - b) return std::numeric_limits<std::int64_t>::max();
  if (b < 0 && a < std::numeric_limits<std::int64_t>::min() - b) return std::numeric_limits<std::int64_t>::min();
  return a + b;
}

}  // namespace

std::string_view to_string(ParkReason reason) {
  switch (reason) {
    case ParkReason::attempts_exhausted: return "attempts_exhausted";
    case ParkReason::rejected: return "rejected";
  }
  return "rejected";
}

std::string_view to_string(FailAction action) {
  switch (action) {
    case FailAction::retry_scheduled: return "retry_scheduled";
    case FailAction::parked: return "parked";
    case FailAction::split: return "split";
    case FailAction::dropped_too_large: return "dropped_too_large";
    case FailAction::already_gone: return "already_gone";
  }
  return "already_gone";
}

// [[gnu::cold]] (here and on purge_purpose): host stats and consent withdrawal,
// not per event; optimized for size in this -O3 file.
[[gnu::cold]]
nlohmann::json queue_stats_to_json(const QueueStats& s) {
  return nlohmann::json{
      {"queued", s.queued},
      {"queued_bytes", s.queued_bytes},
      {"in_flight", s.in_flight},
      {"in_flight_batches", s.in_flight_batches},
      {"retry_waiting", s.retry_waiting},
      {"retry_waiting_batches", s.retry_waiting_batches},
      {"parked", s.parked},
      {"parked_batches", s.parked_batches},
      {"held_events", s.held_events},
      {"held_bytes", s.held_bytes},
      {"accepted", s.accepted},
      {"sent", s.sent},
      {"batches_sent", s.batches_sent},
      {"retries", s.retries},
      {"batches_split", s.batches_split},
      {"batches_parked", s.batches_parked},
      {"dropped_overflow", s.dropped_overflow},
      {"dropped_consent_withdrawn", s.dropped_consent_withdrawn},
      {"dropped_too_large", s.dropped_too_large},
      {"dropped_cleared", s.dropped_cleared},
      {"refused_overflow", s.refused_overflow},
      {"refused_too_large", s.refused_too_large},
      {"refused_invalid", s.refused_invalid},
  };
}

Status check_queued_event(const QueuedEvent& event) {
  if (event.id.empty()) return Status(ErrorCode::invalid_argument, "event.id: must not be empty");
  if (event.json.empty()) return Status(ErrorCode::invalid_argument, "event.json: must not be empty");
  if (!is_valid_utf8(event.id)) return Status(ErrorCode::invalid_argument, "event.id: must be valid UTF-8");
  if (!is_valid_utf8(event.json)) return Status(ErrorCode::invalid_argument, "event.json: must be valid UTF-8");
  return Status();
}

EventQueue::EventQueue(Rng& rng) : rng_(&rng) {}

Status EventQueue::configure(const QueueConfig& config) {
  Status valid = validate_queue_config(config);
  if (valid.ok()) config_ = config;
  return valid;
}

BackoffPolicy EventQueue::backoff_policy() const {
  return BackoffPolicy{config_.backoff_base_ms, config_.backoff_cap_ms, config_.max_retry_after_ms};
}

// ---------------------------------------------------------------- push ----

Status EventQueue::push(QueuedEvent event, std::int64_t now_ms) {
  State& s = state_;
  const std::uint64_t size = event.json.size();
  if (size > static_cast<std::uint64_t>(config_.max_event_bytes)) {
    ++s.counters.refused_too_large;
    return Status(ErrorCode::event_too_large, str_cat({"event is ", std::to_string(size), " bytes; the limit is ",
                                                       std::to_string(config_.max_event_bytes), " (max_event_bytes)"}));
  }
  Status shape = check_queued_event(event);
  if (!shape.ok()) {
    ++s.counters.refused_invalid;
    return shape;
  }

  const std::uint64_t max_events = config_.max_events;
  const std::uint64_t max_bytes = static_cast<std::uint64_t>(config_.max_bytes);
  const std::uint64_t held_events = s.pending.size() + s.batch_events;
  const std::uint64_t held_bytes = s.pending.bytes() + s.batch_bytes;
  if (held_events + 1 > max_events || held_bytes + size > max_bytes) {
    // Would evicting every evictable event (pending, non-essential) make room?
    // If not, refuse now and evict nothing: old events are not lost for nothing.
    const std::uint64_t fixed_events = s.pending.essential_count() + s.batch_events;
    const std::uint64_t fixed_bytes = s.pending.essential_bytes() + s.batch_bytes;
    if (fixed_events + 1 > max_events || fixed_bytes + size > max_bytes) {
      ++s.counters.refused_overflow;
      return Status(ErrorCode::limit_exceeded,
                    str_cat({"queue is full (max_events ", std::to_string(max_events), ", max_bytes ",
                             std::to_string(max_bytes), ") with events that cannot be evicted (essential or in a batch)"}));
    }
    while (s.pending.size() + s.batch_events + 1 > max_events ||
           s.pending.bytes() + s.batch_bytes + size > max_bytes) {
      s.pending.evict_oldest_non_essential();  // exists: checked above
      ++s.counters.dropped_overflow;
    }
  }

  s.pending.push_back(std::move(event), now_ms);
  ++s.counters.accepted;
  return Status();
}

// -------------------------------------------------------- flush policy ----

bool EventQueue::due(std::int64_t now_ms) const {
  const State& s = state_;
  if (s.pending.empty()) return false;
  if (s.pending.size() >= config_.batch_size) return true;
  if (s.pending.bytes() >= static_cast<std::uint64_t>(config_.batch_max_bytes)) return true;
  const std::int64_t oldest = s.pending.front().enqueued_at_ms;
  if (now_ms < oldest) return true;  // clock went backwards: age unknown, flushing early is harmless
  return now_ms - oldest >= config_.max_age_ms;
}

std::int64_t EventQueue::ready_at(const Batch& batch, std::int64_t now_ms) {
  // A wait scheduled "in the future" means the clock went backwards: the wait
  // restarts from now rather than ending early.
  const std::int64_t start = now_ms < batch.scheduled_at_ms ? now_ms : batch.scheduled_at_ms;
  return saturating_add(start, batch.delay_ms);
}

std::size_t EventQueue::in_flight_batch_count() const {
  return static_cast<std::size_t>(std::count_if(state_.batches.begin(), state_.batches.end(),
                                                [](const Batch& b) { return b.state == BatchState::in_flight; }));
}

std::optional<std::int64_t> EventQueue::next_wakeup_ms(std::int64_t now_ms) const {
  const State& s = state_;
  if (in_flight_batch_count() >= config_.max_in_flight_batches) return std::nullopt;
  std::optional<std::int64_t> earliest_retry;
  for (const Batch& b : s.batches) {
    if (b.state != BatchState::retry_wait) continue;
    const std::int64_t at = ready_at(b, now_ms);
    if (!earliest_retry || at < *earliest_retry) earliest_retry = at;
  }
  if (earliest_retry) return std::max(*earliest_retry, now_ms);  // backing off gates new batches too
  if (s.pending.empty()) return std::nullopt;
  if (due(now_ms)) return now_ms;
  return saturating_add(s.pending.front().enqueued_at_ms, config_.max_age_ms);
}

// ------------------------------------------------------------ delivery ----

std::string EventQueue::new_batch_id() {
  for (;;) {
    std::string id = rng_->uuid4();
    if (find_batch(id) == nullptr && !is_retired(id)) return id;  // a repeat would need a restored rng; be safe
  }
}

EventQueue::Batch* EventQueue::find_batch(std::string_view id) {
  for (Batch& b : state_.batches) {
    if (b.id == id) return &b;
  }
  return nullptr;
}

bool EventQueue::is_retired(std::string_view id) const {
  return std::find(state_.retired_batch_ids.begin(), state_.retired_batch_ids.end(), id) !=
         state_.retired_batch_ids.end();
}

void EventQueue::retire(std::string id) {
  state_.retired_batch_ids.push_back(std::move(id));
  while (state_.retired_batch_ids.size() > kRetiredBatchMemory) state_.retired_batch_ids.pop_front();
}

void EventQueue::remove_batch(std::size_t index) {
  State& s = state_;
  s.batch_events -= s.batches[index].events.size();
  s.batch_bytes -= s.batches[index].bytes;
  s.batches.erase(s.batches.begin() + static_cast<std::ptrdiff_t>(index));
}

OutgoingBatch EventQueue::describe(const Batch& batch) const {
  OutgoingBatch out;
  out.batch_id = batch.id;
  out.attempt = batch.attempts;
  out.event_ids.reserve(batch.events.size());
  out.events_json.reserve(batch.bytes + batch.events.size() + 2);
  out.events_json.push_back('[');
  for (std::size_t i = 0; i < batch.events.size(); ++i) {
    if (i != 0) out.events_json.push_back(',');
    out.events_json.append(batch.events[i].json);
    out.event_ids.push_back(batch.events[i].id);
  }
  out.events_json.push_back(']');
  return out;
}

std::optional<OutgoingBatch> EventQueue::take_batch(std::int64_t now_ms, bool force) {
  State& s = state_;
  if (!force && in_flight_batch_count() >= config_.max_in_flight_batches) return std::nullopt;

  // 1. A waiting batch whose time has come (oldest events first).
  bool backing_off = false;
  for (Batch& b : s.batches) {
    if (b.state != BatchState::retry_wait) continue;
    if (now_ms < b.scheduled_at_ms) b.scheduled_at_ms = now_ms;  // clock went back: restart the wait
    if (now_ms >= ready_at(b, now_ms)) {
      b.state = BatchState::in_flight;
      ++b.attempts;
      return describe(b);
    }
    backing_off = true;
  }
  // 2. While a batch waits out its backoff, nothing new goes out.
  if (backing_off || s.pending.empty()) return std::nullopt;
  if (!force && !due(now_ms)) return std::nullopt;

  // 3. A new batch from the oldest pending events, within both batch limits.
  Batch batch;
  batch.id = new_batch_id();
  batch.state = BatchState::in_flight;
  batch.attempts = 1;
  const std::size_t count_limit = std::min<std::size_t>(config_.batch_size, s.pending.size());
  batch.events.reserve(count_limit);
  const std::uint64_t byte_limit = static_cast<std::uint64_t>(config_.batch_max_bytes);
  std::uint64_t array_bytes = 2;  // "[" and "]"
  while (!s.pending.empty() && batch.events.size() < count_limit) {
    const std::uint64_t size = s.pending.front().event.json.size();
    const std::uint64_t added = size + (batch.events.empty() ? 0 : 1);
    // The first event always goes (an event over the limit can only come from
    // a snapshot taken under a larger config; the server will answer 413).
    if (!batch.events.empty() && array_bytes + added > byte_limit) break;
    array_bytes += added;
    batch.bytes += size;
    batch.events.push_back(s.pending.pop_front());
  }
  s.batch_events += batch.events.size();
  s.batch_bytes += batch.bytes;
  s.batches.push_back(std::move(batch));
  return describe(s.batches.back());
}

Result<std::vector<std::string>> EventQueue::ack(std::string_view batch_id, std::int64_t /*now_ms*/) {
  State& s = state_;
  for (std::size_t i = 0; i < s.batches.size(); ++i) {
    Batch& b = s.batches[i];
    if (b.id != batch_id) continue;
    if (b.state != BatchState::in_flight) {
      return Result<std::vector<std::string>>(
          ErrorCode::unknown_batch,
          "batch " + std::string(batch_id) + " is not in flight (" +
              (b.state == BatchState::parked ? "parked" : "waiting for a retry") + "); ack only a taken batch");
    }
    std::vector<std::string> ids;
    ids.reserve(b.events.size());
    for (QueuedEvent& e : b.events) ids.push_back(std::move(e.id));
    s.counters.sent += ids.size();
    ++s.counters.batches_sent;
    remove_batch(i);
    return ids;
  }
  if (is_retired(batch_id)) return std::vector<std::string>{};
  return Result<std::vector<std::string>>(ErrorCode::unknown_batch,
                                          "batch " + std::string(batch_id) + " is not in flight");
}

Result<FailOutcome> EventQueue::fail(std::string_view batch_id, const FailureInfo& failure, std::int64_t now_ms) {
  State& s = state_;
  std::size_t index = 0;
  while (index < s.batches.size() && s.batches[index].id != batch_id) ++index;
  if (index == s.batches.size()) {
    if (is_retired(batch_id)) {
      FailOutcome gone;
      gone.action = FailAction::already_gone;
      return gone;
    }
    return Result<FailOutcome>(ErrorCode::unknown_batch, "batch " + std::string(batch_id) + " is not in flight");
  }
  Batch& b = s.batches[index];
  if (b.state != BatchState::in_flight) {
    return Result<FailOutcome>(ErrorCode::unknown_batch,
                               "batch " + std::string(batch_id) + " is not in flight (" +
                                   (b.state == BatchState::parked ? "parked" : "waiting for a retry") +
                                   "); fail only a taken batch");
  }

  FailOutcome outcome;
  if (failure.too_large) {
    if (b.events.size() == 1) {
      ++s.counters.dropped_too_large;
      remove_batch(index);
      outcome.action = FailAction::dropped_too_large;
      return outcome;
    }
    // Halves by count, first half the larger; both are new batches ready now.
    Batch first;
    Batch second;
    const std::size_t first_count = (b.events.size() + 1) / 2;
    for (std::size_t i = 0; i < b.events.size(); ++i) {
      Batch& half = i < first_count ? first : second;
      half.bytes += b.events[i].json.size();
      half.events.push_back(std::move(b.events[i]));
    }
    for (Batch* half : {&first, &second}) {
      half->state = BatchState::retry_wait;
      half->attempts = 0;
      half->scheduled_at_ms = now_ms;
      half->delay_ms = 0;
    }
    // The halves take the old batch's place; held totals are unchanged (same
    // events). push_back + rotate rather than vector::insert: the same order,
    // without insert's code in the wasm module (2.9 KB).
    first.id = new_batch_id();
    outcome.new_batch_ids.push_back(first.id);
    second.id = new_batch_id();
    outcome.new_batch_ids.push_back(second.id);
    s.batches[index] = std::move(first);
    s.batches.push_back(std::move(second));
    std::rotate(s.batches.begin() + static_cast<std::ptrdiff_t>(index) + 1, s.batches.end() - 1, s.batches.end());
    ++s.counters.batches_split;
    outcome.action = FailAction::split;
    return outcome;
  }

  if (!failure.retryable || b.attempts >= config_.max_attempts) {
    b.state = BatchState::parked;
    b.park_reason = failure.retryable ? ParkReason::attempts_exhausted : ParkReason::rejected;
    b.scheduled_at_ms = 0;
    b.delay_ms = 0;
    ++s.counters.batches_parked;
    outcome.action = FailAction::parked;
    outcome.park_reason = b.park_reason;
    return outcome;
  }

  // attempts >= 1 here (a batch in flight was taken at least once): retry index attempts-1.
  const std::uint32_t retry_index = b.attempts == 0 ? 0 : b.attempts - 1;
  b.state = BatchState::retry_wait;
  b.scheduled_at_ms = now_ms;
  b.delay_ms = retry_delay_ms(backoff_policy(), retry_index, failure.retry_after_ms, *rng_);
  ++s.counters.retries;
  outcome.action = FailAction::retry_scheduled;
  outcome.retry_at_ms = saturating_add(now_ms, b.delay_ms);
  return outcome;
}

void EventQueue::unpark(Batch& batch, std::int64_t now_ms) {
  batch.state = BatchState::retry_wait;
  batch.attempts = 0;
  batch.scheduled_at_ms = now_ms;
  batch.delay_ms = 0;
}

std::size_t EventQueue::unpark_exhausted(std::int64_t now_ms) {
  std::size_t count = 0;
  for (Batch& b : state_.batches) {
    if (b.state == BatchState::parked && b.park_reason == ParkReason::attempts_exhausted) {
      unpark(b, now_ms);
      ++count;
    }
  }
  return count;
}

std::size_t EventQueue::unpark_all(std::int64_t now_ms) {
  std::size_t count = 0;
  for (Batch& b : state_.batches) {
    if (b.state == BatchState::parked) {
      unpark(b, now_ms);
      ++count;
    }
  }
  return count;
}

Status EventQueue::unpark_batch(std::string_view batch_id, std::int64_t now_ms) {
  Batch* b = find_batch(batch_id);
  if (b == nullptr || b->state != BatchState::parked) {
    return Status(ErrorCode::unknown_batch, "batch " + std::string(batch_id) + " is not parked");
  }
  unpark(*b, now_ms);
  return Status();
}

// ------------------------------------------------------------- removal ----

[[gnu::cold]]
std::size_t EventQueue::purge_purpose(Purpose purpose) {
  State& s = state_;
  std::size_t removed = s.pending.remove_purpose(purpose);
  for (std::size_t i = 0; i < s.batches.size();) {
    Batch& b = s.batches[i];
    const auto end = std::remove_if(b.events.begin(), b.events.end(), [&](const QueuedEvent& e) {
      if (e.purpose != purpose) return false;
      b.bytes -= e.json.size();
      s.batch_bytes -= e.json.size();
      --s.batch_events;
      ++removed;
      return true;
    });
    b.events.erase(end, b.events.end());
    if (b.events.empty()) {
      retire(std::move(b.id));
      s.batches.erase(s.batches.begin() + static_cast<std::ptrdiff_t>(i));
    } else {
      ++i;
    }
  }
  s.counters.dropped_consent_withdrawn += removed;
  return removed;
}

std::size_t EventQueue::clear() {
  State& s = state_;
  const std::size_t removed = s.pending.size() + s.batch_events;
  for (Batch& b : s.batches) retire(std::move(b.id));
  s.pending.clear();
  s.batches.clear();
  s.batch_events = s.batch_bytes = 0;
  s.counters.dropped_cleared += removed;
  return removed;
}

// --------------------------------------------------------------- stats ----

QueueStats EventQueue::stats() const {
  const State& s = state_;
  QueueStats out;
  out.queued = s.pending.size();
  out.queued_bytes = s.pending.bytes();
  for (const Batch& b : s.batches) {
    switch (b.state) {
      case BatchState::in_flight:
        out.in_flight += b.events.size();
        ++out.in_flight_batches;
        break;
      case BatchState::retry_wait:
        out.retry_waiting += b.events.size();
        ++out.retry_waiting_batches;
        break;
      case BatchState::parked:
        out.parked += b.events.size();
        ++out.parked_batches;
        break;
    }
  }
  out.held_events = s.pending.size() + s.batch_events;
  out.held_bytes = s.pending.bytes() + s.batch_bytes;
  const Counters& c = s.counters;
  out.accepted = c.accepted;
  out.sent = c.sent;
  out.batches_sent = c.batches_sent;
  out.retries = c.retries;
  out.batches_split = c.batches_split;
  out.batches_parked = c.batches_parked;
  out.dropped_overflow = c.dropped_overflow;
  out.dropped_consent_withdrawn = c.dropped_consent_withdrawn;
  out.dropped_too_large = c.dropped_too_large;
  out.dropped_cleared = c.dropped_cleared;
  out.refused_overflow = c.refused_overflow;
  out.refused_too_large = c.refused_too_large;
  out.refused_invalid = c.refused_invalid;
  return out;
}

}  // namespace gradvy
