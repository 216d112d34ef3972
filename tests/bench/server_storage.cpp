// Storage-only throughput: store_batch() of 50 realistic events from several
// threads (as the HTTP thread pool would call it), SQLite and PostgreSQL.
// Prints `name=value unit` lines. PostgreSQL runs when GRADVY_TEST_PG is set
// (scripts/pg-test-cluster.sh start prints a URL). Usage:
//   bench_server_storage [seconds per run (default 3)] [threads (default 4)]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <pqxx/pqxx>
#include <string>
#include <thread>
#include <time.h>
#include <unistd.h>
#include <vector>

#include "gradvy_sync/storage.hpp"

namespace {

using Clock = std::chrono::steady_clock;
constexpr int kBatchSize = 50;

// A realistic mix: page views, course interactions, quiz attempts, searches.
gradvy_sync::StoredEvent make_event(const std::string& user, std::int64_t n) {
  static const char* kTypes[] = {"page_view", "course_interaction", "quiz_attempt", "search"};
  gradvy_sync::StoredEvent event;
  event.id = "0b5e7a1c-" + std::to_string(n) + "-4f3a-9d2e-" + user;
  event.type = kTypes[n % 4];
  event.ts = 1'700'000'000'000 + n * 37;
  event.purpose = n % 4 == 1 ? "personalization" : "analytics";
  event.session_id = "sess-" + std::to_string(n / 200);
  event.seq = n;
  nlohmann::json props;
  if (n % 4 == 0) props = {{"path", "/courses/" + std::to_string(n % 500)}};
  if (n % 4 == 1) {
    props = {{"course_id", "course-" + std::to_string(n % 300)}, {"action", "view"}, {"duration", 42}};
    event.item_id = props["course_id"];
    event.action = "view";
  }
  if (n % 4 == 2) props = {{"score", n % 10}, {"total_questions", 10}, {"time_taken", 81.5}};
  if (n % 4 == 3) props = {{"query", "linear algebra basics"}, {"results_count", 12}};
  event.json = nlohmann::json{{"id", event.id},
                              {"type", event.type},
                              {"ts", event.ts},
                              {"session_id", event.session_id},
                              {"seq", n},
                              {"user_id", user},
                              {"purpose", event.purpose},
                              {"props", props},
                              {"ctx", {{"page_url", "https://learn.example.com/courses/42"},
                                       {"referrer", "https://learn.example.com/"},
                                       {"locale", "en-GB"}}}}
                   .dump();
  return event;
}

struct RunResult {
  double events_per_s = 0;
  double p50_us = 0;
  double p99_us = 0;
  double mean_event_bytes = 0;
  double cpu_us_per_event = 0;  // process CPU time (all threads) per stored event
};

double process_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

RunResult run(gradvy_sync::Storage& storage, int threads, double seconds) {
  // A few template batches per thread, built up front; each stored batch is a
  // copy with fresh event ids (the storage does not parse the json body).
  constexpr int kTemplates = 64;
  std::vector<std::vector<std::vector<gradvy_sync::StoredEvent>>> templates(static_cast<std::size_t>(threads));
  double bytes = 0;
  for (int t = 0; t < threads; ++t) {
    const std::string user = "learner-" + std::to_string(t);
    for (int b = 0; b < kTemplates; ++b) {
      std::vector<gradvy_sync::StoredEvent> events;
      for (int i = 0; i < kBatchSize; ++i) {
        events.push_back(make_event(user, static_cast<std::int64_t>(b) * kBatchSize + i));
        bytes += static_cast<double>(events.back().json.size());
      }
      templates[static_cast<std::size_t>(t)].push_back(std::move(events));
    }
  }
  std::atomic<std::int64_t> stored{0};
  std::vector<std::vector<double>> latencies(static_cast<std::size_t>(threads));
  const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  const auto start = Clock::now();
  const double cpu_start = process_cpu_seconds();
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      const std::string user = "learner-" + std::to_string(t);
      const auto& mine = templates[static_cast<std::size_t>(t)];
      for (int b = 0; Clock::now() < deadline; ++b) {
        auto batch = mine[static_cast<std::size_t>(b % kTemplates)];
        const std::string prefix = "7d1f0c2a-" + std::to_string(b) + "-";
        for (int i = 0; i < kBatchSize; ++i) batch[static_cast<std::size_t>(i)].id = prefix + std::to_string(i);
        const auto begin = Clock::now();
        const auto result =
            storage.store_batch({user, "batch-" + std::to_string(b), "device-" + std::to_string(t), 1, 2}, batch);
        latencies[static_cast<std::size_t>(t)].push_back(
            std::chrono::duration<double, std::micro>(Clock::now() - begin).count());
        stored += result.accepted;
      }
    });
  }
  for (auto& worker : workers) worker.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  const double cpu = process_cpu_seconds() - cpu_start;
  std::vector<double> all;
  for (const auto& part : latencies) all.insert(all.end(), part.begin(), part.end());
  std::sort(all.begin(), all.end());
  RunResult result;
  result.events_per_s = static_cast<double>(stored.load()) / elapsed;
  result.cpu_us_per_event = stored.load() > 0 ? cpu * 1e6 / static_cast<double>(stored.load()) : 0;
  if (!all.empty()) {
    result.p50_us = all[all.size() / 2];
    result.p99_us = all[std::min(all.size() - 1, all.size() * 99 / 100)];
  }
  result.mean_event_bytes = bytes / (threads * kTemplates * kBatchSize);
  return result;
}

