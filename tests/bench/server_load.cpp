// Loopback load benchmark of the real gradvy-sync binary.
//
//   bench_server_load [--seconds 10] [--threads 4] [--batch 50] [--learners 32]
//                     [--rate 1000] [--rate-seconds 5] [--backend sqlite|postgresql|both]
//
// 1. Throughput: --threads keep-alive connections post batches of --batch
//    realistic, core-valid events (unique ids, --learners learners per
//    connection) back to back for --seconds; prints events/s accepted and
//    p50/p99 request latency. The server runs with its durable defaults
//    (SQLite WAL: acknowledged batches survive kill -9, see test_crash_recovery).
// 2. Fixed rate: --rate requests/s (open loop, latency measured from each
//    request's scheduled send time so a stall is not hidden) for --rate-seconds.
// 3. In-process cost of the server's per-event work (core validation) so a
//    bottleneck can be named.
// PostgreSQL runs when GRADVY_TEST_PG is set (--backend both is the default).
// Prints `name=value unit` lines; never fails on time.
#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <thread>

#include "../server/support/sync_server.hpp"
#include "gradvy/event_wire.hpp"
#include "gradvy/json_reader.hpp"
#include "gradvy_sync/candidates.hpp"
#include "gradvy_sync/handlers.hpp"
#include "gradvy_sync/metrics.hpp"
#include "gradvy_sync/server_config.hpp"
#include "gradvy_sync/storage.hpp"

using nlohmann::json;

namespace {

struct Options {
  double seconds = 10;
  int threads = 4;
  int batch = 50;
  int learners = 32;
  double rate = 1000;
  double rate_seconds = 5;
  std::string backend = "both";
  bool only_costs = false;
};

// A batch body whose ids can be rewritten in place: every UUID's last 12 hex
// digits are a per-request counter, so each request carries new event ids
// without building JSON on the load generator's hot path.
struct BatchTemplate {
  std::string user;
  std::string token;
  std::string body;
  std::vector<std::size_t> id_tails;  // offsets of the 12-hex tails (batch id + event ids)

  void stamp(std::uint64_t counter) {
    static const char* hex = "0123456789abcdef";
    for (std::size_t k = 0; k < id_tails.size(); ++k) {
      std::uint64_t v = counter * 1024 + k;
      for (int d = 11; d >= 0; --d) {
        body[id_tails[k] + static_cast<std::size_t>(d)] = hex[v & 15];
        v >>= 4;
      }
    }
  }
};

BatchTemplate make_template(const std::string& user, const std::string& token, int n) {
  json batch = gradvy_test::make_batch(user, static_cast<std::size_t>(n), gradvy_test::uuid4());
  BatchTemplate t;
  t.user = user;
  t.token = token;
  t.body = batch.dump();
  std::vector<std::string> ids = {batch["batch_id"]};
  for (const auto& e : batch["events"]) ids.push_back(e["id"]);
  for (const auto& id : ids) {
    const auto pos = t.body.find(id);
    t.id_tails.push_back(pos + 24);  // 8-4-4-4- = 24 characters before the tail
  }
  return t;
}

double percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t i = std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5));
  return v[i];
}

double process_cpu_seconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string s;
  std::getline(in, s);
  const auto close = s.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream rest(s.substr(close + 2));
  std::string field;
  std::vector<std::string> f;
  while (rest >> field) f.push_back(field);
  if (f.size() < 13) return 0;
  return (std::stod(f[11]) + std::stod(f[12])) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double self_cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

void print(const std::string& name, double value, const char* unit) {
  std::printf("%s=%.6g %s\n", name.c_str(), value, unit);
  std::fflush(stdout);
}

std::vector<std::vector<BatchTemplate>> templates_for(const gradvy_test::SyncServer& server, const Options& o,
                                                      const std::string& tag) {
  std::vector<std::vector<BatchTemplate>> all(static_cast<std::size_t>(o.threads));
  for (int t = 0; t < o.threads; ++t) {
    for (int l = 0; l < o.learners; ++l) {
      const std::string user = "load-" + tag + "-" + std::to_string(t) + "-" + std::to_string(l) + "-" + gradvy_test::random_hex(6);
      all[static_cast<std::size_t>(t)].push_back(make_template(user, server.token(user), o.batch));
    }
  }
  return all;
}

