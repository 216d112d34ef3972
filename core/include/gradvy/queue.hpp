// The batching queue and its delivery protocol with the host.
//
// The queue does not know the event schema: it holds already-stamped events
// (id, purpose, wire JSON) and decides WHEN and WHAT to send; the host (JS)
// does the sending and reports back:
//
//   push(event, now)            -> bounded; may evict oldest non-essential pending events
//   take_batch(now, force)      -> next batch to send, or nothing
//   ack(batch_id, now)          -> ids that are now delivered
//   fail(batch_id, info, now)   -> the core schedules the retry / parks / splits
//   next_wakeup_ms(now)         -> when to call take_batch again
//
// Life of an event: pending -> in a batch (in_flight -> retry_wait -> in_flight
// ... ) -> acked (sent) | parked | dropped-with-a-counter. Nothing leaves the
// queue without a counter saying why, so at any time
//   accepted == queued + in_flight + retry_waiting + parked + sent
//               + dropped_overflow + dropped_consent_withdrawn
//               + dropped_too_large + dropped_cleared.
//
// Decisions (also in docs/ARCHITECTURE.md):
// - Bounds (max_events, max_bytes) count everything held, because all of it
//   is persisted in the snapshot. Overflow evicts only PENDING non-essential
//   events, oldest first, and only if that makes the new event fit; otherwise
//   the new event is refused (limit_exceeded) and nothing is evicted.
// - One batch in flight at a time by default (max_in_flight_batches).
//   force=true (page hide / explicit flush) ignores the flush triggers and the
//   in-flight limit, but never a backoff: while any batch waits for its retry
//   time, no new batch is formed (the server asked us to slow down).
// - batch_id is a uuid4 from the injected Rng and stays the same across
//   retries of the same events. Server idempotency (batch id + event ids)
//   makes every resend safe.
// - Retryable failure: exponential backoff with full jitter (backoff.hpp), at
//   least Retry-After. After max_attempts sends the batch is PARKED
//   (attempts_exhausted): kept and persisted, not sent again until unparked
//   (the host calls unpark_exhausted() on `online` / page load).
// - Non-retryable failure (400 etc.): the batch is parked with reason
//   `rejected`, never dropped: the data is kept until a fixed server or app
//   unparks it (unpark_all / unpark_batch) or the user's consent/forget-me
//   removes it.
// - too_large (413): the batch is split in two halves by event count; both
//   halves get NEW batch ids (a batch id always names one exact set of
//   events), attempts start at 0 and they are ready at once. A single event
//   that is too large on its own is dropped (dropped_too_large).
// - purge_purpose also removes the purpose's events from in-flight, waiting
//   and parked batches (a resend omits them; an ack never reports them). A
//   batch that becomes empty disappears; a later ack/fail for its id is
//   answered ok with nothing acknowledged (the host may still be sending it),
//   not unknown_batch. The same holds after clear().
// - Clock going backwards: a pending event whose push time is in the future
//   counts as old enough (flushing early is harmless); a retry wait restarts
//   from the new `now` (never sending before a backoff has really elapsed).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "gradvy/backoff.hpp"
#include "gradvy/fifo.hpp"
#include "gradvy/purpose.hpp"
#include "gradvy/queue_config.hpp"
#include "gradvy/queue_event.hpp"
#include "gradvy/queue_pending.hpp"
#include "gradvy/random.hpp"
#include "gradvy/status.hpp"

