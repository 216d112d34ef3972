#include "gradvy_sync/http_server.hpp"

#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>
#include <vector>

namespace gradvy_sync {

namespace {

int to_ms(time_t sec, time_t usec) { return static_cast<int>(sec * 1000 + usec / 1000); }

// 0: timed out, < 0: error, > 0: ready.
int wait_for(int fd, short events, int timeout_ms) {
  pollfd p{fd, events, 0};
  for (;;) {
    const int n = ::poll(&p, 1, timeout_ms);
    if (n < 0 && errno == EINTR) continue;
    return n;
  }
}

void numeric_host(const sockaddr_storage& addr, socklen_t len, std::string& ip, int& port) {
  char host[NI_MAXHOST];
  const auto* sa = reinterpret_cast<const sockaddr*>(&addr);
  if (::getnameinfo(sa, len, host, sizeof host, nullptr, 0, NI_NUMERICHOST) != 0) return;
  ip = host;
  if (addr.ss_family == AF_INET) port = ntohs(reinterpret_cast<const sockaddr_in&>(addr).sin_port);
  if (addr.ss_family == AF_INET6) port = ntohs(reinterpret_cast<const sockaddr_in6&>(addr).sin6_port);
}

// One keep-alive connection's stream. Reads are served from a buffer filled
// by recv calls of up to kReadBuffer bytes; writes are gathered and sent by
// flush() (after each response, before any read that has to wait for the
// peer, e.g. after "100 Continue", and whenever kMaxPending is reached).
class ConnectionStream final : public httplib::Stream {
 public:
  ConnectionStream(int fd, int read_timeout_ms, int write_timeout_ms)
      : fd_(fd), read_timeout_ms_(read_timeout_ms), write_timeout_ms_(write_timeout_ms), in_(kReadBuffer) {}

  bool has_buffered_input() const { return in_begin_ < in_end_; }

  bool is_readable() const override { return has_buffered_input() || wait_for(fd_, POLLIN, read_timeout_ms_) > 0; }

  bool is_writable() const override { return wait_for(fd_, POLLOUT, write_timeout_ms_) > 0; }

  ssize_t read(char* ptr, std::size_t size) override {
    if (!has_buffered_input()) {
      const ssize_t n = fill();
      if (n <= 0) return n;
    }
    const std::size_t n = std::min(size, in_end_ - in_begin_);
    std::memcpy(ptr, in_.data() + in_begin_, n);
    in_begin_ += n;
    return static_cast<ssize_t>(n);
  }

  ssize_t write(const char* ptr, std::size_t size) override {
    if (out_.size() + size > kMaxPending) {
      if (!flush()) return -1;
      if (size >= kMaxPending) return send_all(ptr, size) ? static_cast<ssize_t>(size) : -1;
    }
    out_.append(ptr, size);
    return static_cast<ssize_t>(size);
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override { address(peer_, ip, port); }

  void get_local_ip_and_port(std::string& ip, int& port) const override { address(local_, ip, port); }

  socket_t socket() const override { return fd_; }

  bool flush() {
    const bool ok = send_all(out_.data(), out_.size());
    out_.clear();
    return ok;
  }

 private:
  static constexpr std::size_t kReadBuffer = 64 * 1024;   // a 50-event batch (~17 KB) in one recv
  static constexpr std::size_t kMaxPending = 64 * 1024;   // larger responses go out in pieces

  // Refills the empty input buffer: > 0 bytes read, 0 the peer closed, < 0 error or timeout.
  ssize_t fill() {
    if (!out_.empty() && !flush()) return -1;  // the peer may be waiting for it (100 Continue)
    in_begin_ = in_end_ = 0;
    for (;;) {
      const ssize_t n = ::recv(fd_, in_.data(), in_.size(), MSG_DONTWAIT);
      if (n >= 0) {
        in_end_ = static_cast<std::size_t>(n);
        return n;
      }
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) return -1;
      if (wait_for(fd_, POLLIN, read_timeout_ms_) <= 0) return -1;
    }
  }

  bool send_all(const char* p, std::size_t n) {
    while (n > 0) {
      const ssize_t w = ::send(fd_, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (w > 0) {
        p += w;
        n -= static_cast<std::size_t>(w);
        continue;
      }
      if (w < 0 && errno == EINTR) continue;
      if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && wait_for(fd_, POLLOUT, write_timeout_ms_) > 0) continue;
      return false;
    }
    return true;
  }

  struct Address {
    explicit Address(bool is_peer) : peer(is_peer) {}
    bool peer;
    bool known = false;
    std::string ip;
    int port = -1;
  };

  // Asked for on every request; a connection's addresses never change.
  void address(Address& a, std::string& ip, int& port) const {
    if (!a.known) {
      sockaddr_storage addr{};
      socklen_t len = sizeof addr;
      auto* sa = reinterpret_cast<sockaddr*>(&addr);
      if ((a.peer ? ::getpeername(fd_, sa, &len) : ::getsockname(fd_, sa, &len)) == 0) {
        numeric_host(addr, len, a.ip, a.port);
      }
      a.known = true;
    }
    ip = a.ip;
    port = a.port;
  }

  int fd_;
  int read_timeout_ms_;
  int write_timeout_ms_;
  std::vector<char> in_;
  std::size_t in_begin_ = 0;
  std::size_t in_end_ = 0;
  std::string out_;
  mutable Address peer_{true};
  mutable Address local_{false};
};

// Waits up to keep_alive_s for the next request, as cpp-httplib's keep-alive
// wait does, but in one poll per 100 ms (not a 10 ms poll plus a 1 ms sleep)
// and giving up once the server stops listening.
bool wait_for_request(const ConnectionStream& stream, const std::atomic<socket_t>& listener, time_t keep_alive_s) {
  if (stream.has_buffered_input()) return true;
  using clock = std::chrono::steady_clock;
  const auto deadline = clock::now() + std::chrono::seconds(keep_alive_s);
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now()).count();
    const long long slice_ms = std::max<long long>(0, std::min<long long>(left, 100));
    const int ready = wait_for(stream.socket(), POLLIN, static_cast<int>(slice_ms));
    if (ready != 0) return ready > 0;
    if (listener == INVALID_SOCKET || left <= 0) return false;
  }
}

}  // namespace

bool HttpServer::process_and_close_socket(socket_t sock) {
  ConnectionStream stream(sock, to_ms(read_timeout_sec_, read_timeout_usec_),
                          to_ms(write_timeout_sec_, write_timeout_usec_));
  bool ok = false;
  for (std::size_t left = keep_alive_max_count_; svr_sock_ != INVALID_SOCKET && left > 0; --left) {
    if (!wait_for_request(stream, svr_sock_, keep_alive_timeout_sec_)) break;
    bool connection_closed = false;
    ok = process_request(stream, left == 1, connection_closed, nullptr);
    ok = stream.flush() && ok;
    if (!ok || connection_closed) break;
  }
  stream.flush();
  ::shutdown(sock, SHUT_RDWR);
  ::close(sock);
  return ok;
}

}  // namespace gradvy_sync
