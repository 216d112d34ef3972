#include "gradvy_sync/metrics.hpp"

#include <cmath>
#include <cstdio>
#include <sstream>

namespace gradvy_sync {

namespace {
// Label values are our own route names and job names, but escape anyway.
std::string label(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

std::string number(double v) {
  if (std::isnan(v)) return "NaN";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}
}  // namespace

void Metrics::observe_request(const std::string& route, const std::string& method, int status, double seconds) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++requests_[{route, method, status}];
  Histogram& h = latency_[route];
  std::size_t i = 0;
  while (i < kLatencyBuckets.size() && seconds > kLatencyBuckets[i]) ++i;
  if (i < kLatencyBuckets.size()) ++h.buckets[i];
  ++h.count;
  h.sum += seconds;
}

void Metrics::add_events(std::uint64_t accepted, std::uint64_t duplicates, std::uint64_t refused) {
  events_accepted_.fetch_add(accepted, std::memory_order_relaxed);
  events_duplicate_.fetch_add(duplicates, std::memory_order_relaxed);
  events_refused_.fetch_add(refused, std::memory_order_relaxed);
}

void Metrics::add_batch(bool stored) {
  (stored ? batches_stored_ : batches_invalid_).fetch_add(1, std::memory_order_relaxed);
}

void Metrics::job_finished(const std::string& job, bool ok, double unix_now_s) {
  std::lock_guard<std::mutex> lock(mutex_);
  JobStats& s = jobs_[job];
  if (ok) {
    ++s.ok;
    s.last_success = unix_now_s;
  } else {
    ++s.error;
  }
}

void Metrics::set_candidate_age_source(std::function<double()> source) {
  std::lock_guard<std::mutex> lock(mutex_);
  candidate_age_ = std::move(source);
}

void Metrics::set_candidate_content_only_source(std::function<bool()> source) {
  std::lock_guard<std::mutex> lock(mutex_);
  candidate_content_only_ = std::move(source);
}

std::string Metrics::render_prometheus() const {
  std::ostringstream o;
  std::lock_guard<std::mutex> lock(mutex_);

  o << "# HELP gradvy_sync_http_requests_total HTTP requests by route, method and status code.\n"
    << "# TYPE gradvy_sync_http_requests_total counter\n";
  for (const auto& [key, n] : requests_) {
    o << "gradvy_sync_http_requests_total{route=\"" << label(std::get<0>(key)) << "\",method=\""
      << label(std::get<1>(key)) << "\",code=\"" << std::get<2>(key) << "\"} " << n << "\n";
  }

  o << "# HELP gradvy_sync_http_request_duration_seconds Time from request parsed to response ready.\n"
    << "# TYPE gradvy_sync_http_request_duration_seconds histogram\n";
  for (const auto& [route, h] : latency_) {
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < kLatencyBuckets.size(); ++i) {
      cumulative += h.buckets[i];
      o << "gradvy_sync_http_request_duration_seconds_bucket{route=\"" << label(route) << "\",le=\""
        << number(kLatencyBuckets[i]) << "\"} " << cumulative << "\n";
    }
    o << "gradvy_sync_http_request_duration_seconds_bucket{route=\"" << label(route) << "\",le=\"+Inf\"} "
      << h.count << "\n";
    o << "gradvy_sync_http_request_duration_seconds_sum{route=\"" << label(route) << "\"} " << number(h.sum) << "\n";
    o << "gradvy_sync_http_request_duration_seconds_count{route=\"" << label(route) << "\"} " << h.count << "\n";
  }

  o << "# HELP gradvy_sync_http_requests_in_flight Requests being handled now.\n"
    << "# TYPE gradvy_sync_http_requests_in_flight gauge\n"
    << "gradvy_sync_http_requests_in_flight " << in_flight_.load() << "\n";

  o << "# HELP gradvy_sync_events_total Events received in batches, by outcome.\n"
    << "# TYPE gradvy_sync_events_total counter\n"
    << "gradvy_sync_events_total{outcome=\"accepted\"} " << events_accepted_.load() << "\n"
    << "gradvy_sync_events_total{outcome=\"duplicate\"} " << events_duplicate_.load() << "\n"
    << "gradvy_sync_events_total{outcome=\"refused_consent\"} " << events_refused_.load() << "\n";

  o << "# HELP gradvy_sync_batches_total Batches received, by outcome.\n"
    << "# TYPE gradvy_sync_batches_total counter\n"
    << "gradvy_sync_batches_total{outcome=\"stored\"} " << batches_stored_.load() << "\n"
    << "gradvy_sync_batches_total{outcome=\"invalid\"} " << batches_invalid_.load() << "\n";

  o << "# HELP gradvy_sync_rate_limited_total Requests refused with 429.\n"
    << "# TYPE gradvy_sync_rate_limited_total counter\n"
    << "gradvy_sync_rate_limited_total " << rate_limited_.load() << "\n";

  o << "# HELP gradvy_sync_background_jobs_queued Background jobs due or running.\n"
    << "# TYPE gradvy_sync_background_jobs_queued gauge\n"
    << "gradvy_sync_background_jobs_queued " << jobs_queued_.load() << "\n";

  o << "# HELP gradvy_sync_background_job_runs_total Background job runs, by job and outcome.\n"
    << "# TYPE gradvy_sync_background_job_runs_total counter\n";
  for (const auto& [job, s] : jobs_) {
    o << "gradvy_sync_background_job_runs_total{job=\"" << label(job) << "\",outcome=\"ok\"} " << s.ok << "\n"
      << "gradvy_sync_background_job_runs_total{job=\"" << label(job) << "\",outcome=\"error\"} " << s.error << "\n";
  }
  o << "# HELP gradvy_sync_background_job_last_success_timestamp_seconds Unix time of the last good run.\n"
    << "# TYPE gradvy_sync_background_job_last_success_timestamp_seconds gauge\n";
  for (const auto& [job, s] : jobs_) {
    o << "gradvy_sync_background_job_last_success_timestamp_seconds{job=\"" << label(job) << "\"} "
      << number(s.last_success) << "\n";
  }

  o << "# HELP gradvy_sync_retention_events_purged_total Events removed by the retention job.\n"
    << "# TYPE gradvy_sync_retention_events_purged_total counter\n"
    << "gradvy_sync_retention_events_purged_total " << retention_purged_.load() << "\n";

  const double age = candidate_age_ ? candidate_age_() : -1;
  o << "# HELP gradvy_sync_candidates_freshness_seconds Age of the candidate set being served.\n"
    << "# TYPE gradvy_sync_candidates_freshness_seconds gauge\n"
    << "gradvy_sync_candidates_freshness_seconds " << number(age < 0 ? std::nan("") : age) << "\n";
  o << "# HELP gradvy_sync_candidates_content_only 1 while the served candidate set is built from the catalog alone.\n"
    << "# TYPE gradvy_sync_candidates_content_only gauge\n"
    << "gradvy_sync_candidates_content_only " << (candidate_content_only_ && candidate_content_only_() ? 1 : 0) << "\n";
  return o.str();
}

}  // namespace gradvy_sync
