#include "gradvy_sync/server_config.hpp"

#include <cstdlib>
#include <map>

#include "gradvy_sync/auth_token.hpp"

namespace gradvy_sync {

std::optional<std::string> process_env(const std::string& name) {
  const char* v = std::getenv(name.c_str());
  if (!v) return std::nullopt;
  return std::string(v);
}

const char* serve_usage() {
  return "usage: gradvy-sync serve --catalog FILE --secret-file FILE [options]\n"
         "  --listen HOST:PORT        default 127.0.0.1:8787 (port 0 = any free port)   env GRADVY_LISTEN\n"
         "  --db URL                  sqlite:PATH (default sqlite:./gradvy.db) or postgresql://...  env GRADVY_DB\n"
         "  --catalog FILE            catalog JSON {\"items\":[{\"id\":...},...]}       env GRADVY_CATALOG\n"
         "  --secret-file FILE        HMAC secret for bearer tokens (>= 16 bytes)      env GRADVY_SECRET_FILE\n"
         "  --retention-days N        purge events older than N days (default 180)    env GRADVY_RETENTION_DAYS\n"
         "  --max-body-bytes N        request body limit, 413 above (default 1048576) env GRADVY_MAX_BODY_BYTES\n"
         "  --max-batch-events N      events per batch, 413 above (default 1000)      env GRADVY_MAX_BATCH_EVENTS\n"
         "  --max-event-bytes N       one event's JSON, 413 above (default 32768)     env GRADVY_MAX_EVENT_BYTES\n"
         "  --rate-limit R            requests/s per learner, 0 = off (default 20)    env GRADVY_RATE_LIMIT\n"
         "  --rate-burst N            token-bucket size per learner (default 40)      env GRADVY_RATE_BURST\n"
         "  --threads N               HTTP worker threads (default 32)                env GRADVY_THREADS\n"
         "  --db-pool N               database connections for reads (default 4)      env GRADVY_DB_POOL\n"
         "  --candidates-refresh-s N  rebuild candidates every N s (default 300)      env GRADVY_CANDIDATES_REFRESH_S\n"
         "  --embeddings-refresh-s N  recompute embeddings every N s (default 3600)   env GRADVY_EMBEDDINGS_REFRESH_S\n"
         "  --retention-interval-s N  run the retention purge every N s (default 3600) env GRADVY_RETENTION_INTERVAL_S\n"
         "  --log-level LEVEL         debug|info|warn|error (default info)            env GRADVY_LOG_LEVEL\n";
}

namespace {

bool parse_int(const std::string& text, std::int64_t min, std::int64_t max, std::int64_t& out) {
  if (text.empty() || text.size() > 18) return false;
  std::int64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  if (v < min || v > max) return false;
  out = v;
  return true;
}

bool parse_number(const std::string& text, double min, double max, double& out) {
  if (text.empty()) return false;
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size() || !(v >= min && v <= max)) return false;
  out = v;
  return true;
}

bool parse_listen(const std::string& text, std::string& host, int& port) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  std::int64_t p = 0;
  if (!parse_int(text.substr(colon + 1), 0, 65535, p)) return false;
  host = text.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  port = static_cast<int>(p);
  return true;
}

struct Option {
  const char* flag;
  const char* env;
};

// flag -> env var; the order is the order of checks (first error wins).
const Option kOptions[] = {
    {"--listen", "GRADVY_LISTEN"},
    {"--db", "GRADVY_DB"},
    {"--catalog", "GRADVY_CATALOG"},
    {"--secret-file", "GRADVY_SECRET_FILE"},
    {"--retention-days", "GRADVY_RETENTION_DAYS"},
    {"--max-body-bytes", "GRADVY_MAX_BODY_BYTES"},
    {"--max-batch-events", "GRADVY_MAX_BATCH_EVENTS"},
    {"--max-event-bytes", "GRADVY_MAX_EVENT_BYTES"},
    {"--rate-limit", "GRADVY_RATE_LIMIT"},
    {"--rate-burst", "GRADVY_RATE_BURST"},
    {"--threads", "GRADVY_THREADS"},
    {"--db-pool", "GRADVY_DB_POOL"},
    {"--candidates-refresh-s", "GRADVY_CANDIDATES_REFRESH_S"},
    {"--embeddings-refresh-s", "GRADVY_EMBEDDINGS_REFRESH_S"},
    {"--retention-interval-s", "GRADVY_RETENTION_INTERVAL_S"},
    {"--log-level", "GRADVY_LOG_LEVEL"},
};

}  // namespace

