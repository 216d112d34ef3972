// Periodic background jobs of `serve` (retention purge, candidate rebuild,
// embedding refresh) on one thread, so they never compete with each other for
// the database writer. Each job runs once at start, then every `interval`.
// A job that throws is logged and counted (metrics) and retried next interval.
// stop() wakes the thread and waits for the running job to finish.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "gradvy_sync/log.hpp"
#include "gradvy_sync/metrics.hpp"

namespace gradvy_sync {

class JobRunner {
 public:
  JobRunner(JsonLog& log, Metrics& metrics) : log_(log), metrics_(metrics) {}
  ~JobRunner() { stop(); }

  // Register before start(). `fn` returns a short JSON summary for the log.
  // The first run is `first_delay` after start() (0 = at once).
  void add(std::string name, std::chrono::milliseconds interval, std::function<nlohmann::json()> fn,
           std::chrono::milliseconds first_delay = std::chrono::milliseconds(0));
  void start();
  void stop();
  // Runs `name` as soon as possible (e.g. after a DELETE, refresh popularity).
  void trigger(const std::string& name);

 private:
  struct Job {
    std::string name;
    std::chrono::milliseconds interval;
    std::function<nlohmann::json()> fn;
    std::chrono::milliseconds first_delay;
    std::chrono::steady_clock::time_point next_run;
  };
  void loop();
  std::int64_t due_count(std::chrono::steady_clock::time_point now) const;  // under mutex_

  JsonLog& log_;
  Metrics& metrics_;
  std::vector<Job> jobs_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace gradvy_sync
