// Bearer tokens: format, expiry, tampering, foreign secrets, the CLI that
// makes them, and what the server answers to each.
#include <gtest/gtest.h>

#include <cstdio>
#include <ctime>

#include "gradvy_sync/auth_token.hpp"
#include "support/sync_server.hpp"

using namespace gradvy_sync;

namespace {

const std::string kSecret = "0123456789abcdef-secret";
const std::int64_t kNow = 1'800'000'000;

TEST(AuthToken, RoundTripGivesSubAndExpiry) {
  const std::string token = make_token(kSecret, "learner-42", kNow + 60);
  const TokenCheck check = verify_token(token, kSecret, kNow);
  ASSERT_TRUE(check.ok()) << check.message;
  EXPECT_EQ(check.claims.sub, "learner-42");
  EXPECT_EQ(check.claims.exp, kNow + 60);
}

TEST(AuthToken, FormatIsBase64urlPayloadDotHmacOfThePayloadPart) {
  const std::string token = make_token(kSecret, "u1", 1234);
  const auto dot = token.find('.');
  ASSERT_NE(dot, std::string::npos);
  std::string payload;
  ASSERT_TRUE(base64url_decode(token.substr(0, dot), payload));
  const auto json = nlohmann::json::parse(payload);
  EXPECT_EQ(json["sub"], "u1");
  EXPECT_EQ(json["exp"], 1234);
  EXPECT_EQ(token.substr(dot + 1), base64url_encode(hmac_sha256(kSecret, token.substr(0, dot))));
  EXPECT_EQ(token.find('='), std::string::npos);  // no padding
  // RFC 4231 test case 2 pins the HMAC itself.
  const std::string mac = hmac_sha256("Jefe", "what do ya want for nothing?");
  static const char* hex = "0123456789abcdef";
  std::string mac_hex;
  for (unsigned char c : mac) mac_hex += {hex[c >> 4], hex[c & 15]};
  EXPECT_EQ(mac_hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(AuthToken, ExpiredAtExactlyExp) {
  const std::string token = make_token(kSecret, "u1", kNow);
  EXPECT_TRUE(verify_token(token, kSecret, kNow - 1).ok());
  const TokenCheck check = verify_token(token, kSecret, kNow);
  EXPECT_EQ(check.error, TokenError::expired);
  EXPECT_EQ(check.message, "token expired");
}

TEST(AuthToken, TamperedPayloadOrSignatureIsRefused) {
  const std::string token = make_token(kSecret, "alice", kNow + 60);
  const auto dot = token.find('.');
  // Same signature, payload swapped for bob's: the signature no longer matches.
  const std::string bob_payload = base64url_encode(R"({"exp":1800000060,"sub":"bob"})");
  EXPECT_EQ(verify_token(bob_payload + token.substr(dot), kSecret, kNow).error, TokenError::invalid_signature);
  // A longer expiry, same signature.
  const std::string later = base64url_encode(R"({"exp":1900000000,"sub":"alice"})");
  EXPECT_EQ(verify_token(later + token.substr(dot), kSecret, kNow).error, TokenError::invalid_signature);
  // One signature character flipped.
  std::string flipped = token;
  flipped[dot + 3] = flipped[dot + 3] == 'A' ? 'B' : 'A';
  EXPECT_EQ(verify_token(flipped, kSecret, kNow).error, TokenError::invalid_signature);
}

TEST(AuthToken, AnotherSecretsTokenIsRefused) {
  const std::string foreign = make_token("some-other-secret-entirely", "alice", kNow + 60);
  const TokenCheck check = verify_token(foreign, kSecret, kNow);
  EXPECT_EQ(check.error, TokenError::invalid_signature);
  EXPECT_EQ(check.message, "token signature does not match");
}

TEST(AuthToken, MalformedTokensSayWhatIsWrong) {
  struct Case {
    std::string token;
    TokenError error;
    std::string message;
  };
  const std::string good = make_token(kSecret, "u", kNow + 5);
  const std::string sig_of = base64url_encode(hmac_sha256(kSecret, base64url_encode("[1,2]")));
  const std::string no_sub_payload = base64url_encode(R"({"exp":1800000060})");
  const std::string str_exp_payload = base64url_encode(R"({"sub":"u","exp":"soon"})");
  const std::string spaced_sub = base64url_encode(R"({"sub":"a b","exp":1800000060})");
  auto signed_payload = [&](const std::string& p) { return p + "." + base64url_encode(hmac_sha256(kSecret, p)); };
  const std::vector<Case> cases = {
      {"", TokenError::missing, "no bearer token"},
      {"abc", TokenError::malformed, "token must be <payload>.<signature>"},
      {"a.b.c", TokenError::malformed, "token must be <payload>.<signature>"},
      {".abc", TokenError::malformed, "token must be <payload>.<signature>"},
      {good.substr(0, good.find('.') + 1), TokenError::malformed, "token must be <payload>.<signature>"},
      {good.substr(0, good.find('.')) + ".!!!!", TokenError::malformed, "token signature is not 32 bytes of base64url"},
      {good.substr(0, good.size() - 4), TokenError::malformed, "token signature is not 32 bytes of base64url"},
      {base64url_encode("[1,2]") + "." + sig_of, TokenError::malformed, "token payload is not a JSON object"},
      {signed_payload(no_sub_payload), TokenError::malformed, "token sub: must be 1..128 printable ASCII characters"},
      {signed_payload(spaced_sub), TokenError::malformed, "token sub: must be 1..128 printable ASCII characters"},
      {signed_payload(str_exp_payload), TokenError::malformed, "token exp: must be an integer (Unix seconds)"},
      {std::string(5000, 'a'), TokenError::malformed, "token is longer than 4096 bytes"},
  };
  for (const auto& c : cases) {
    const TokenCheck check = verify_token(c.token, kSecret, kNow);
    EXPECT_EQ(check.error, c.error) << c.token.substr(0, 80);
    EXPECT_EQ(check.message, c.message) << c.token.substr(0, 80);
  }
}

TEST(AuthToken, BearerHeaderParsing) {
  const std::string token = make_token(kSecret, "u", kNow + 5);
  EXPECT_TRUE(verify_bearer("Bearer " + token, kSecret, kNow).ok());
  EXPECT_TRUE(verify_bearer("bearer  " + token + " ", kSecret, kNow).ok());
  EXPECT_EQ(verify_bearer("", kSecret, kNow).error, TokenError::missing);
  EXPECT_EQ(verify_bearer("Basic dXNlcjpwYXNz", kSecret, kNow).error, TokenError::missing);
  EXPECT_EQ(verify_bearer("Bearer ", kSecret, kNow).error, TokenError::missing);
}

TEST(AuthToken, Base64urlRoundTripAndStrictDecoding) {
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes += static_cast<char>(i);
  for (std::size_t n = 0; n < 40; ++n) {
    std::string out;
    ASSERT_TRUE(base64url_decode(base64url_encode(bytes.substr(n)), out));
    EXPECT_EQ(out, bytes.substr(n));
  }
  std::string out;
  EXPECT_FALSE(base64url_decode("abc=", out));   // padding is not part of the format
  EXPECT_FALSE(base64url_decode("a+b/", out));   // standard alphabet
  EXPECT_FALSE(base64url_decode("abcde", out));  // impossible length
  EXPECT_FALSE(base64url_decode("QR", out));     // non-zero trailing bits: a second spelling of "A"
  EXPECT_TRUE(base64url_decode("QQ", out));
  EXPECT_EQ(out, "A");
}

TEST(AuthToken, DurationsAndSecretFiles) {
  EXPECT_EQ(parse_duration_seconds("90"), 90);
  EXPECT_EQ(parse_duration_seconds("15m"), 900);
  EXPECT_EQ(parse_duration_seconds("1h"), 3600);
  EXPECT_EQ(parse_duration_seconds("7d"), 604800);
  EXPECT_EQ(parse_duration_seconds("0s"), -1);
  EXPECT_EQ(parse_duration_seconds("-1h"), -1);
  EXPECT_EQ(parse_duration_seconds("1w"), -1);
  gradvy_test::TempDir dir;
  std::string error;
  std::ofstream(dir.file("short")) << "tooshort\n";
  EXPECT_TRUE(read_secret_file(dir.file("short"), error).empty());
  EXPECT_NE(error.find("at least 16 bytes"), std::string::npos);
  std::ofstream(dir.file("ok")) << "a-long-enough-secret-value\n\n";
  EXPECT_EQ(read_secret_file(dir.file("ok"), error), "a-long-enough-secret-value");
}

std::string run_capture(const std::string& command, int& status) {
  std::string out;
  FILE* p = popen(command.c_str(), "r");
  char buf[512];
  while (p && std::fgets(buf, sizeof buf, p)) out += buf;
  status = p ? pclose(p) : -1;
  return out;
}

TEST(TokenCommand, PrintsATokenTheServerSecretVerifies) {
  gradvy_test::TempDir dir;
  std::ofstream(dir.file("secret")) << kSecret << "\n";
  int status = 0;
  const std::string out = run_capture(std::string(GRADVY_SYNC_BINARY) + " token --user learner-7 --ttl 2h --secret-file " +
                                          dir.file("secret"),
                                      status);
  ASSERT_EQ(status, 0) << out;
  ASSERT_FALSE(out.empty());
  const std::string token = out.substr(0, out.find('\n'));
  const std::int64_t now = static_cast<std::int64_t>(std::time(nullptr));
  const TokenCheck check = verify_token(token, kSecret, now);
  ASSERT_TRUE(check.ok()) << check.message;
  EXPECT_EQ(check.claims.sub, "learner-7");
  EXPECT_NEAR(static_cast<double>(check.claims.exp), static_cast<double>(now + 7200), 5.0);
  EXPECT_EQ(verify_token(token, kSecret, now + 7201).error, TokenError::expired);

  run_capture(std::string(GRADVY_SYNC_BINARY) + " token --user 'a b' --secret-file " + dir.file("secret") + " 2>&1", status);
  EXPECT_NE(status, 0);
  run_capture(std::string(GRADVY_SYNC_BINARY) + " token --user u --ttl soon --secret-file " + dir.file("secret") + " 2>&1",
              status);
  EXPECT_NE(status, 0);
}

TEST(TokenOverHttp, ExpiredTamperedAndForeignTokensGet401WithJsonError) {
  gradvy_test::TempDir dir;
  gradvy_test::SyncServer server(dir, gradvy_test::ServerOptions{"sqlite:" + dir.file("auth.sqlite")});
  auto c = server.client();
  const std::string good = server.token("alice");
  ASSERT_EQ(c.Get("/v1/consent", gradvy_test::auth(good))->status, 200);

  struct Case {
    std::string token;
    std::string code;
    std::string message;
  };
  const std::string expired = make_token(server.secret(), "alice", static_cast<std::int64_t>(std::time(nullptr)) - 1);
  const std::string foreign = make_token("not-the-server-secret-at-all", "alice", static_cast<std::int64_t>(std::time(nullptr)) + 600);
  std::string tampered = good;
  tampered[2] = tampered[2] == 'x' ? 'y' : 'x';
  for (const Case& k : {Case{expired, "token_expired", "token expired"},
                        Case{foreign, "token_invalid_signature", "token signature does not match"},
                        Case{tampered, "token_invalid_signature", "token signature does not match"}}) {
    for (const char* path : {"/v1/consent", "/v1/me/export", "/v1/candidates"}) {
      auto r = c.Get(path, gradvy_test::auth(k.token));
      ASSERT_TRUE(r);
      EXPECT_EQ(r->status, 401) << path;
      const auto body = gradvy_test::body_json(r);
      EXPECT_EQ(body["error"]["code"], k.code) << path;
      EXPECT_EQ(body["error"]["message"], k.message) << path;
      EXPECT_EQ(r->get_header_value("WWW-Authenticate"), "Bearer");
    }
  }
}

}  // namespace
