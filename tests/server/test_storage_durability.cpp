// Durability: a batch whose store_batch() returned survives kill -9 of the
// process that stored it (SQLite WAL + synchronous=NORMAL; PostgreSQL commit).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <set>

#include "test_storage_fixture.hpp"

namespace gradvy_sync {
namespace {

using testing_support::make_batch;
using testing_support::make_events;
using testing_support::StorageTest;

using StorageDurabilityTest = StorageTest;

constexpr int kBatchSize = 50;

// Runs in the forked child: stores batches forever, reporting each batch
// number on `ack_fd` only after store_batch() has returned. Never returns.
[[noreturn]] void store_until_killed(const std::string& url, int ack_fd) {
  try {
    auto storage = open_storage(url);
    for (int batch = 0;; ++batch) {
      storage->store_batch(make_batch("learner-k", "batch-" + std::to_string(batch)),
                           make_events("learner-k", batch * kBatchSize, kBatchSize));
      if (write(ack_fd, &batch, sizeof batch) != static_cast<ssize_t>(sizeof batch)) _exit(3);
    }
  } catch (...) {
    _exit(2);
  }
}

TEST_P(StorageDurabilityTest, AcknowledgedBatchesSurviveKillDashNine) {
  storage_.reset();  // the child opens its own; nothing shared across fork
  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(pipe_fds[0]);
    store_until_killed(db_.url(), pipe_fds[1]);
  }
  close(pipe_fds[1]);

  // Let it get well into the stream, then kill it without warning.
  std::set<int> acknowledged;
  int batch = 0;
  while (acknowledged.size() < 150 && read(pipe_fds[0], &batch, sizeof batch) == static_cast<ssize_t>(sizeof batch)) {
    acknowledged.insert(batch);
  }
  ASSERT_EQ(kill(child, SIGKILL), 0);
  // Acks already in the pipe were sent before the kill: they count too.
  while (read(pipe_fds[0], &batch, sizeof batch) == static_cast<ssize_t>(sizeof batch)) acknowledged.insert(batch);
  close(pipe_fds[0]);
  int status = 0;
  waitpid(child, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the writer exited by itself (code " << WEXITSTATUS(status)
                                   << "): it failed before the kill";
  ASSERT_GE(acknowledged.size(), 150u);

  auto reopened = open_storage(db_.url());
  std::set<std::string> ids;
  for (const auto& event : reopened->list_events("learner-k")) {
    EXPECT_TRUE(ids.insert(event["id"].get<std::string>()).second) << "stored twice: " << event["id"];
  }
  for (int acked : acknowledged) {
    for (int i = acked * kBatchSize; i < (acked + 1) * kBatchSize; ++i) {
      ASSERT_EQ(ids.count("ev-" + std::to_string(i)), 1u) << "acknowledged batch " << acked << " lost event " << i;
    }
  }
  // At most the one batch in flight at the kill may be there unacknowledged,
  // and then whole (atomicity).
  EXPECT_LE(ids.size(), (acknowledged.size() + 1) * kBatchSize);
  EXPECT_EQ(ids.size() % kBatchSize, 0u) << "a half-stored batch";
  // The database is usable after the crash.
  EXPECT_EQ(reopened->store_batch(make_batch("learner-k", "after"), make_events("learner-k", 1'000'000, 5)).accepted, 5);
}

INSTANTIATE_TEST_SUITE_P(Backends, StorageDurabilityTest, ::testing::Values("sqlite", "postgresql"),
                         testing_support::backend_name);

}  // namespace
}  // namespace gradvy_sync