namespace gradvy {

// What the host sends: POST {batch_id, ..., events: <events_json>}.
struct OutgoingBatch {
  std::string batch_id;
  std::vector<std::string> event_ids;
  std::string events_json;    // "[e1,e2,...]": the wire strings joined, <= batch_max_bytes
  std::uint32_t attempt = 1;  // 1 for the first send of this batch id
};

// How a send went wrong. retryable = network error, 5xx, 408, 429;
// not retryable = other 4xx. too_large = 413 (wins over retryable).
struct FailureInfo {
  bool retryable = true;
  std::optional<std::int64_t> retry_after_ms;  // server's Retry-After, honoured as a minimum
  bool too_large = false;
};

enum class ParkReason : std::uint8_t {
  attempts_exhausted,  // max_attempts sends all failed (retryable)
  rejected,            // the server refused it as non-retryable
};
std::string_view to_string(ParkReason reason);

enum class FailAction : std::uint8_t {
  retry_scheduled,    // waits until retry_at_ms, then take_batch returns it again
  parked,             // kept, not sent until unparked
  split,              // replaced by two halves (new_batch_ids), ready at once
  dropped_too_large,  // single event too large for the server: dropped and counted
  already_gone,       // the batch was emptied by a purge / clear: nothing to do
};
std::string_view to_string(FailAction action);

struct FailOutcome {
  FailAction action = FailAction::retry_scheduled;
  std::int64_t retry_at_ms = 0;              // for retry_scheduled
  std::optional<ParkReason> park_reason;     // for parked
  std::vector<std::string> new_batch_ids;    // for split
};

struct QueueStats {
  // What is held now.
  std::uint64_t queued = 0;  // pending: not yet in a batch
  std::uint64_t queued_bytes = 0;
  std::uint64_t in_flight = 0;  // events in batches the host is sending
  std::uint64_t in_flight_batches = 0;
  std::uint64_t retry_waiting = 0;  // events in batches waiting for their retry time
  std::uint64_t retry_waiting_batches = 0;
  std::uint64_t parked = 0;  // events in parked batches
  std::uint64_t parked_batches = 0;
  std::uint64_t held_events = 0;  // all of the above; what max_events bounds
  std::uint64_t held_bytes = 0;   // what max_bytes bounds
  // Cumulative counters (persisted in the snapshot).
  std::uint64_t accepted = 0;  // pushes that entered the queue
  std::uint64_t sent = 0;      // events acknowledged by the server
  std::uint64_t batches_sent = 0;
  std::uint64_t retries = 0;  // retryable failures that scheduled another send
  std::uint64_t batches_split = 0;
  std::uint64_t batches_parked = 0;  // times a batch was parked (either reason)
  std::uint64_t dropped_overflow = 0;
  std::uint64_t dropped_consent_withdrawn = 0;
  std::uint64_t dropped_too_large = 0;  // single events the server refused as too large
  std::uint64_t dropped_cleared = 0;    // removed by clear() (forget-me)
  std::uint64_t refused_overflow = 0;   // pushes refused: full of essential/in-flight events
  std::uint64_t refused_too_large = 0;  // pushes refused: over max_event_bytes
  std::uint64_t refused_invalid = 0;    // pushes refused: empty id/json or invalid UTF-8
};

// Every field above under the same names.
nlohmann::json queue_stats_to_json(const QueueStats& stats);

// What push refuses regardless of size: empty id, empty json, invalid UTF-8
// in either (it would abort the wasm build when serialised).
Status check_queued_event(const QueuedEvent& event);

class EventQueue {
 public:
  // `rng` (owned by the engine, which snapshots its state) supplies batch ids
  // and jitter; it must outlive the queue. Starts with the default config.
  explicit EventQueue(Rng& rng);

  // Validates and applies; the queue keeps its contents (a smaller bound
  // applies from the next push on).
  Status configure(const QueueConfig& config);
  const QueueConfig& config() const { return config_; }

  // Takes ownership of the event. Errors: event_too_large (over
  // max_event_bytes), limit_exceeded (full and nothing evictable),
  // invalid_argument (check_queued_event). Every refusal is counted.
  Status push(QueuedEvent event, std::int64_t now_ms);

  // Flush policy on pending events: count >= batch_size, or oldest pending
  // age >= max_age_ms, or pending bytes >= batch_max_bytes.
  bool due(std::int64_t now_ms) const;

  // When take_batch(now, false) may next return something: `now_ms` if it
  // would right now, else the earliest age/backoff timer; nullopt when only
  // an ack/fail or a push can change that (e.g. the in-flight limit is reached
  // or the queue is empty).
  std::optional<std::int64_t> next_wakeup_ms(std::int64_t now_ms) const;

  // The next batch to send: first a waiting batch whose retry time has come
  // (oldest first), else - when due(now) or force - a new batch from the
  // oldest pending events. See the decisions above for what blocks it.
  std::optional<OutgoingBatch> take_batch(std::int64_t now_ms, bool force = false);

