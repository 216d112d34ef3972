// Storage-only throughput: store_batch() of 50 realistic events from several
// threads (as the HTTP thread pool would call it), SQLite and PostgreSQL.
// Realistic keys: random UUIDv4 event ids (random B-tree positions for any
// index on the id), many learners, device timestamps that follow the clock.
// Runs until a fixed number of events is stored so the database reaches a
// realistic size (indexes outgrowing the page cache is what makes inserts slow).
// Prints `name=value unit` lines. PostgreSQL runs when GRADVY_TEST_PG is set
// (scripts/pg-test-cluster.sh start prints a URL). Usage:
//   bench_server_storage [--events N (default 1000000)] [--threads T (default 4)]
//                        [--learners L (default 1000)] [--backend sqlite|postgresql|both]
// Then the cost of a batch whose time range overlaps k stored blocks.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <pqxx/pqxx>
#include <random>
#include <string>
#include <thread>
#include <time.h>
#include <unistd.h>
#include <vector>

#include "gradvy_sync/storage.hpp"

namespace {

using Clock = std::chrono::steady_clock;
constexpr int kBatchSize = 50;

struct Options {
  std::int64_t events = 1'000'000;
  int threads = 4;
  int learners = 1000;
  std::string backend = "both";
};

std::string uuid4(std::mt19937_64& rng) {
  static const char* digits = "0123456789abcdef";
  std::string out(36, '-');
  std::uint64_t bits[2] = {rng(), rng()};
  int nibble = 0;
  for (int i = 0; i < 36; ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) continue;
    std::uint64_t& word = bits[nibble / 16];
    out[static_cast<std::size_t>(i)] = digits[word & 15];
    word >>= 4;
    ++nibble;
  }
  out[14] = '4';
  out[19] = digits[8 + (rng() & 3)];
  return out;
}

