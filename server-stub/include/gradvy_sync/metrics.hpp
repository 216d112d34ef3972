// Prometheus text-format metrics for gradvy-sync (GET /metrics).
//
// Names (all prefixed gradvy_sync_):
//   http_requests_total{route,method,code}           counter
//   http_request_duration_seconds{route}              histogram
//   http_requests_in_flight                           gauge
//   events_total{outcome=accepted|duplicate|refused_consent}  counter
//   batches_total{outcome=stored|invalid}             counter
//   rate_limited_total                                counter
//   background_jobs_queued                            gauge (jobs due or running)
//   background_job_runs_total{job,outcome=ok|error}   counter
//   background_job_last_success_timestamp_seconds{job} gauge
//   candidates_freshness_seconds                      gauge (age of the served candidate set)
//   candidates_content_only                           gauge (1 while the served set is built from the catalog alone)
//   retention_events_purged_total                     counter
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <tuple>

namespace gradvy_sync {

class Metrics {
 public:
  // Upper bounds in seconds; +Inf is implicit.
  static constexpr std::array<double, 12> kLatencyBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                             0.05,   0.1,   0.25,   0.5,   1.0,  2.5};

  void observe_request(const std::string& route, const std::string& method, int status, double seconds);
  void request_started() { in_flight_.fetch_add(1, std::memory_order_relaxed); }
  void request_finished() { in_flight_.fetch_sub(1, std::memory_order_relaxed); }

  void add_events(std::uint64_t accepted, std::uint64_t duplicates, std::uint64_t refused_consent);
  void add_batch(bool stored);
  void add_rate_limited() { rate_limited_.fetch_add(1, std::memory_order_relaxed); }

  void set_jobs_queued(std::int64_t n) { jobs_queued_.store(n, std::memory_order_relaxed); }
  void job_finished(const std::string& job, bool ok, double unix_now_s);
  void add_retention_purged(std::uint64_t n) { retention_purged_.fetch_add(n, std::memory_order_relaxed); }

  // Called at render time: seconds since the served candidate set was built
  // (negative = never built; rendered as NaN).
  void set_candidate_age_source(std::function<double()> source);
  void set_candidate_content_only_source(std::function<bool()> source);

  std::string render_prometheus() const;

  // For tests and the load benchmark.
  std::uint64_t events_accepted() const { return events_accepted_.load(); }
  std::uint64_t events_duplicate() const { return events_duplicate_.load(); }
  std::uint64_t events_refused() const { return events_refused_.load(); }

 private:
  struct Histogram {
    std::array<std::uint64_t, kLatencyBuckets.size()> buckets{};  // non-cumulative
    std::uint64_t count = 0;
    double sum = 0;
  };
  struct JobStats {
    std::uint64_t ok = 0;
    std::uint64_t error = 0;
    double last_success = 0;
  };

  mutable std::mutex mutex_;
  std::map<std::tuple<std::string, std::string, int>, std::uint64_t> requests_;
  std::map<std::string, Histogram> latency_;
  std::map<std::string, JobStats> jobs_;
  std::function<double()> candidate_age_;
  std::function<bool()> candidate_content_only_;

  std::atomic<std::int64_t> in_flight_{0};
  std::atomic<std::uint64_t> events_accepted_{0}, events_duplicate_{0}, events_refused_{0};
  std::atomic<std::uint64_t> batches_stored_{0}, batches_invalid_{0};
  std::atomic<std::uint64_t> rate_limited_{0};
  std::atomic<std::int64_t> jobs_queued_{0};
  std::atomic<std::uint64_t> retention_purged_{0};
};

}  // namespace gradvy_sync
