// kill -9 in the middle of a stream of acknowledged batches, then restart on
// the same database: every acknowledged batch is there exactly once, and every
// batch that was in flight is there whole or not at all. Also: SIGTERM stops
// accepting, lets the in-flight request finish, and exits 0.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "support/sync_server.hpp"

using gradvy_test::auth;
using gradvy_test::body_json;
using gradvy_test::make_batch;
using nlohmann::json;

namespace {

class CrashOnBackend : public ::testing::TestWithParam<std::string> {};

struct SentBatch {
  std::vector<std::string> event_ids;
  bool acked = false;
};

TEST_P(CrashOnBackend, Kill9MidStreamLosesNoAcknowledgedBatchAndDuplicatesNothing) {
  gradvy_test::TempDir dir;
  GRADVY_DATABASE_URL_OR_RETURN(db, GetParam(), dir);
  gradvy_test::SyncServer server(dir, gradvy_test::ServerOptions{db});
  const int kClients = 3;
  std::vector<std::string> users;
  for (int i = 0; i < kClients; ++i) users.push_back("crash-" + std::to_string(i) + "-" + gradvy_test::random_hex(8));

  std::mutex mutex;
  std::map<std::string, std::vector<SentBatch>> sent;  // per learner
  std::atomic<int> acked{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.emplace_back([&, user = users[i]] {
      auto c = server.client(10);
      const std::string token = server.token(user);
      while (!stop.load()) {
        const json batch = make_batch(user, 25);
        SentBatch s;
        for (const auto& e : batch["events"]) s.event_ids.push_back(e["id"]);
        auto r = c.Post("/v1/batch", auth(token), batch.dump(), "application/json");
        s.acked = r && r->status == 200 && body_json(r)["accepted"] == 25;
        {
          std::lock_guard<std::mutex> lock(mutex);
          sent[user].push_back(s);
        }
        if (!s.acked) return;  // the server is gone
        ++acked;
      }
    });
  }
  // Kill while batches are streaming: after a fair number were acknowledged.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (acked.load() < 60 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  server.kill9();
  stop = true;
  for (auto& t : clients) t.join();
  ASSERT_GE(acked.load(), 60) << "too few batches acknowledged before the kill";

  server.start();  // same database, new port
  auto c = server.client();
  std::size_t total_acked_events = 0;
  for (const auto& user : users) {
    auto r = c.Get("/v1/me/export", auth(server.token(user)));
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200);
    const auto ids = gradvy_test::exported_event_ids(body_json(r));
    std::multiset<std::string> stored(ids.begin(), ids.end());
    std::size_t expected_min = 0;
    for (const auto& s : sent[user]) {
      std::size_t present = 0;
      for (const auto& id : s.event_ids) {
        EXPECT_LE(stored.count(id), 1u) << "event stored twice: " << id;
        present += stored.count(id) ? 1 : 0;
      }
      if (s.acked) {
        EXPECT_EQ(present, s.event_ids.size()) << user << ": an acknowledged batch lost events";
        expected_min += s.event_ids.size();
        total_acked_events += s.event_ids.size();
      } else {
        EXPECT_TRUE(present == 0 || present == s.event_ids.size()) << user << ": a batch was half stored (" << present << ")";
      }
    }
    EXPECT_GE(ids.size(), expected_min);
  }
  EXPECT_GE(total_acked_events, 60u * 25u);
  EXPECT_EQ(server.terminate(), 0);
}

INSTANTIATE_TEST_SUITE_P(Backends, CrashOnBackend, ::testing::Values("sqlite", "postgresql"),
                         [](const auto& info) { return info.param; });

// Raw socket: lets the test hold a request half-sent while it signals the server.
int connect_loopback(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool send_all(int fd, const std::string& data) {
  std::size_t off = 0;
  while (off < data.size()) {
    const ssize_t n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return false;
    off += static_cast<std::size_t>(n);
  }
  return true;
}

TEST(GracefulShutdown, SigtermFinishesTheInFlightRequestRefusesNewOnesAndExitsZero) {
  gradvy_test::TempDir dir;
  const std::string db = "sqlite:" + dir.file("shutdown.sqlite");
  gradvy_test::SyncServer server(dir, gradvy_test::ServerOptions{db});
  const std::string user = "graceful-" + gradvy_test::random_hex(6);
  const std::string body = make_batch(user, 40).dump();
  const int port = server.port();

  const int fd = connect_loopback(port);
  ASSERT_GE(fd, 0);
  const std::string head = "POST /v1/batch HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + server.token(user) +
                           "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
                           "\r\nConnection: close\r\n\r\n";
  // Headers and half the body: the server is now reading this request.
  ASSERT_TRUE(send_all(fd, head + body.substr(0, body.size() / 2)));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ::kill(server.pid(), SIGTERM);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));

  // Still running (the request is in flight), but no longer accepting.
  EXPECT_EQ(server.wait_exit(0), gradvy_test::SyncServer::kStillRunning);
  const int refused = connect_loopback(port);
  EXPECT_LT(refused, 0) << "a new connection was accepted after SIGTERM";
  if (refused >= 0) ::close(refused);

  ASSERT_TRUE(send_all(fd, body.substr(body.size() / 2)));
  std::string response;
  char buf[4096];
  ssize_t n;
  while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) response.append(buf, static_cast<std::size_t>(n));
  ::close(fd);
  ASSERT_EQ(response.rfind("HTTP/1.1 200", 0), 0u) << response;
  const auto json_start = response.find("\r\n\r\n");
  ASSERT_NE(json_start, std::string::npos);
  EXPECT_EQ(json::parse(response.substr(json_start + 4))["accepted"], 40);

  EXPECT_EQ(server.wait_exit(15000), 0) << server.log_text();
  bool stopped_cleanly = false;
  for (const auto& line : server.log_lines()) stopped_cleanly = stopped_cleanly || line["msg"] == "stopped";
  EXPECT_TRUE(stopped_cleanly) << server.log_text();

  // The acknowledged batch is in the database the next process opens.
  server.start();
  auto c = server.client();
  EXPECT_EQ(body_json(c.Get("/v1/me/export", auth(server.token(user))))["events"].size(), 40u);
}

}  // namespace