void throughput_run(gradvy_test::SyncServer& server, const Options& o, const std::string& backend) {
  auto templates = templates_for(server, o, "tp");
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> accepted{0}, errors{0}, requests{0};
  std::vector<std::vector<double>> latencies(static_cast<std::size_t>(o.threads));
  std::vector<std::thread> threads;
  const double server_cpu0 = process_cpu_seconds(server.pid());
  const double self_cpu0 = self_cpu_seconds();
  const auto start = std::chrono::steady_clock::now();
  for (int t = 0; t < o.threads; ++t) {
    threads.emplace_back([&, t] {
      auto c = server.client(30);
      auto& mine = templates[static_cast<std::size_t>(t)];
      auto& lat = latencies[static_cast<std::size_t>(t)];
      std::uint64_t counter = static_cast<std::uint64_t>(t) << 36;
      std::size_t next = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        BatchTemplate& b = mine[next++ % mine.size()];
        b.stamp(++counter);
        const auto t0 = std::chrono::steady_clock::now();
        auto r = c.Post("/v1/batch", gradvy_test::auth(b.token), b.body, "application/json");
        lat.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
        ++requests;
        if (r && r->status == 200) {
          const auto pos = r->body.find("\"accepted\":");
          accepted += pos == std::string::npos ? 0 : std::strtoull(r->body.c_str() + pos + 11, nullptr, 10);
        } else {
          ++errors;
        }
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(o.seconds));
  stop = true;
  for (auto& th : threads) th.join();
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double server_cpu = process_cpu_seconds(server.pid()) - server_cpu0;
  const double self_cpu = self_cpu_seconds() - self_cpu0;
  std::vector<double> all;
  for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  const std::string p = "server_load." + backend + ".";
  print(p + "threads", o.threads, "connections");
  print(p + "batch_events", o.batch, "events");
  print(p + "seconds", elapsed, "s");
  print(p + "requests", static_cast<double>(requests.load()), "requests");
  print(p + "errors", static_cast<double>(errors.load()), "requests");
  print(p + "events_per_s", static_cast<double>(accepted.load()) / elapsed, "events/s");
  print(p + "batches_per_s", static_cast<double>(requests.load()) / elapsed, "requests/s");
  print(p + "p50_ms", percentile(all, 0.50), "ms");
  print(p + "p99_ms", percentile(all, 0.99), "ms");
  print(p + "server_cpu", server_cpu / elapsed, "cores");
  print(p + "loadgen_cpu", self_cpu / elapsed, "cores");
  if (accepted.load() > 0) print(p + "server_cpu_us_per_event", server_cpu * 1e6 / static_cast<double>(accepted.load()), "us");
}

void fixed_rate_run(gradvy_test::SyncServer& server, const Options& o, const std::string& backend) {
  auto templates = templates_for(server, o, "fr");
  const double per_thread_interval_s = static_cast<double>(o.threads) / o.rate;
  std::atomic<std::uint64_t> errors{0};
  std::vector<std::vector<double>> latencies(static_cast<std::size_t>(o.threads));
  std::vector<std::thread> threads;
  const auto start = std::chrono::steady_clock::now() + std::chrono::milliseconds(50);
  const auto end = start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(o.rate_seconds));
  for (int t = 0; t < o.threads; ++t) {
    threads.emplace_back([&, t] {
      auto c = server.client(30);
      auto& mine = templates[static_cast<std::size_t>(t)];
      auto& lat = latencies[static_cast<std::size_t>(t)];
      std::uint64_t counter = (static_cast<std::uint64_t>(t) << 36) + (1ull << 35);
      // Threads are staggered so the aggregate stream is evenly spaced.
      auto scheduled = start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                   std::chrono::duration<double>(per_thread_interval_s * t / o.threads));
      const auto step = std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(per_thread_interval_s));
      std::size_t next = 0;
      while (scheduled < end) {
        std::this_thread::sleep_until(scheduled);
        BatchTemplate& b = mine[next++ % mine.size()];
        b.stamp(++counter);
        auto r = c.Post("/v1/batch", gradvy_test::auth(b.token), b.body, "application/json");
        lat.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - scheduled).count());
        if (!r || r->status != 200) ++errors;
        scheduled += step;
      }
    });
  }
  for (auto& th : threads) th.join();
  std::vector<double> all;
  for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  const std::string p = "server_load." + backend + ".fixed_rate.";
  print(p + "target_rate", o.rate, "requests/s");
  print(p + "achieved_rate", static_cast<double>(all.size()) / o.rate_seconds, "requests/s");
  print(p + "errors", static_cast<double>(errors.load()), "requests");
  print(p + "p50_ms", percentile(all, 0.50), "ms");
  print(p + "p99_ms", percentile(all, 0.99), "ms");
  print(p + "max_ms", all.empty() ? 0 : *std::max_element(all.begin(), all.end()), "ms");
}

double thread_cpu_ns() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