// A realistic mix: page views, course interactions, quiz attempts, searches.
gradvy_sync::StoredEvent make_event(const std::string& user, const std::string& id, const std::string& session,
                                    std::int64_t ts, std::int64_t n, std::mt19937_64& rng) {
  static const char* kTypes[] = {"page_view", "course_interaction", "quiz_attempt", "search"};
  gradvy_sync::StoredEvent event;
  event.id = id;
  event.type = kTypes[n % 4];
  event.ts = ts;
  event.purpose = n % 4 == 1 ? "personalization" : "analytics";
  event.session_id = session;
  event.seq = n;
  nlohmann::json props;
  if (n % 4 == 0) props = {{"path", "/courses/" + std::to_string(rng() % 500)}};
  if (n % 4 == 1) {
    props = {{"course_id", "course-" + std::to_string(rng() % 300)}, {"action", "view"}, {"duration", 42}};
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
  double cpu_us_per_event = 0;       // process CPU time (all threads, batch building excluded) per stored event
  double cpu_us_per_event_last = 0;  // ... over the last quarter of the run (largest database)
};

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

double process_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

RunResult run(gradvy_sync::Storage& storage, const Options& options, int threads) {
  const std::int64_t batches_per_thread = options.events / kBatchSize / threads;
  std::atomic<std::int64_t> stored{0};
  std::atomic<std::int64_t> bytes{0};
  // CPU spent building the batches (not storage work), subtracted from the process CPU.
  std::atomic<std::int64_t> generator_cpu_ns{0};
  std::atomic<std::int64_t> generator_cpu_ns_at_three_quarters{0};
  std::atomic<double> cpu_at_three_quarters{0};
  std::atomic<std::int64_t> stored_at_three_quarters{0};
  std::atomic<int> past_three_quarters{0};
  std::vector<std::vector<double>> latencies(static_cast<std::size_t>(threads));
  const auto base_ts = 1'700'000'000'000LL;
  const auto start = Clock::now();
  const double cpu_start = process_cpu_seconds();
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      std::mt19937_64 rng(static_cast<std::uint64_t>(t) * 7919 + 17);
      auto& mine = latencies[static_cast<std::size_t>(t)];
      mine.reserve(static_cast<std::size_t>(batches_per_thread));
      for (std::int64_t b = 0; b < batches_per_thread; ++b) {
        const double generate_start = thread_cpu_seconds();
        const int learner = static_cast<int>(rng() % static_cast<std::uint64_t>(options.learners));
        const std::string user = "learner-" + std::to_string(learner) + "-3f9c2d7e";
        const std::string session = uuid4(rng);
        // Device clocks follow real time: ~20 ms of wall time per event across all learners.
        const std::int64_t now = base_ts + (b * threads + t) * kBatchSize * 20;
        std::vector<gradvy_sync::StoredEvent> batch;
        batch.reserve(kBatchSize);
        for (int i = 0; i < kBatchSize; ++i) {
          batch.push_back(make_event(user, uuid4(rng), session, now - 60'000 + i * 1000 + static_cast<std::int64_t>(rng() % 500),
                                     b * kBatchSize + i, rng));
          bytes += static_cast<std::int64_t>(batch.back().json.size());
        }
        const gradvy_sync::BatchInfo info{user, uuid4(rng), "device-" + std::to_string(learner), now, now};
        generator_cpu_ns += static_cast<std::int64_t>((thread_cpu_seconds() - generate_start) * 1e9);
        const auto begin = Clock::now();
        const auto result = storage.store_batch(info, batch);
        mine.push_back(std::chrono::duration<double, std::micro>(Clock::now() - begin).count());
        const auto total = stored += result.accepted;
        if (total >= options.events * 3 / 4 && past_three_quarters.exchange(1) == 0) {
          cpu_at_three_quarters = process_cpu_seconds();
          generator_cpu_ns_at_three_quarters = generator_cpu_ns.load();
          stored_at_three_quarters = total;
        }
      }
    });
  }
  for (auto& worker : workers) worker.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  const double cpu_end = process_cpu_seconds();
  std::vector<double> all;
  for (const auto& part : latencies) all.insert(all.end(), part.begin(), part.end());
  std::sort(all.begin(), all.end());
  RunResult result;
  const auto total = stored.load();
  result.events_per_s = static_cast<double>(total) / elapsed;
  const double generator_cpu = static_cast<double>(generator_cpu_ns.load()) * 1e-9;
  const double generator_cpu_last =
      static_cast<double>(generator_cpu_ns.load() - generator_cpu_ns_at_three_quarters.load()) * 1e-9;
  const double storage_cpu = cpu_end - cpu_start - generator_cpu;
  result.cpu_us_per_event = total > 0 ? storage_cpu * 1e6 / static_cast<double>(total) : 0;
  const auto last = total - stored_at_three_quarters.load();
  result.cpu_us_per_event_last = last > 0 ? (cpu_end - cpu_at_three_quarters.load() - generator_cpu_last) * 1e6 / static_cast<double>(last) : 0;
  if (!all.empty()) {
    result.p50_us = all[all.size() / 2];
    result.p99_us = all[std::min(all.size() - 1, all.size() * 99 / 100)];
  }
  result.mean_event_bytes = total > 0 ? static_cast<double>(bytes.load()) / static_cast<double>(total) : 0;
  return result;
}

