// Wires the handlers into a cpp-httplib server: request ids, bearer auth,
// per-learner rate limit, content-type checks, JSON errors for everything
// (including the library's own 404/413/400), one structured log line and the
// metrics for every request, and no exception ever escaping a handler.
//
// Route table (all JSON):
//   POST   /v1/batch        auth, application/json
//   GET    /v1/candidates   auth; ETag / If-None-Match -> 304
//   PUT    /v1/consent      auth, application/json
//   GET    /v1/consent      auth
//   GET    /v1/me/export    auth
//   DELETE /v1/me           auth
//   POST   /v1/aggregates   auth, application/json
//   GET    /healthz         no auth (liveness + database ping)
//   GET    /metrics         no auth, Prometheus text (no learner data in it)
// A known path with another method -> 405 with Allow; unknown path -> 404.
// Responses carry X-Request-Id (the client's, when it sent a sane one).
#pragma once

#include <cstdint>
#include <functional>

#include <httplib.h>

#include "gradvy_sync/handlers.hpp"
#include "gradvy_sync/log.hpp"
#include "gradvy_sync/rate_limit.hpp"

namespace gradvy_sync {

struct RouteDeps {
  ApiContext& api;
  JsonLog& log;
  RateLimiter& limiter;
  std::function<std::int64_t()> now_ms;            // wall clock, ms since epoch
  std::function<double()> monotonic_s;             // for the rate limiter
};

void install_routes(httplib::Server& server, RouteDeps& deps);

}  // namespace gradvy_sync
