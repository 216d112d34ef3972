// `gradvy-sync serve`: the sync server. Wires config, storage, catalog,
// candidates, background jobs and routes together, and shuts down cleanly on
// SIGTERM/SIGINT: stop accepting, let in-flight requests finish (idle
// keep-alive connections are dropped within 100 ms, see http_server.hpp),
// stop the jobs, close the database, exit 0.
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <memory>
#include <thread>

#include <httplib.h>

#include "gradvy_sync/candidates.hpp"
#include "gradvy_sync/candidates_refresh.hpp"
#include "gradvy_sync/catalog.hpp"
#include "gradvy_sync/command.hpp"
#include "gradvy_sync/http_server.hpp"
#include "gradvy_sync/log.hpp"
#include "gradvy_sync/metrics.hpp"
#include "gradvy_sync/rate_limit.hpp"
#include "gradvy_sync/retention.hpp"
#include "gradvy_sync/routes.hpp"
#include "gradvy_sync/serve_jobs.hpp"
#include "gradvy_sync/server_config.hpp"
#include "gradvy_sync/storage.hpp"
#include "gradvy_sync/storage_backends.hpp"

namespace gradvy_sync {
namespace {

std::int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

double monotonic_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

int run_serve(const std::vector<std::string>& args) {
  const ConfigResult loaded = load_serve_config(args);
  if (loaded.help) {
    std::fputs(serve_usage(), stdout);
    return 0;
  }
  if (!loaded.ok) {
    std::fprintf(stderr, "gradvy-sync serve: %s\n\n%s", loaded.error.c_str(), serve_usage());
    return 2;
  }
  const ServeConfig& cfg = loaded.config;
  JsonLog log(stderr, cfg.log_level);

  // Signals are taken by one thread with sigwait; every other thread (the
  // HTTP workers, the jobs, the database's) inherits the blocked mask.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);  // a client that hangs up must not kill the server

  Catalog catalog;
  std::string error;
  if (!load_catalog_file(cfg.catalog_path, catalog, error)) {
    log.error("cannot load catalog", {{"error", error}});
    return 1;
  }

  std::unique_ptr<Storage> storage;
  try {
    StorageOptions options;
    options.pool_size = cfg.db_pool;
    storage = open_storage(cfg.db_url, options);
  } catch (const std::exception& e) {
    log.error("cannot open database", {{"db", redact_url(cfg.db_url)}, {"error", e.what()}});
    return 1;
  }

  Metrics metrics;
  CandidateCache cache;
  RateLimiter limiter(cfg.rate_limit);
  CandidateRefresher refresher(*storage, catalog, cache, cfg.trending_window_days, log);
  // Before listening, so the first GET /v1/candidates is a 200, never a 503;
  // the "candidates" job replaces it with the stored set right after start.
  refresher.publish_content_set(wall_ms());
  metrics.set_candidate_age_source([&cache] { return cache.age_seconds(wall_ms()); });
  metrics.set_candidate_content_only_source([&cache] {
    const auto set = cache.current();
    return set && set->basis == CandidateBasis::content;
  });

  JobRunner jobs(log, metrics);
  using std::chrono::seconds;
  // Added first: jobs due at the same time run in this order, and the stored
  // set should not wait for a retention purge.
  jobs.add("candidates", seconds(cfg.candidates_refresh_s), [&] {
    refresher.rebuild(wall_ms());
    return nlohmann::json::object();
  });
  jobs.add("retention", seconds(cfg.retention_interval_s), [&] {
    const std::int64_t purged = purge_expired_events(*storage, wall_ms(), cfg.retention_days);
    metrics.add_retention_purged(static_cast<std::uint64_t>(purged));
    return nlohmann::json{{"purged_events", purged}, {"retention_days", cfg.retention_days}};
  });
  jobs.add(
      "embeddings", seconds(cfg.embeddings_refresh_s),
      [&] {
        const bool computed = refresher.refresh_embeddings(wall_ms());
        if (computed) refresher.rebuild(wall_ms());
        return nlohmann::json{{"computed", computed}};
      },
      seconds(std::min<std::int64_t>(cfg.embeddings_refresh_s, 60)));

  HttpServer server;
  const std::size_t threads = static_cast<std::size_t>(cfg.threads);
  server.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  server.set_tcp_nodelay(true);  // without it small responses wait ~40 ms for delayed ACKs
  server.set_keep_alive_max_count(1000000);
  server.set_keep_alive_timeout(cfg.keep_alive_s);
  server.set_read_timeout(10, 0);
  server.set_write_timeout(10, 0);
  server.set_payload_max_length(cfg.max_body_bytes);

  ApiContext api{cfg, *storage, cache, metrics, [&jobs] { jobs.trigger("candidates"); }};
  RouteDeps deps{api, log, limiter, wall_ms, monotonic_s};
  install_routes(server, deps);

  int port = cfg.listen_port;
  if (port == 0) {
    port = server.bind_to_any_port(cfg.listen_host);
  } else if (!server.bind_to_port(cfg.listen_host, port)) {
    port = -1;
  }
  if (port <= 0) {
    log.error("cannot listen", {{"host", cfg.listen_host}, {"port", cfg.listen_port}});
    return 1;
  }
  log.info("listening", {{"host", cfg.listen_host},
                         {"port", port},
                         {"db", redact_url(cfg.db_url)},
                         {"backend", storage->backend()},
                         {"catalog_items", catalog.items.size()},
                         {"threads", cfg.threads},
                         {"max_body_bytes", cfg.max_body_bytes},
                         {"retention_days", cfg.retention_days},
                         {"rate_limit_per_s", cfg.rate_limit.rate_per_s},
                         {"rate_burst", cfg.rate_limit.burst}});
  jobs.start();

  std::atomic<bool> listen_done{false};
  std::atomic<int> stop_signal{0};
  std::thread signal_thread([&] {
    while (!listen_done.load()) {
      timespec wait{0, 100 * 1000 * 1000};
      const int sig = sigtimedwait(&stop_signals, nullptr, &wait);
      if (sig <= 0) continue;
      stop_signal = sig;
      log.info("shutting down", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
      // listen() may not have started yet; stop() only acts on a running server.
      while (!listen_done.load() && !server.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
      server.stop();
      return;
    }
  });

  const bool listened = server.listen_after_bind();  // returns once stopped and in-flight requests are done
  listen_done = true;
  signal_thread.join();
  jobs.stop();
  storage.reset();  // closes the database cleanly (SQLite checkpoints its WAL)
  log.info("stopped", {{"clean", true}});
  return (listened || stop_signal.load() != 0) ? 0 : 1;
}

}  // namespace
}  // namespace gradvy_sync

GRADVY_SYNC_COMMAND(serve, "serve", "run the sync server (HTTP API over SQLite or PostgreSQL)", gradvy_sync::run_serve);