  // The server stored the batch. Returns the event ids acknowledged (events
  // purged meanwhile are not among them). unknown_batch if the id is not in
  // flight; ok with no ids if the batch was emptied by a purge/clear.
  Result<std::vector<std::string>> ack(std::string_view batch_id, std::int64_t now_ms);

  // The send failed; the core decides what happens next (FailOutcome).
  // unknown_batch if the id is not in flight.
  Result<FailOutcome> fail(std::string_view batch_id, const FailureInfo& failure, std::int64_t now_ms);

  // Parked batches become ready to send at once, with a fresh attempt count.
  // Return the number of batches unparked.
  std::size_t unpark_exhausted(std::int64_t now_ms);  // only attempts_exhausted (on `online`)
  std::size_t unpark_all(std::int64_t now_ms);        // rejected ones too
  Status unpark_batch(std::string_view batch_id, std::int64_t now_ms);  // unknown_batch if not parked

  // Consent withdrawn: removes every held event of `purpose` (pending, in
  // flight, waiting, parked). Returns how many; counted as dropped_consent_withdrawn.
  std::size_t purge_purpose(Purpose purpose);

  // Forget-me: removes every held event (counted as dropped_cleared); the
  // cumulative counters stay. Returns how many.
  std::size_t clear();

  QueueStats stats() const;

  // The whole state: pending events, batches (with state, attempts, timers),
  // ids of batches emptied by a purge, counters. Not the config and not the
  // rng (the engine owns and snapshots those). Deterministic: equal states
  // give byte-identical dumps.
  nlohmann::json to_json() const;

  // Replaces the whole state from to_json() output. Batches that were in
  // flight become ready to resend at once (the page may have died mid-send).
  // A corrupt document returns snapshot_corrupt naming the field (a foreign
  // format or newer version: snapshot_version) and changes nothing. Contents
  // over the current bounds are kept; pushes evict/refuse until it shrinks.
  Status restore(const nlohmann::json& snapshot);

  static constexpr int kSnapshotVersion = 1;
  static constexpr std::string_view kSnapshotFormat = "gradvy.queue";
  // How many purged/cleared batch ids are remembered for a graceful late ack.
  static constexpr std::size_t kRetiredBatchMemory = 256;

 private:
  enum class BatchState : std::uint8_t { in_flight, retry_wait, parked };
  struct Batch {
    std::string id;
    BatchState state = BatchState::in_flight;
    std::uint32_t attempts = 0;  // sends started
    // retry_wait: scheduled at `scheduled_at_ms` for `delay_ms`.
    std::int64_t scheduled_at_ms = 0;
    std::int64_t delay_ms = 0;
    ParkReason park_reason = ParkReason::attempts_exhausted;
    std::vector<QueuedEvent> events;
    std::uint64_t bytes = 0;  // sum of event json sizes
  };
  struct Counters {
    std::uint64_t accepted = 0, sent = 0, batches_sent = 0, retries = 0, batches_split = 0,
                  batches_parked = 0, dropped_overflow = 0, dropped_consent_withdrawn = 0,
                  dropped_too_large = 0, dropped_cleared = 0, refused_overflow = 0,
                  refused_too_large = 0, refused_invalid = 0;
  };
  // Everything restore() replaces, so a restore is one swap.
  struct State {
    PendingLanes pending;
    std::vector<Batch> batches;  // oldest events first
    std::uint64_t batch_events = 0;
    std::uint64_t batch_bytes = 0;
    Fifo<std::string> retired_batch_ids;  // emptied by purge/clear; newest last
    Counters counters;
  };

  BackoffPolicy backoff_policy() const;
  std::size_t in_flight_batch_count() const;
  Batch* find_batch(std::string_view id);
  bool is_retired(std::string_view id) const;
  void retire(std::string id);
  std::string new_batch_id();
  void remove_batch(std::size_t index);
  OutgoingBatch describe(const Batch& batch) const;
  static std::int64_t ready_at(const Batch& batch, std::int64_t now_ms);
  static void unpark(Batch& batch, std::int64_t now_ms);

  QueueConfig config_;
  Rng* rng_;
  State state_;
};

}  // namespace gradvy
