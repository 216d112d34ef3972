// The server's own keep-alive connection loop (http_server.cpp), over a raw
// socket: what it buffers must never reorder, drop or hold back bytes.
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "support/sync_server.hpp"

namespace {

class RawConnection {
 public:
  explicit RawConnection(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~RawConnection() {
    if (fd_ >= 0) ::close(fd_);
  }
  bool ok() const { return fd_ >= 0; }

  bool send(const std::string& data) {
    std::size_t off = 0;
    while (off < data.size()) {
      const ssize_t n = ::send(fd_, data.data() + off, data.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return false;
      off += static_cast<std::size_t>(n);
    }
    return true;
  }

  // Reads until `text` holds `needle` `count` times, or timeout_ms passes without data.
  std::string read_until(const std::string& needle, int count, int timeout_ms = 10000) {
    while (occurrences(needle) < count) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, timeout_ms) <= 0) break;
      char buf[8192];
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) break;
      text_.append(buf, static_cast<std::size_t>(n));
    }
    return text_;
  }

 private:
  int occurrences(const std::string& needle) const {
    int n = 0;
    for (auto at = text_.find(needle); at != std::string::npos; at = text_.find(needle, at + 1)) ++n;
    return n;
  }
  int fd_ = -1;
  std::string text_;
};

std::string post_batch_request(int port, const std::string& token, const std::string& body,
                               const std::string& extra = "") {
  return "POST /v1/batch HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) + "\r\nAuthorization: Bearer " + token +
         "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" + extra +
         "\r\n" + body;
}

TEST(HttpConnection, PipelinedRequestsAreAllAnsweredInOrder) {
  gradvy_test::TempDir dir;
  gradvy_test::SyncServer server(dir, gradvy_test::ServerOptions{"sqlite:" + dir.file("pipe.sqlite")});
  const std::string user = "pipeline-" + gradvy_test::random_hex(6);
  const std::string body = gradvy_test::make_batch(user, 60).dump();  // larger than one 16 KiB segment
  RawConnection c(server.port());
  ASSERT_TRUE(c.ok());
  // Three requests in one write: the bytes after the first must not be lost.
  const std::string healthz = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Request-Id: second\r\n\r\n";
  ASSERT_TRUE(c.send(post_batch_request(server.port(), server.token(user), body) + healthz +
                     "GET /nope HTTP/1.1\r\nHost: x\r\nX-Request-Id: third\r\n\r\n"));
  const std::string replies = c.read_until("HTTP/1.1 ", 3);
  const auto first = replies.find("HTTP/1.1 200");
  const auto second = replies.find("X-Request-Id: second");
  const auto third = replies.find("X-Request-Id: third");
  ASSERT_NE(first, std::string::npos) << replies;
  ASSERT_NE(second, std::string::npos) << replies;
  ASSERT_NE(third, std::string::npos) << replies;
  EXPECT_LT(first, second);
  EXPECT_LT(second, third);
  EXPECT_NE(replies.find("\"accepted\":60"), std::string::npos) << replies;
  EXPECT_NE(replies.find("HTTP/1.1 404"), std::string::npos) << replies;
}

TEST(HttpConnection, ExpectContinueIsAnsweredBeforeTheBodyIsSent) {
  gradvy_test::TempDir dir;
  gradvy_test::SyncServer server(dir, gradvy_test::ServerOptions{"sqlite:" + dir.file("continue.sqlite")});
  const std::string user = "continue-" + gradvy_test::random_hex(6);
  const std::string body = gradvy_test::make_batch(user, 3).dump();
  const std::string request = post_batch_request(server.port(), server.token(user), body, "Expect: 100-continue\r\n");
  RawConnection c(server.port());
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(c.send(request.substr(0, request.size() - body.size())));
  EXPECT_NE(c.read_until("HTTP/1.1 100 Continue\r\n\r\n", 1).find("HTTP/1.1 100 Continue"), std::string::npos);
  ASSERT_TRUE(c.send(body));
  const std::string replies = c.read_until("\"refused_ids\"", 1);
  EXPECT_NE(replies.find("HTTP/1.1 200"), std::string::npos) << replies;
  EXPECT_NE(replies.find("\"accepted\":3"), std::string::npos) << replies;
}

}  // namespace
