#include "gradvy_sync/routes.hpp"

#include <cctype>
#include <chrono>
#include <cstdio>
#include <exception>
#include <memory>
#include <random>
#include <string>

#include "gradvy_sync/auth_token.hpp"
#include "gradvy_sync/verified_token_cache.hpp"

namespace gradvy_sync {

namespace {

// Per-request bookkeeping. cpp-httplib runs pre-routing, the handler, the
// error handler and the logger of one request on the same worker thread.
// Reset by clearing, so its strings keep their capacity across requests.
struct RequestState {
  bool active = false;
  std::chrono::steady_clock::time_point start;
  std::string request_id;
  const char* route = "unmatched";
  std::string sub;
  std::string error_code;
  std::string log_members;  // the request log line is built here

  void reset() {
    active = false;
    request_id.clear();
    route = "unmatched";
    sub.clear();
    error_code.clear();
  }
};
thread_local RequestState t_request;

const char* const kRoutes[] = {"/v1/batch", "/v1/candidates", "/v1/consent", "/v1/me/export",
                               "/v1/me",    "/v1/aggregates", "/healthz",    "/metrics"};

const char* route_label(const std::string& path) {
  for (const char* r : kRoutes) {
    if (path == r) return r;
  }
  return "unmatched";
}

bool sane_request_id(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) return false;
  }
  return true;
}

std::string new_request_id() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(rng()));
  return buf;
}

std::string error_code_of(const std::string& body) {
  if (body.rfind("{\"error\"", 0) != 0) return {};
  const auto doc = nlohmann::json::parse(body, nullptr, false);
  if (doc.is_discarded()) return {};
  const auto e = doc.find("error");
  if (e == doc.end() || !e->is_object()) return {};
  const auto c = e->find("code");
  return c != e->end() && c->is_string() ? c->get<std::string>() : std::string();
}

// Takes the response by value so the body moves into httplib's response
// (set_content would copy it).
void apply(ApiResponse r, httplib::Response& res) {
  res.status = r.status;
  for (const auto& [k, v] : r.headers) res.set_header(k.c_str(), v);
  if (r.status >= 400) t_request.error_code = error_code_of(r.body);
  if (!r.body.empty()) {
    res.body = std::move(r.body);
    res.headers.erase("Content-Type");
    res.set_header("Content-Type", r.content_type);
  }
}

using AuthedFn = std::function<ApiResponse(const std::string& sub)>;

ApiResponse run_authed(RouteDeps& deps, VerifiedTokenCache& tokens, const httplib::Request& req, bool json_body,
                       const AuthedFn& fn) {
  const std::int64_t now_ms = deps.now_ms();
  const TokenCheck token = tokens.verify(req.get_header_value("Authorization"), now_ms / 1000);
  if (!token.ok()) {
    ApiResponse r = error_response(401, token_error_code(token.error), token.message);
    r.headers.emplace_back("WWW-Authenticate", "Bearer");
    return r;
  }
  const std::string& sub = token.claims.sub;
  t_request.sub = sub;
  const RateDecision rate = deps.limiter.take(sub, deps.monotonic_s());
  if (!rate.allowed) {
    deps.api.metrics.add_rate_limited();
    ApiResponse r = error_response(429, "rate_limited",
                                   "too many requests for this learner; retry after " +
                                       std::to_string(rate.retry_after_s) + " s");
    r.headers.emplace_back("Retry-After", std::to_string(rate.retry_after_s));
    return r;
  }
  if (json_body && !is_json_content_type(req.get_header_value("Content-Type"))) {
    return error_response(415, "unsupported_media_type", "Content-Type: must be application/json");
  }
  try {
    return fn(sub);
  } catch (const StorageError& e) {
    deps.log.error("storage error", {{"request_id", t_request.request_id}, {"error", e.what()}});
    ApiResponse r = error_response(503, "storage_unavailable", "storage: temporarily unavailable; retry later");
    r.headers.emplace_back("Retry-After", "1");
    return r;
  } catch (const std::exception& e) {
    deps.log.error("handler exception", {{"request_id", t_request.request_id}, {"error", e.what()}});
    return error_response(500, "internal", "internal error (request id " + t_request.request_id + ")");
  }
}

}  // namespace

