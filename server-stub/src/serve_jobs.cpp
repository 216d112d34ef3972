#include "gradvy_sync/serve_jobs.hpp"

#include <exception>

namespace gradvy_sync {

void JobRunner::add(std::string name, std::chrono::milliseconds interval, std::function<nlohmann::json()> fn,
                    std::chrono::milliseconds first_delay) {
  jobs_.push_back(Job{std::move(name), interval, std::move(fn), first_delay, {}});
}

void JobRunner::start() {
  const auto now = std::chrono::steady_clock::now();
  for (auto& job : jobs_) job.next_run = now + job.first_delay;
  metrics_.set_jobs_queued(static_cast<std::int64_t>(jobs_.size()));
  thread_ = std::thread([this] { loop(); });
}

void JobRunner::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void JobRunner::trigger(const std::string& name) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto& job : jobs_) {
      if (job.name == name) job.next_run = std::chrono::steady_clock::now();
    }
  }
  wake_.notify_all();
}

std::int64_t JobRunner::due_count(std::chrono::steady_clock::time_point now) const {
  std::int64_t n = 0;
  for (const auto& job : jobs_) n += job.next_run <= now ? 1 : 0;
  return n;
}

void JobRunner::loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopping_) {
    auto now = std::chrono::steady_clock::now();
    Job* due = nullptr;
    auto next_wake = now + std::chrono::hours(24);
    for (auto& job : jobs_) {
      if (job.next_run <= now && (!due || job.next_run < due->next_run)) due = &job;
      if (job.next_run < next_wake) next_wake = job.next_run;
    }
    metrics_.set_jobs_queued(due_count(now));
    if (!due) {
      wake_.wait_until(lock, next_wake);
      continue;
    }
    const std::string name = due->name;
    auto fn = due->fn;
    due->next_run = now + due->interval;  // schedule from the start: a slow run does not drift
    lock.unlock();
    const auto started = std::chrono::steady_clock::now();
    bool ok = true;
    nlohmann::json summary = nlohmann::json::object();
    try {
      summary = fn();
    } catch (const std::exception& e) {
      ok = false;
      summary = {{"error", e.what()}};
    } catch (...) {
      ok = false;
      summary = {{"error", "unknown exception"}};
    }
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
    const double unix_now =
        std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    metrics_.job_finished(name, ok, unix_now);
    nlohmann::json fields = {{"job", name}, {"duration_ms", ms}};
    if (summary.is_object()) fields.update(summary);
    if (ok) log_.info("job finished", fields);
    else log_.error("job failed", fields);
    lock.lock();
  }
  metrics_.set_jobs_queued(0);
}

}  // namespace gradvy_sync
