// `gradvy-sync token --user ID [--ttl 1h] --secret-file FILE`: prints a bearer
// token for development (real apps mint them in their own backend, same format).
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>
#include <vector>

#include "gradvy_sync/auth_token.hpp"
#include "gradvy_sync/command.hpp"

namespace gradvy_sync {
namespace {

constexpr const char* kUsage =
    "usage: gradvy-sync token --user ID [--ttl 1h] --secret-file FILE\n"
    "  --user ID           learner's pseudonymous id (the token's sub)\n"
    "  --ttl DURATION      lifetime: 90s, 15m, 1h (default), 7d\n"
    "  --secret-file FILE  shared HMAC secret (or env GRADVY_SECRET_FILE)\n";

int run_token(const std::vector<std::string>& args) {
  std::string user;
  std::string ttl = "1h";
  const char* env_secret = std::getenv("GRADVY_SECRET_FILE");
  std::string secret_file = env_secret ? env_secret : "";
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (i + 1 >= args.size()) {
      std::fprintf(stderr, "gradvy-sync token: %s needs a value\n%s", a.c_str(), kUsage);
      return 2;
    }
    if (a == "--user") user = args[++i];
    else if (a == "--ttl") ttl = args[++i];
    else if (a == "--secret-file") secret_file = args[++i];
    else {
      std::fprintf(stderr, "gradvy-sync token: unknown option '%s'\n%s", a.c_str(), kUsage);
      return 2;
    }
  }
  if (!is_valid_subject(user)) {
    std::fprintf(stderr, "gradvy-sync token: --user must be 1..128 printable ASCII characters without spaces\n");
    return 2;
  }
  const std::int64_t ttl_s = parse_duration_seconds(ttl);
  if (ttl_s <= 0) {
    std::fprintf(stderr, "gradvy-sync token: --ttl '%s' is not a duration like 90s, 15m, 1h, 7d\n", ttl.c_str());
    return 2;
  }
  if (secret_file.empty()) {
    std::fprintf(stderr, "gradvy-sync token: --secret-file is required\n");
    return 2;
  }
  std::string error;
  const std::string secret = read_secret_file(secret_file, error);
  if (secret.empty()) {
    std::fprintf(stderr, "gradvy-sync token: %s\n", error.c_str());
    return 2;
  }
  const std::int64_t now = static_cast<std::int64_t>(std::time(nullptr));
  std::printf("%s\n", make_token(secret, user, now + ttl_s).c_str());
  return 0;
}

}  // namespace
}  // namespace gradvy_sync

GRADVY_SYNC_COMMAND(token, "token", "print a development bearer token for a learner", gradvy_sync::run_token);
