// Queue hot paths: push, take_batch + ack, the interleaved steady state and
// push into a full queue (every push evicts). Prints `name=value unit` lines;
// never fails on time.
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "gradvy/queue.hpp"

using namespace gradvy;

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// A small course_interaction as the event builder would serialise it (~270 bytes).
// Every 10th is essential unless `all_analytics` (then every push can evict).
std::vector<QueuedEvent> make_events(std::size_t count, Rng& rng, bool all_analytics = false) {
  std::vector<QueuedEvent> events;
  events.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    QueuedEvent e;
    e.id = rng.uuid4();
    e.purpose = !all_analytics && i % 10 == 0 ? Purpose::essential : Purpose::analytics;
    e.ts = 1'700'000'000'000 + static_cast<std::int64_t>(i);
    e.seq = i;
    e.json = "{\"id\":\"" + e.id +
             "\",\"type\":\"course_interaction\",\"ts\":1700000000000,\"session_id\":"
             "\"3f0c2a9e-1b7d-4c55-9a41-0d6e2f8b7c13\",\"seq\":" +
             std::to_string(i) +
             ",\"user_id\":\"u_8f3a\",\"purpose\":\"analytics\",\"props\":{\"course_id\":\"c-101\","
             "\"action\":\"progress\",\"duration\":42},\"ctx\":{\"page_url\":\"/courses/c-101\"}}";
    events.push_back(std::move(e));
  }
  return events;
}

QueueConfig roomy_config() {
  QueueConfig c;
  c.max_events = 1'000'000;
  c.max_bytes = 256ll * 1024 * 1024;
  return c;
}

}  // namespace

int main() {
  constexpr std::size_t kEvents = 400'000;
  Rng rng(2024);
  std::printf("queue_event_bytes=%zu bytes\n", make_events(1, rng)[0].json.size());

  // 1. push into an empty, roomy queue.
  double push_seconds = 0;
  double take_seconds = 0;
  std::size_t taken = 0;
  std::size_t batches = 0;
  {
    EventQueue queue(rng);
    (void)queue.configure(roomy_config());
    std::vector<QueuedEvent> events = make_events(kEvents, rng);
    const auto start = Clock::now();
    for (QueuedEvent& e : events) {
      if (!queue.push(std::move(e), 0).ok()) std::fprintf(stderr, "push refused\n");
    }
    push_seconds = seconds_since(start);

    // 2. take_batch + ack until empty (batches of 50).
    const auto take_start = Clock::now();
    while (auto batch = queue.take_batch(0, true)) {
      taken += batch->event_ids.size();
      ++batches;
      (void)queue.ack(batch->batch_id, 0);
    }
    take_seconds = seconds_since(take_start);
  }
  std::printf("queue_push=%.0f events/s\n", kEvents / push_seconds);
  std::printf("queue_take_batch_ack=%.0f events/s\n", taken / take_seconds);
  std::printf("queue_take_batch_ack_batches=%.0f batches/s\n", batches / take_seconds);

  // 3. Steady state: push 50, take the batch, ack it.
  {
    EventQueue queue(rng);
    (void)queue.configure(roomy_config());
    std::vector<QueuedEvent> events = make_events(kEvents, rng);
    const auto start = Clock::now();
    std::int64_t now = 0;
    for (QueuedEvent& e : events) {
      (void)queue.push(std::move(e), now);
      if (auto batch = queue.take_batch(now)) (void)queue.ack(batch->batch_id, now);
      ++now;
    }
    std::printf("queue_push_take_ack_steady=%.0f events/s\n", kEvents / seconds_since(start));
  }

  // 4. Offline and full: every push evicts the oldest non-essential event.
  {
    EventQueue queue(rng);
    QueueConfig c;  // default bounds: 10,000 events / 5 MiB
    (void)queue.configure(c);
    std::vector<QueuedEvent> fill = make_events(c.max_events, rng);  // 1,000 essential stay put
    for (QueuedEvent& e : fill) (void)queue.push(std::move(e), 0);
    std::vector<QueuedEvent> events = make_events(kEvents, rng, true);
    const auto start = Clock::now();
    for (QueuedEvent& e : events) (void)queue.push(std::move(e), 0);
    const double s = seconds_since(start);
    std::printf("queue_push_full_evicting=%.0f events/s\n", kEvents / s);
    std::printf("queue_dropped_overflow=%llu events\n",
                static_cast<unsigned long long>(queue.stats().dropped_overflow));
  }

  // 5. Snapshot of a full default-size queue (persisted after every change).
  {
    EventQueue queue(rng);
    std::vector<QueuedEvent> fill = make_events(10'000, rng);
    for (QueuedEvent& e : fill) (void)queue.push(std::move(e), 0);
    const auto start = Clock::now();
    const nlohmann::json doc = queue.to_json();
    const double to_json_s = seconds_since(start);
    const auto dump_start = Clock::now();
    const std::string text = doc.dump();
    const double dump_s = seconds_since(dump_start);
    std::printf("queue_snapshot_10k_to_json=%.2f ms\n", to_json_s * 1e3);
    const auto restore_start = Clock::now();
    EventQueue other(rng);
    const bool ok = other.restore(nlohmann::json::parse(text, nullptr, false)).ok();
    const double restore_s = seconds_since(restore_start);
    std::printf("queue_snapshot_10k_dump=%.2f ms\n", dump_s * 1e3);
    std::printf("queue_snapshot_10k_parse_restore=%.2f ms%s\n", restore_s * 1e3, ok ? "" : " (FAILED)");
    std::printf("queue_snapshot_10k_size=%zu bytes\n", text.size());
  }
  return 0;
}
