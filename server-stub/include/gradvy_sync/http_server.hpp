// The HTTP server: cpp-httplib's request parsing, routing and response
// writing, with our own loop over each keep-alive connection.
//
// cpp-httplib 0.11 makes a new 4 KiB-buffered stream for every request (so
// bytes a client pipelined after a request are lost), polls before every recv
// and send, reads a body in 4 KiB recv calls, asks for the socket's addresses
// on every request, sends the head and the body of a response in two segments
// (two wake-ups of the client), and between requests sleeps 1 ms whenever
// 10 ms pass without one. Here one stream lives as long as the connection: it
// reads up to 64 KiB per recv, polls once while waiting for a request and
// otherwise only when a socket would block, and sends a whole response in one
// send. Timeouts (read, write, keep-alive), the keep-alive request limit and
// stop() behave as in cpp-httplib, except that an idle connection notices
// stop() within 100 ms instead of holding shutdown for the keep-alive timeout.
#pragma once

#include <httplib.h>

namespace gradvy_sync {

class HttpServer : public httplib::Server {
 private:
  bool process_and_close_socket(socket_t sock) override;
};

}  // namespace gradvy_sync
