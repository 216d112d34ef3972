// Options of `gradvy-sync serve`: command line first, then environment
// variables, then defaults. Every bound the server enforces is here, with its
// documented default.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "gradvy_sync/log.hpp"
#include "gradvy_sync/rate_limit.hpp"

namespace gradvy_sync {

struct ServeConfig {
  std::string listen_host = "127.0.0.1";  // --listen HOST:PORT   GRADVY_LISTEN
  int listen_port = 8787;                 //   port 0 = any free port (logged as "listening")
  std::string db_url = "sqlite:./gradvy.db";  // --db URL          GRADVY_DB
  std::string catalog_path;               // --catalog FILE       GRADVY_CATALOG (required)
  std::string secret_file;                // --secret-file FILE   GRADVY_SECRET_FILE (required)
  std::int64_t retention_days = 180;      // --retention-days N   GRADVY_RETENTION_DAYS (1..36500)

  // Bounds of one request.
  std::size_t max_body_bytes = 1 << 20;   // --max-body-bytes     GRADVY_MAX_BODY_BYTES: 1 MiB -> 413
  std::size_t max_events_per_batch = 1000;   // --max-batch-events GRADVY_MAX_BATCH_EVENTS -> 413
  std::size_t max_event_bytes = 32768;    // one event's JSON     GRADVY_MAX_EVENT_BYTES -> 413
  std::size_t max_consent_records = 100;  // records per PUT /v1/consent

  RateLimitConfig rate_limit;             // --rate-limit R/s (0 = off) GRADVY_RATE_LIMIT, --rate-burst N GRADVY_RATE_BURST

  int threads = 32;                       // --threads N          GRADVY_THREADS: HTTP workers = max open keep-alive connections served at once
  int db_pool = 4;                        // --db-pool N          GRADVY_DB_POOL
  std::int64_t keep_alive_s = 5;          // idle keep-alive connection timeout; also bounds shutdown time
  std::int64_t candidates_refresh_s = 300;   // --candidates-refresh-s GRADVY_CANDIDATES_REFRESH_S
  std::int64_t embeddings_refresh_s = 3600;  // --embeddings-refresh-s GRADVY_EMBEDDINGS_REFRESH_S
  std::int64_t retention_interval_s = 3600;  // --retention-interval-s GRADVY_RETENTION_INTERVAL_S
  std::int64_t trending_window_days = 7;
  LogLevel log_level = LogLevel::info;    // --log-level debug|info|warn|error GRADVY_LOG_LEVEL

  std::string secret;                     // loaded from secret_file by load_serve_config
};

// Environment lookup, injectable for tests (std::getenv by default).
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;
std::optional<std::string> process_env(const std::string& name);

struct ConfigResult {
  bool ok = false;
  bool help = false;     // --help was asked for: print usage, exit 0
  std::string error;     // names the option and the rule
  ServeConfig config;
};

// Parses args (without "serve"), fills from env, checks every value, reads the secret.
ConfigResult load_serve_config(const std::vector<std::string>& args, const EnvLookup& env = process_env);

const char* serve_usage();

}  // namespace gradvy_sync
