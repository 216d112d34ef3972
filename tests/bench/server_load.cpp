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
//    The client is a minimal HTTP/1.1 writer over plain sockets (pre-built
//    requests, ids rewritten in place, no allocation per request), because it
//    shares the machine's cores with the server and the target includes it.
// 2. Fixed rate: --rate requests/s (open loop, latency measured from each
//    request's scheduled send time so a stall is not hidden) for --rate-seconds.
// 3. In-process cost of the server's per-event work (core validation) so a
//    bottleneck can be named.
// PostgreSQL runs when GRADVY_TEST_PG is set (--backend both is the default).
// Prints `name=value unit` lines; never fails on time.
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <atomic>
#include <chrono>
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

// A batch request whose ids can be rewritten in place: every UUID's last 12
// hex digits are a per-request counter, so each request carries new event ids
// without building JSON on the load generator's hot path. `text` is the whole
// HTTP request (head + body) for the socket client, or only the body for the
// in-process handler run.
struct BatchTemplate {
  std::string user;
  std::string token;
  std::string text;
  std::size_t body_begin = 0;
  std::vector<std::size_t> id_tails;  // offsets in `text` of the 12-hex tails (batch id + event ids)
  std::vector<std::size_t> ts_digits;  // offsets in `text` of each event's 13-digit "ts"
  std::int64_t next_ts = 0;             // the next batch starts here or later

  std::string_view body() const { return std::string_view(text).substr(body_begin); }

  void stamp(std::uint64_t counter) {
    static const char* hex = "0123456789abcdef";
    for (std::size_t k = 0; k < id_tails.size(); ++k) {
      std::uint64_t v = counter * 1024 + k;
      for (int d = 11; d >= 0; --d) {
        text[id_tails[k] + static_cast<std::size_t>(d)] = hex[v & 15];
        v >>= 4;
      }
    }
    // Event times follow the clock, as a device's do, and one learner's
    // successive batches cover successive times: storage finds duplicates by
    // reading the learner's stored blocks whose time range overlaps the new
    // batch, so frozen or overlapping timestamps would measure a pattern no
    // real device produces (tests/bench/server_storage.cpp measures that one).
    const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch()).count();
    const std::int64_t first_ts = std::max<std::int64_t>(now - 1000, next_ts);
    next_ts = first_ts + static_cast<std::int64_t>(ts_digits.size());
    for (std::size_t k = 0; k < ts_digits.size(); ++k) {
      std::uint64_t v = static_cast<std::uint64_t>(first_ts) + k;
      for (int d = 12; d >= 0; --d) {
        text[ts_digits[k] + static_cast<std::size_t>(d)] = static_cast<char>('0' + v % 10);
        v /= 10;
      }
    }
  }
};