void install_routes(httplib::Server& server, RouteDeps& deps) {
  RouteDeps* d = &deps;
  auto tokens = std::make_shared<VerifiedTokenCache>(deps.api.config.secret);

  server.set_pre_routing_handler([d](const httplib::Request& req, httplib::Response& res) {
    t_request.reset();
    t_request.active = true;
    t_request.start = std::chrono::steady_clock::now();
    const std::string client_id = req.get_header_value("X-Request-Id");
    t_request.request_id = sane_request_id(client_id) ? client_id : new_request_id();
    t_request.route = route_label(req.path);
    res.set_header("X-Request-Id", t_request.request_id);
    d->api.metrics.request_started();
    return httplib::Server::HandlerResponse::Unhandled;
  });

  auto authed = [d, tokens](bool json_body, std::function<ApiResponse(const httplib::Request&, const std::string&)> fn) {
    return [d, tokens, json_body, fn](const httplib::Request& req, httplib::Response& res) {
      apply(run_authed(*d, *tokens, req, json_body, [&](const std::string& sub) { return fn(req, sub); }), res);
    };
  };

  server.Post("/v1/batch", authed(true, [d](const httplib::Request& req, const std::string& sub) {
    return handle_post_batch(d->api, sub, req.body, d->now_ms());
  }));
  server.Get("/v1/candidates", authed(false, [d](const httplib::Request& req, const std::string&) {
    return handle_get_candidates(d->api, req.get_header_value("If-None-Match"));
  }));
  server.Put("/v1/consent", authed(true, [d](const httplib::Request& req, const std::string& sub) {
    return handle_put_consent(d->api, sub, req.body, d->now_ms());
  }));
  server.Get("/v1/consent", authed(false, [d](const httplib::Request&, const std::string& sub) {
    return handle_get_consent(d->api, sub);
  }));
  server.Get("/v1/me/export", authed(false, [d](const httplib::Request&, const std::string& sub) {
    return handle_get_export(d->api, sub, d->now_ms());
  }));
  server.Delete("/v1/me", authed(false, [d](const httplib::Request&, const std::string& sub) {
    return handle_delete_me(d->api, sub, d->now_ms());
  }));
  server.Post("/v1/aggregates", authed(true, [d](const httplib::Request& req, const std::string& sub) {
    return handle_post_aggregates(d->api, sub, req.body, d->now_ms());
  }));
  server.Get("/healthz", [d](const httplib::Request&, httplib::Response& res) {
    try {
      apply(handle_healthz(d->api, d->now_ms()), res);
    } catch (const std::exception&) {
      apply(error_response(503, "unavailable", "health check failed"), res);
    }
  });
  server.Get("/metrics", [d](const httplib::Request&, httplib::Response& res) {
    res.set_content(d->api.metrics.render_prometheus(), "text/plain; version=0.0.4; charset=utf-8");
  });

  // Known paths with a method they do not take: 405 + Allow.
  struct Allowed {
    const char* path;
    const char* allow;
  };
  for (const Allowed a : {Allowed{"/v1/batch", "POST"}, Allowed{"/v1/candidates", "GET"},
                          Allowed{"/v1/consent", "GET, PUT"}, Allowed{"/v1/me/export", "GET"},
                          Allowed{"/v1/me", "DELETE"}, Allowed{"/v1/aggregates", "POST"},
                          Allowed{"/healthz", "GET"}, Allowed{"/metrics", "GET"}}) {
    const std::string allow = a.allow;
    auto not_allowed = [allow](const httplib::Request& req, httplib::Response& res) {
      ApiResponse r = error_response(405, "method_not_allowed", req.method + " " + req.path + ": allowed " + allow);
      r.headers.emplace_back("Allow", allow);
      apply(r, res);
    };
    const std::string m = allow;
    if (m.find("GET") == std::string::npos) server.Get(a.path, not_allowed);
    if (m.find("POST") == std::string::npos) server.Post(a.path, not_allowed);
    if (m.find("PUT") == std::string::npos) server.Put(a.path, not_allowed);
    if (m.find("DELETE") == std::string::npos) server.Delete(a.path, not_allowed);
    server.Patch(a.path, not_allowed);
  }

  // The library's own errors (unknown path, body over the limit, a request it
  // could not parse) get the same JSON error shape as ours.
  const std::size_t max_body = deps.api.config.max_body_bytes;
  server.set_error_handler(httplib::Server::HandlerWithResponse([max_body](const httplib::Request& req,
                                                                       httplib::Response& res) {
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    std::string code, message;
    switch (res.status) {
      case 404:
        code = "not_found";
        message = "no route for " + req.method + " " + req.path.substr(0, 200);
        break;
      case 413:
        code = "body_too_large";
        message = "body: larger than " + std::to_string(max_body) + " bytes";
        break;
      case 400:
        code = "bad_request";
        message = "malformed HTTP request";
        break;
      default:
        code = "http_" + std::to_string(res.status);
        message = "HTTP error " + std::to_string(res.status);
        break;
    }
    res.set_content(error_body(code, message), "application/json");
    t_request.error_code = code;
    return httplib::Server::HandlerResponse::Handled;
  }));

  server.set_exception_handler([d](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
    apply(error_response(500, "internal", "internal error (request id " + t_request.request_id + ")"), res);
  });

  server.set_logger([d](const httplib::Request& req, const httplib::Response& res) {
    const auto end = std::chrono::steady_clock::now();
    const bool tracked = t_request.active;
    const double seconds = tracked ? std::chrono::duration<double>(end - t_request.start).count() : 0.0;
    const std::string route = tracked ? t_request.route : route_label(req.path);
    d->api.metrics.observe_request(route, req.method, res.status, seconds);
    if (tracked) d->api.metrics.request_finished();
    const LogLevel level = res.status >= 500 ? LogLevel::error : LogLevel::info;
    if (d->log.enabled(level)) {
      // Written by hand: this line goes out for every request.
      std::string& m = t_request.log_members;
      m.clear();
      char number[32];
      m += "\"route\":";
      append_json_string(m, route);
      m += ",\"method\":";
      append_json_string(m, req.method);
      m += ",\"status\":";
      m += std::to_string(res.status);
      std::snprintf(number, sizeof number, "%.3f", seconds * 1000.0);
      m += ",\"latency_ms\":";
      m += number;
      m += ",\"request_id\":";
      append_json_string(m, t_request.request_id);
      m += ",\"bytes_in\":";
      m += std::to_string(req.body.size());
      if (route == "unmatched") {
        m += ",\"path\":";
        append_json_string(m, std::string_view(req.path).substr(0, 200));
      }
      if (!t_request.sub.empty()) {
        m += ",\"sub\":";
        append_json_string(m, t_request.sub);
      }
      if (!t_request.error_code.empty()) {
        m += ",\"error_code\":";
        append_json_string(m, t_request.error_code);
      }
      d->log.write_members(level, "request", m);
    }
    t_request.reset();
  });
}

}  // namespace gradvy_sync