// Storage finds duplicates by reading the learner's stored blocks whose time
// range overlaps the new batch. Devices send successive times, so that is
// usually no block or one; this measures what a learner whose batches all
// cover the same minute costs (many devices at once, or a client replaying
// old events): store_batch wall time of a batch overlapping k stored blocks.
void overlap_cost(gradvy_sync::Storage& storage, const std::string& prefix) {
  std::mt19937_64 rng(4242);
  const std::string user = "learner-overlap";
  const std::int64_t minute = 1'700'000'000'000LL;
  auto batch_in_the_minute = [&](std::int64_t n) {
    std::vector<gradvy_sync::StoredEvent> batch;
    for (int i = 0; i < kBatchSize; ++i) {
      batch.push_back(make_event(user, uuid4(rng), "session-overlap", minute + static_cast<std::int64_t>(rng() % 60'000),
                                 n * kBatchSize + i, rng));
    }
    return batch;
  };
  std::int64_t stored_blocks = 0;
  for (const std::int64_t k : {1, 10, 100, 1000}) {
    for (; stored_blocks < k; ++stored_blocks) {
      storage.store_batch({user, uuid4(rng), "device", minute, minute}, batch_in_the_minute(stored_blocks));
    }
    std::vector<double> times;
    for (int round = 0; round < 5; ++round) {
      const auto batch = batch_in_the_minute(stored_blocks + 1 + round);
      const auto begin = Clock::now();
      storage.store_batch({user, uuid4(rng), "device", minute, minute}, batch);
      times.push_back(std::chrono::duration<double, std::micro>(Clock::now() - begin).count());
      ++stored_blocks;
    }
    std::sort(times.begin(), times.end());
    std::printf("%s_batch_overlapping_%lld_blocks=%.0f us\n", prefix.c_str(), static_cast<long long>(k), times[2]);
  }
  std::fflush(stdout);
}

void print(const std::string& prefix, const RunResult& r) {
  std::printf("%s_events_per_s=%.0f events/s\n", prefix.c_str(), r.events_per_s);
  std::printf("%s_batch_p50=%.0f us\n", prefix.c_str(), r.p50_us);
  std::printf("%s_batch_p99=%.0f us\n", prefix.c_str(), r.p99_us);
  std::printf("%s_cpu_per_event=%.2f us\n", prefix.c_str(), r.cpu_us_per_event);
  std::printf("%s_cpu_per_event_last_quarter=%.2f us\n", prefix.c_str(), r.cpu_us_per_event_last);
  std::fflush(stdout);
}

Options parse(int argc, char** argv) {
  Options options;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const char* value = argv[i + 1];
    if (flag == "--events") options.events = std::atoll(value);
    else if (flag == "--threads") options.threads = std::max(1, std::atoi(value));
    else if (flag == "--learners") options.learners = std::max(1, std::atoi(value));
    else if (flag == "--backend") options.backend = value;
    else {
      std::fprintf(stderr, "unknown flag %s\n", flag.c_str());
      std::exit(2);
    }
  }
  return options;
}

}  // namespace

int main(int argc, char** argv) {
  const Options options = parse(argc, argv);
  std::printf("storage_batch_size=%d events\nstorage_writer_threads=%d threads\nstorage_events_per_run=%lld events\n"
              "storage_learners=%d learners\n",
              kBatchSize, options.threads, static_cast<long long>(options.events), options.learners);

  if (options.backend != "postgresql") {
    const auto dir = std::filesystem::temp_directory_path() / ("gradvy-bench-storage-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    for (const int threads : {options.threads, 1}) {
      const auto path = dir / ("bench-" + std::to_string(threads) + ".db");
      {
        auto storage = gradvy_sync::open_storage("sqlite:" + path.string());
        const auto r = run(*storage, options, threads);
        if (threads == options.threads) std::printf("storage_event_json_mean=%.0f bytes\n", r.mean_event_bytes);
        print(threads == options.threads ? "storage_sqlite" : "storage_sqlite_1thread", r);
      }
      std::printf("%s_db_bytes_per_event=%.0f bytes\n", threads == options.threads ? "storage_sqlite" : "storage_sqlite_1thread",
                  static_cast<double>(std::filesystem::file_size(path)) / static_cast<double>(options.events));
      if (threads == 1) break;
    }
    {
      auto storage = gradvy_sync::open_storage("sqlite:" + (dir / "overlap.db").string());
      overlap_cost(*storage, "storage_sqlite");
    }
    std::filesystem::remove_all(dir);
  }

  if (options.backend == "sqlite") return 0;
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
    auto storage = gradvy_sync::open_storage(url, gradvy_sync::StorageOptions{options.threads});
    print("storage_pg", run(*storage, options, options.threads));
    overlap_cost(*storage, "storage_pg");
  }
  pqxx::connection conn(pg);
  pqxx::work tx(conn);
  tx.exec("DROP SCHEMA " + schema + " CASCADE");
  tx.commit();
  return 0;
}
