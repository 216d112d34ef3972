// Test support: runs the real gradvy-sync binary on a free 127.0.0.1 port
// (it binds port 0 and logs the port it got, so parallel tests never race for
// one), with a temporary SQLite database or the PostgreSQL from GRADVY_TEST_PG,
// and talks to it with cpp-httplib's client.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "gradvy_sync/auth_token.hpp"

extern char** environ;

namespace gradvy_test {

inline std::string random_hex(std::size_t n) {
  thread_local std::mt19937_64 rng{std::random_device{}() ^
                                   static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count())};
  static const char* hex = "0123456789abcdef";
  std::string s;
  for (std::size_t i = 0; i < n; ++i) s += hex[rng() % 16];
  return s;
}

// Lower-case UUID v4 text, as the core requires for event and session ids.
inline std::string uuid4() {
  std::string h = random_hex(32);
  h[12] = '4';
  h[16] = "89ab"[std::stoi(h.substr(16, 1), nullptr, 16) % 4];
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) + "-" + h.substr(20);
}

inline std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class TempDir {
 public:
  TempDir() {
    path_ = std::filesystem::temp_directory_path() / ("gradvy-test-" + random_hex(12));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// "sqlite" or "postgresql". For postgresql the URL comes from GRADVY_TEST_PG;
// when unset, a test fails with how to get one, unless GRADVY_ALLOW_NO_PG=1
// (then it is skipped). Returns "" to mean "skip".
inline std::string database_url(const std::string& backend, const TempDir& dir, std::string& failure) {
  if (backend == "sqlite") return "sqlite:" + dir.file("gradvy.db");
  const char* pg = std::getenv("GRADVY_TEST_PG");
  if (pg && *pg) return pg;
  const char* allow = std::getenv("GRADVY_ALLOW_NO_PG");
  if (!(allow && std::string(allow) == "1")) {
    failure = "GRADVY_TEST_PG is not set: start a PostgreSQL with `export GRADVY_TEST_PG=$(bash scripts/pg-test-cluster.sh start)`"
              " or set GRADVY_ALLOW_NO_PG=1 to skip the PostgreSQL runs";
  }
  return "";
}

// Fails the test (or skips it, see database_url) when the backend is unavailable.
#define GRADVY_DATABASE_URL_OR_RETURN(var, backend, dir)                 \
  std::string var;                                                       \
  {                                                                      \
    std::string gradvy_db_failure;                                       \
    var = ::gradvy_test::database_url(backend, dir, gradvy_db_failure);  \
    if (var.empty()) {                                                   \
      if (!gradvy_db_failure.empty()) FAIL() << gradvy_db_failure;       \
      GTEST_SKIP() << "PostgreSQL skipped (GRADVY_ALLOW_NO_PG=1)";       \
    }                                                                    \
  }

inline std::string fixture_catalog() { return std::string(GRADVY_SOURCE_DIR) + "/tests/server/fixtures/catalog.json"; }

struct ServerOptions {
  explicit ServerOptions(std::string db) : db_url(std::move(db)) {}
  std::string db_url;
  std::string catalog = fixture_catalog();
  std::vector<std::string> extra_args = {"--rate-limit", "0"};
  std::vector<std::pair<std::string, std::string>> env;  // extra environment variables
  bool pass_flags = true;  // false: configure through GRADVY_* env only
};

class SyncServer {
 public:
  SyncServer(const TempDir& dir, ServerOptions options) : dir_(dir), options_(std::move(options)) {
    secret_ = "test-secret-" + random_hex(32);
    secret_file_ = dir_.file("secret-" + random_hex(6));
    std::ofstream(secret_file_) << secret_ << "\n";
    start();
  }
  ~SyncServer() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      if (wait_exit(15000) == kStillRunning) {
        ::kill(pid_, SIGKILL);
        wait_exit(5000);
      }
    }
  }
  SyncServer(const SyncServer&) = delete;
  SyncServer& operator=(const SyncServer&) = delete;

  static constexpr int kStillRunning = -1000;

  // Starts (again) on a new free port with the same database and secret.
  void start() {
    log_file_ = dir_.file("server-" + random_hex(6) + ".log");
    std::vector<std::string> args = {GRADVY_SYNC_BINARY, "serve"};
    std::vector<std::string> env_strings;
    for (char** e = environ; *e; ++e) {
      if (std::string(*e).rfind("GRADVY_", 0) != 0) env_strings.emplace_back(*e);  // no leaking test env into the server
    }
    if (options_.pass_flags) {
      for (const char* a : {"--listen", "127.0.0.1:0", "--db"}) args.emplace_back(a);
      args.push_back(options_.db_url);
      args.insert(args.end(), {"--catalog", options_.catalog, "--secret-file", secret_file_});
      args.insert(args.end(), options_.extra_args.begin(), options_.extra_args.end());
    } else {
      env_strings.push_back("GRADVY_LISTEN=127.0.0.1:0");
      env_strings.push_back("GRADVY_DB=" + options_.db_url);
      env_strings.push_back("GRADVY_CATALOG=" + options_.catalog);
      env_strings.push_back("GRADVY_SECRET_FILE=" + secret_file_);
      env_strings.push_back("GRADVY_RATE_LIMIT=0");
    }
    for (const auto& [k, v] : options_.env) env_strings.push_back(k + "=" + v);

    std::vector<char*> argv, envp;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    for (auto& e : env_strings) envp.push_back(e.data());
    envp.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 2, log_file_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t empty;
    sigemptyset(&empty);
    posix_spawnattr_setsigmask(&attr, &empty);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
    const int rc = posix_spawn(&pid_, GRADVY_SYNC_BINARY, &actions, &attr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    if (rc != 0) throw std::runtime_error("posix_spawn of " + std::string(GRADVY_SYNC_BINARY) + " failed");
    exit_status_ = kStillRunning;

    // Wait for the "listening" log line (the port), up to 20 s (PostgreSQL migrations on a busy machine).
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
      for (const auto& line : log_lines()) {
        if (line.value("msg", "") == "listening") {
          port_ = line.value("port", 0);
          return;
        }
      }
      if (wait_exit(0) != kStillRunning) {
        throw std::runtime_error("gradvy-sync exited with status " + std::to_string(exit_status_) + "; log:\n" + log_text());
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    throw std::runtime_error("gradvy-sync did not start listening within 20 s; log:\n" + log_text());
  }

  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  const std::string& secret() const { return secret_; }
  const std::string& secret_file() const { return secret_file_; }

  std::string token(const std::string& sub, std::int64_t ttl_s = 3600) const {
    return gradvy_sync::make_token(secret_, sub, static_cast<std::int64_t>(std::time(nullptr)) + ttl_s);
  }

  httplib::Client client(int timeout_s = 30) const {
    httplib::Client c("127.0.0.1", port_);
    c.set_tcp_nodelay(true);
    c.set_keep_alive(true);
    c.set_connection_timeout(5, 0);
    c.set_read_timeout(timeout_s, 0);
    c.set_write_timeout(timeout_s, 0);
    return c;
  }

  // SIGKILL, then reap.
  void kill9() {
    ::kill(pid_, SIGKILL);
    wait_exit(10000);
    pid_ = -1;
  }
  // SIGTERM and wait; returns the exit status (or kStillRunning on timeout).
  int terminate(int timeout_ms = 15000) {
    ::kill(pid_, SIGTERM);
    const int status = wait_exit(timeout_ms);
    if (status != kStillRunning) pid_ = -1;
    return status;
  }
  // Exit status once it exited (WEXITSTATUS, or 128+signal), kStillRunning while running.
  int wait_exit(int timeout_ms) {
    if (exit_status_ != kStillRunning || pid_ <= 0) return exit_status_;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (true) {
      int status = 0;
      const pid_t r = ::waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        exit_status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        return exit_status_;
      }
      if (std::chrono::steady_clock::now() >= deadline) return kStillRunning;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }

  std::string log_text() const {
    std::ifstream in(log_file_);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  // Every stderr line that parses as a JSON object.
  std::vector<nlohmann::json> log_lines() const {
    std::vector<nlohmann::json> out;
    std::istringstream in(log_text());
    std::string line;
    while (std::getline(in, line)) {
      auto j = nlohmann::json::parse(line, nullptr, false);
      if (!j.is_discarded() && j.is_object()) out.push_back(std::move(j));
    }
    return out;
  }

 private:
  const TempDir& dir_;
  ServerOptions options_;
  std::string secret_, secret_file_, log_file_;
  pid_t pid_ = -1;
  int port_ = 0;
  int exit_status_ = kStillRunning;
};

inline httplib::Headers auth(const std::string& token) { return {{"Authorization", "Bearer " + token}}; }

// One realistic, core-valid event of the learner `user`.
inline nlohmann::json make_event(const std::string& user, const std::string& session, std::int64_t seq,
                                 std::int64_t ts, int variant = 0) {
  static const char* courses[] = {"py-101", "py-201", "ds-101", "web-101", "sql-101", "ds-201", "web-201"};
  static const char* actions[] = {"view", "progress", "enroll", "view", "complete"};
  nlohmann::json e = {{"id", uuid4()},     {"ts", ts},           {"session_id", session},
                      {"seq", seq},        {"user_id", user},    {"ctx", {{"page_url", "/courses"}, {"locale", "en-GB"}}}};
  switch (variant % 4) {
    case 0:
    case 1:
      e["type"] = "course_interaction";
      e["purpose"] = "analytics";
      e["props"] = {{"course_id", courses[(seq + variant) % 7]}, {"action", actions[seq % 5]}, {"duration", 42.5}};
      break;
    case 2:
      e["type"] = "quiz_attempt";
      e["purpose"] = "analytics";
      e["props"] = {{"score", 7}, {"total_questions", 10}, {"time_taken", 95.0}, {"course_id", "py-101"}};
      break;
    default:
      e["type"] = "recommendation_feedback";
      e["purpose"] = "personalization";
      e["props"] = {{"item_id", "ds-201"}, {"feedback", "thumbs_up"}};
      break;
  }
  return e;
}

inline nlohmann::json make_batch(const std::string& user, std::size_t n, const std::string& batch_id = uuid4()) {
  const std::string session = uuid4();
  const std::int64_t t = now_ms();
  nlohmann::json events = nlohmann::json::array();
  for (std::size_t i = 0; i < n; ++i) events.push_back(make_event(user, session, static_cast<std::int64_t>(i + 1), t - 1000 + static_cast<std::int64_t>(i), static_cast<int>(i)));
  return {{"batch_id", batch_id}, {"device_id", "device-" + user}, {"sent_at", t}, {"events", events}};
}

// Ids of the events in an export document.
inline std::vector<std::string> exported_event_ids(const nlohmann::json& export_doc) {
  std::vector<std::string> ids;
  if (export_doc.contains("events")) {
    for (const auto& e : export_doc["events"]) ids.push_back(e.value("id", ""));
  }
  return ids;
}

inline nlohmann::json body_json(const httplib::Result& r) {
  if (!r) return nlohmann::json();
  auto j = nlohmann::json::parse(r->body, nullptr, false);
  return j.is_discarded() ? nlohmann::json() : j;
}

}  // namespace gradvy_test
