// Native throughput of Engine::track() for a small course_interaction event
// (validate + stamp + scrub + consent + queue push) and of take-batch + ack.
// Prints `name=value unit` lines; never fails on time.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>

#include "gradvy/engine.hpp"

namespace {

// Thread CPU time, not wall time: the shared 2-core CI machine is usually
// oversubscribed, and wall time then measures the neighbours. The run also
// prints its wall-clock rate for comparison.
struct Clock {
  using time_point = double;
  static double now() {
    timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + ts.tv_nsec * 1e-9;
  }
};

double seconds_since(double start) { return Clock::now() - start; }

}  // namespace

// Optional argv[1]: rounds of 50 events (default 8000 = 400,000 events). A
// small count keeps instruction-count runs under valgrind short.
int main(int argc, char** argv) {
  const int rounds = argc > 1 ? std::max(1, std::atoi(argv[1])) : 8000;
  auto created = gradvy::Engine::create(R"({"queue":{"batch_size":50,"max_events":100000}})", "b3c4");
  if (!created.ok()) {
    std::fprintf(stderr, "create: %s\n", created.message().c_str());
    return 1;
  }
  auto engine = std::move(*created);
  if (!engine->set_consent(R"({"analytics":true})", 1).ok()) return 1;

  const std::string props = R"({"course_id":"py-101","action":"view","duration":12.5})";
  const std::string ctx = R"({"page_url":"/courses/py-101","locale":"en-GB"})";
  std::int64_t now = 1'763'800'000'000;

  // Warm up (allocations, caches).
  for (int i = 0; i < 20000; ++i) {
    (void)engine->track("course_interaction", props, ctx, ++now);
    if (i % 50 == 49) {
      auto b = engine->take_batch(now, true);
      if (b) (void)engine->ack(b->batch_id, now);
    }
  }

  const auto wall_start = std::chrono::steady_clock::now();
  double track_s = 0, take_s = 0;
  std::size_t events = 0, taken = 0, bytes = 0;
  for (int r = 0; r < rounds; ++r) {
    auto t0 = Clock::now();
    for (int i = 0; i < 50; ++i) {
      auto result = engine->track("course_interaction", props, ctx, ++now);
      if (!result.ok() || *result != gradvy::kTrackQueued) {
        std::fprintf(stderr, "track failed: %s\n", result.message().c_str());
        return 1;
      }
    }
    track_s += seconds_since(t0);
    events += 50;
    auto t1 = Clock::now();
    auto batch = engine->take_batch(now, false);
    if (!batch) return 1;
    auto acked = engine->ack(batch->batch_id, now);
    take_s += seconds_since(t1);
    if (!acked.ok()) return 1;
    taken += batch->event_count;
    bytes += batch->body.size();
  }
  const double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  std::printf("core_track_native_events_per_s=%.0f events/s\n", events / track_s);
  std::printf("core_track_plus_take_native_wall_events_per_s=%.0f events/s\n", events / wall_s);
  std::printf("core_track_native_ns_per_event=%.1f ns\n", track_s * 1e9 / events);
  std::printf("core_take_batch_native_events_per_s=%.0f events/s\n", taken / take_s);
  std::printf("core_take_batch_native_bytes_per_event=%.1f bytes\n", static_cast<double>(bytes) / taken);

  // Same event with personalization granted too: track also updates the profile.
  if (!engine->set_consent(R"({"personalization":true})", now).ok()) return 1;
  auto t2 = Clock::now();
  std::size_t profiled = 0;
  for (int r = 0; r < (rounds + 3) / 4; ++r) {
    for (int i = 0; i < 50; ++i) {
      auto result = engine->track("course_interaction", props, ctx, ++now);
      if (!result.ok()) return 1;
      ++profiled;
    }
    auto batch = engine->take_batch(now, false);
    if (batch) (void)engine->ack(batch->batch_id, now);
  }
  std::printf("core_track_native_with_profile_events_per_s=%.0f events/s\n", profiled / seconds_since(t2));
  return 0;
}