// Where the server's CPU goes per event, without HTTP: the core's validation,
// the body parse, and the whole POST /v1/batch handler (validation + consent
// lookup + SQLite store). Thread CPU time, so a busy machine inflates it less
// than wall time.
void per_event_costs(const Options& o) {
  const json batch = gradvy_test::make_batch("validate-learner", static_cast<std::size_t>(o.batch));
  const std::string body = batch.dump();
  std::vector<std::string> events;
  for (const auto& e : batch["events"]) events.push_back(e.dump());
  const int rounds = 400;
  const double n = static_cast<double>(rounds) * static_cast<double>(events.size());
  std::size_t ok = 0;
  double t0 = thread_cpu_ns();
  for (int r = 0; r < rounds; ++r) {
    for (const auto& e : events) ok += gradvy::read_wire_event(e).ok() ? 1 : 0;
  }
  print("server_load.cpu.validate_ns_per_event", (thread_cpu_ns() - t0) / n, "ns");
  gradvy::JsonDocument doc;
  gradvy::JsonLimits limits;
  limits.max_depth = 32;
  limits.max_bytes = body.size() + 1;
  t0 = thread_cpu_ns();
  for (int r = 0; r < rounds; ++r) ok += doc.parse(body, limits).ok() ? 1 : 0;
  print("server_load.cpu.body_parse_ns_per_event", (thread_cpu_ns() - t0) / n, "ns");
  print("server_load.event_bytes", static_cast<double>(body.size()) / static_cast<double>(events.size()), "bytes");

  // The whole handler against a real SQLite file (one thread: no group commit).
  gradvy_test::TempDir dir;
  auto storage = gradvy_sync::open_storage("sqlite:" + dir.file("handler.sqlite"));
  const char* argv_secret = "handler-bench-secret-value";
  std::ofstream(dir.file("secret")) << argv_secret << "\n";
  const auto loaded = gradvy_sync::load_serve_config(
      {"--catalog", gradvy_test::fixture_catalog(), "--secret-file", dir.file("secret")},
      [](const std::string&) { return std::optional<std::string>(); });
  gradvy_sync::Metrics metrics;
  gradvy_sync::CandidateCache cache;
  gradvy_sync::ApiContext ctx{loaded.config, *storage, cache, metrics, {}};
  BatchTemplate t = make_template("validate-learner", "", o.batch);
  const int batches = 200;
  t0 = thread_cpu_ns();
  const auto w0 = std::chrono::steady_clock::now();
  for (int r = 0; r < batches; ++r) {
    t.stamp(static_cast<std::uint64_t>(r) + 1);
    ok += gradvy_sync::handle_post_batch(ctx, "validate-learner", t.body, gradvy_test::now_ms()).status == 200 ? 1 : 0;
  }
  const double handler_events = static_cast<double>(batches) * o.batch;
  print("server_load.cpu.handler_us_per_event", (thread_cpu_ns() - t0) / handler_events / 1000.0, "us");
  print("server_load.wall.handler_us_per_event",
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - w0).count() / handler_events, "us");
  if (ok == 0) std::printf("# unexpected: nothing validated\n");
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    const std::string v = argv[i + 1];
    if (a == "--seconds") o.seconds = std::stod(v);
    else if (a == "--threads") o.threads = std::max(1, std::stoi(v));
    else if (a == "--batch") o.batch = std::max(1, std::stoi(v));
    else if (a == "--learners") o.learners = std::max(1, std::stoi(v));
    else if (a == "--rate") o.rate = std::stod(v);
    else if (a == "--rate-seconds") o.rate_seconds = std::stod(v);
    else if (a == "--backend") o.backend = v;
    else if (a == "--only-costs") o.only_costs = v == "1";
    else {
      std::fprintf(stderr, "unknown option %s\n", a.c_str());
      return 2;
    }
  }
  per_event_costs(o);
  if (o.only_costs) return 0;
  std::vector<std::string> backends;
  if (o.backend == "sqlite" || o.backend == "both") backends.push_back("sqlite");
  if (o.backend == "postgresql" || o.backend == "both") {
    const char* pg = std::getenv("GRADVY_TEST_PG");
    if (pg && *pg) backends.push_back("postgresql");
    else std::printf("# postgresql skipped: GRADVY_TEST_PG is not set\n");
  }
  for (const auto& backend : backends) {
    gradvy_test::TempDir dir;
    std::string failure;
    const std::string db = gradvy_test::database_url(backend, dir, failure);
    gradvy_test::ServerOptions options(db);
    options.extra_args = {"--rate-limit", "0"};  // default logging: one JSON line per request
    gradvy_test::SyncServer server(dir, options);
    throughput_run(server, o, backend);
    fixed_rate_run(server, o, backend);
  }
  return 0;
}