void print(const std::string& prefix, const RunResult& r) {
  std::printf("%s_events_per_s=%.0f events/s\n", prefix.c_str(), r.events_per_s);
  std::printf("%s_batch_p50=%.0f us\n", prefix.c_str(), r.p50_us);
  std::printf("%s_batch_p99=%.0f us\n", prefix.c_str(), r.p99_us);
  std::printf("%s_cpu_per_event=%.2f us\n", prefix.c_str(), r.cpu_us_per_event);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::atof(argv[1]) : 3.0;
  const int threads = argc > 2 ? std::atoi(argv[2]) : 4;
  std::printf("storage_batch_size=%d events\nstorage_writer_threads=%d threads\n", kBatchSize, threads);

  const auto dir = std::filesystem::temp_directory_path() / ("gradvy-bench-storage-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  {
    auto storage = gradvy_sync::open_storage("sqlite:" + (dir / "bench.db").string());
    const auto r = run(*storage, threads, seconds);
    std::printf("storage_event_json_mean=%.0f bytes\n", r.mean_event_bytes);
    print("storage_sqlite", r);
  }
  {
    auto storage = gradvy_sync::open_storage("sqlite:" + (dir / "bench1.db").string());
    print("storage_sqlite_1thread", run(*storage, 1, seconds));
  }
  std::filesystem::remove_all(dir);

  const char* pg = std::getenv("GRADVY_TEST_PG");
  if (pg == nullptr || *pg == '\0') {
    std::printf("storage_pg_skipped=1 (GRADVY_TEST_PG unset)\n");
    return 0;
  }
  const std::string schema = "gradvy_bench_" + std::to_string(::getpid());
  {
    pqxx::connection conn(pg);
    pqxx::work tx(conn);
    tx.exec("CREATE SCHEMA " + schema);
    tx.commit();
  }
  {
    const std::string url = std::string(pg) + (std::string(pg).find('?') == std::string::npos ? "?" : "&") +
                            "options=-csearch_path%3D" + schema;
    auto storage = gradvy_sync::open_storage(url, gradvy_sync::StorageOptions{threads});
    print("storage_pg", run(*storage, threads, seconds));
  }
  pqxx::connection conn(pg);
  pqxx::work tx(conn);
  tx.exec("DROP SCHEMA " + schema + " CASCADE");
  tx.commit();
  return 0;
}