// port == 0: body only (in-process use); otherwise a complete keep-alive POST.
BatchTemplate make_template(const std::string& user, const std::string& token, int n, int port = 0) {
  json batch = gradvy_test::make_batch(user, static_cast<std::size_t>(n), gradvy_test::uuid4());
  const std::string body = batch.dump();
  BatchTemplate t;
  t.user = user;
  t.token = token;
  if (port != 0) {
    t.text = "POST /v1/batch HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
             "\r\nAuthorization: Bearer " + token +
             "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  }
  t.body_begin = t.text.size();
  t.text += body;
  std::vector<std::string> ids = {batch["batch_id"]};
  for (const auto& e : batch["events"]) ids.push_back(e["id"]);
  for (const auto& id : ids) {
    const auto pos = t.text.find(id, t.body_begin);
    t.id_tails.push_back(pos + 24);  // 8-4-4-4- = 24 characters before the tail
  }
  for (auto pos = t.text.find("\"ts\":", t.body_begin); pos != std::string::npos;
       pos = t.text.find("\"ts\":", pos + 5)) {
    t.ts_digits.push_back(pos + 5);  // 13 digits until the year 2286
  }
  return t;
}

// The cheapest client that still speaks real HTTP/1.1 over a keep-alive TCP
// connection: one write() of a pre-built request, reads into a reused buffer,
// no allocation per request. The load generator shares the 2 cores with the
// server, so cpp-httplib's client (header maps, body copies) would be measured
// as server capacity lost.
class RawClient {
 public:
  explicit RawClient(int port) : port_(port), buffer_(64 * 1024) { connect_now(); }
  ~RawClient() { close_now(); }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  // Sends `request` and reads the reply; returns the status (0 on a transport
  // error, after which the next call reconnects). `body` views the reply body
  // until the next call.
  int post(const std::string& request, std::string_view& body) {
    if (fd_ < 0 && !connect_now()) return 0;
    if (!write_all(request.data(), request.size())) return fail();
    std::size_t have = 0, head_end = std::string::npos;
    while (head_end == std::string::npos) {
      if (have == buffer_.size()) return fail();
      const ssize_t n = ::read(fd_, buffer_.data() + have, buffer_.size() - have);
      if (n <= 0) return fail();
      have += static_cast<std::size_t>(n);
      head_end = std::string_view(buffer_.data(), have).find("\r\n\r\n");
    }
    const std::string_view head(buffer_.data(), head_end);
    if (head.size() < 12 || head.compare(0, 5, "HTTP/") != 0) return fail();
    const int status = std::atoi(head.data() + 9);
    const std::size_t length = content_length(head);
    const std::size_t total = head_end + 4 + length;
    if (total > buffer_.size()) return fail();
    while (have < total) {
      const ssize_t n = ::read(fd_, buffer_.data() + have, total - have);
      if (n <= 0) return fail();
      have += static_cast<std::size_t>(n);
    }
    body = std::string_view(buffer_.data() + head_end + 4, length);
    if (contains_ci(head, "connection: close")) close_now();
    return status;
  }

 private:
  static bool contains_ci(std::string_view head, std::string_view needle) {
    for (std::size_t i = 0; i + needle.size() <= head.size(); ++i) {
      std::size_t k = 0;
      while (k < needle.size() && std::tolower(static_cast<unsigned char>(head[i + k])) == needle[k]) ++k;
      if (k == needle.size()) return true;
    }
    return false;
  }
  static std::size_t content_length(std::string_view head) {
    constexpr std::string_view kName = "\r\ncontent-length:";
    for (std::size_t i = 0; i + kName.size() <= head.size(); ++i) {
      std::size_t k = 0;
      while (k < kName.size() && std::tolower(static_cast<unsigned char>(head[i + k])) == kName[k]) ++k;
      if (k == kName.size()) return std::strtoull(head.data() + i + k, nullptr, 10);
    }
    return 0;
  }
  bool connect_now() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd_ < 0) return false;
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port_));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      close_now();
      return false;
    }
    return true;
  }
  void close_now() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  int fail() {
    close_now();
    return 0;
  }
  bool write_all(const char* p, std::size_t n) {
    while (n > 0) {
      const ssize_t w = ::send(fd_, p, n, MSG_NOSIGNAL);
      if (w <= 0) return false;
      p += w;
      n -= static_cast<std::size_t>(w);
    }
    return true;
  }

  int port_;
  int fd_ = -1;
  std::vector<char> buffer_;
};

std::uint64_t accepted_of(std::string_view reply) {
  const auto pos = reply.find("\"accepted\":");
  return pos == std::string_view::npos ? 0 : std::strtoull(reply.data() + pos + 11, nullptr, 10);
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
      all[static_cast<std::size_t>(t)].push_back(make_template(user, server.token(user), o.batch, server.port()));
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
      RawClient c(server.port());
      auto& mine = templates[static_cast<std::size_t>(t)];
      auto& lat = latencies[static_cast<std::size_t>(t)];
      lat.reserve(1 << 16);
      std::uint64_t counter = static_cast<std::uint64_t>(t) << 36;
      std::size_t next = 0;
      std::string_view reply;
      while (!stop.load(std::memory_order_relaxed)) {
        BatchTemplate& b = mine[next++ % mine.size()];
        b.stamp(++counter);
        const auto t0 = std::chrono::steady_clock::now();
        const int status = c.post(b.text, reply);
        lat.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
        requests.fetch_add(1, std::memory_order_relaxed);
        if (status == 200) accepted.fetch_add(accepted_of(reply), std::memory_order_relaxed);
        else errors.fetch_add(1, std::memory_order_relaxed);
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
      RawClient c(server.port());
      auto& mine = templates[static_cast<std::size_t>(t)];
      auto& lat = latencies[static_cast<std::size_t>(t)];
      lat.reserve(static_cast<std::size_t>(o.rate * o.rate_seconds / o.threads) + 16);
      std::string_view reply;
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
        const int status = c.post(b.text, reply);
        lat.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - scheduled).count());
        if (status != 200) ++errors;
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
    ok += gradvy_sync::handle_post_batch(ctx, "validate-learner", t.text, gradvy_test::now_ms()).status == 200 ? 1 : 0;
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