ConfigResult load_serve_config(const std::vector<std::string>& args, const EnvLookup& env) {
  ConfigResult result;
  std::map<std::string, std::string> given;  // flag -> value
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h") {
      result.help = true;
      return result;
    }
    std::string flag = a;
    std::string value;
    const auto eq = a.find('=');
    bool known = false;
    if (a.rfind("--", 0) == 0 && eq != std::string::npos) {
      flag = a.substr(0, eq);
      value = a.substr(eq + 1);
    }
    for (const Option& o : kOptions) known = known || flag == o.flag;
    if (!known) {
      result.error = "unknown option '" + a + "'";
      return result;
    }
    if (eq == std::string::npos) {
      if (i + 1 >= args.size()) {
        result.error = flag + " needs a value";
        return result;
      }
      value = args[++i];
    }
    given[flag] = value;
  }
  for (const Option& o : kOptions) {
    if (given.count(o.flag)) continue;
    if (auto v = env(o.env)) given[o.flag] = *v;
  }

  ServeConfig& c = result.config;
  auto fail = [&](const std::string& flag, const std::string& rule) {
    result.error = flag + " '" + given[flag] + "': " + rule;
    return result;
  };
  std::int64_t n = 0;
  double x = 0;
  if (given.count("--listen") && !parse_listen(given["--listen"], c.listen_host, c.listen_port)) {
    return fail("--listen", "must be HOST:PORT with PORT 0..65535");
  }
  if (given.count("--db")) c.db_url = given["--db"];
  if (c.db_url.empty()) return fail("--db", "must not be empty");
  if (!given.count("--catalog") || given["--catalog"].empty()) {
    result.error = "--catalog FILE (or GRADVY_CATALOG) is required";
    return result;
  }
  c.catalog_path = given["--catalog"];
  if (!given.count("--secret-file") || given["--secret-file"].empty()) {
    result.error = "--secret-file FILE (or GRADVY_SECRET_FILE) is required";
    return result;
  }
  c.secret_file = given["--secret-file"];
  if (given.count("--retention-days")) {
    if (!parse_int(given["--retention-days"], 1, 36500, n)) return fail("--retention-days", "must be an integer 1..36500");
    c.retention_days = n;
  }
  if (given.count("--max-body-bytes")) {
    if (!parse_int(given["--max-body-bytes"], 1024, 64 << 20, n)) return fail("--max-body-bytes", "must be an integer 1024..67108864");
    c.max_body_bytes = static_cast<std::size_t>(n);
  }
  if (given.count("--max-batch-events")) {
    if (!parse_int(given["--max-batch-events"], 1, 100000, n)) return fail("--max-batch-events", "must be an integer 1..100000");
    c.max_events_per_batch = static_cast<std::size_t>(n);
  }
  if (given.count("--max-event-bytes")) {
    if (!parse_int(given["--max-event-bytes"], 256, 1 << 20, n)) return fail("--max-event-bytes", "must be an integer 256..1048576");
    c.max_event_bytes = static_cast<std::size_t>(n);
  }
  if (given.count("--rate-limit")) {
    if (!parse_number(given["--rate-limit"], 0, 1e9, x)) return fail("--rate-limit", "must be a number >= 0 (0 = off)");
    c.rate_limit.rate_per_s = x;
  }
  if (given.count("--rate-burst")) {
    if (!parse_number(given["--rate-burst"], 1, 1e9, x)) return fail("--rate-burst", "must be a number >= 1");
    c.rate_limit.burst = x;
  }
  if (given.count("--threads")) {
    if (!parse_int(given["--threads"], 1, 1024, n)) return fail("--threads", "must be an integer 1..1024");
    c.threads = static_cast<int>(n);
  }
  if (given.count("--db-pool")) {
    if (!parse_int(given["--db-pool"], 1, 256, n)) return fail("--db-pool", "must be an integer 1..256");
    c.db_pool = static_cast<int>(n);
  }
  if (given.count("--candidates-refresh-s")) {
    if (!parse_int(given["--candidates-refresh-s"], 1, 86400 * 30, n)) return fail("--candidates-refresh-s", "must be an integer 1..2592000");
    c.candidates_refresh_s = n;
  }
  if (given.count("--embeddings-refresh-s")) {
    if (!parse_int(given["--embeddings-refresh-s"], 1, 86400 * 30, n)) return fail("--embeddings-refresh-s", "must be an integer 1..2592000");
    c.embeddings_refresh_s = n;
  }
  if (given.count("--retention-interval-s")) {
    if (!parse_int(given["--retention-interval-s"], 1, 86400 * 30, n)) return fail("--retention-interval-s", "must be an integer 1..2592000");
    c.retention_interval_s = n;
  }
  if (given.count("--log-level") && !parse_log_level(given["--log-level"], c.log_level)) {
    return fail("--log-level", "must be debug, info, warn or error");
  }
  std::string error;
  c.secret = read_secret_file(c.secret_file, error);
  if (c.secret.empty()) {
    result.error = error;
    return result;
  }
  result.ok = true;
  return result;
}

}  // namespace gradvy_sync
