// ConsentRecord JSON: the one definition the device history and the sync
// server's PUT /v1/consent share.
#include <gtest/gtest.h>

#include <string>

#include "gradvy/consent_record.hpp"

using namespace gradvy;
using nlohmann::json;

namespace {

json good_record() {
  return json{{"purpose", "analytics"},
              {"granted", true},
              {"at", 1714000000000LL},
              {"source", "app"},
              {"policy_version", "2024-05"}};
}

void expect_refused(const json& value, const std::string& message_start) {
  auto r = consent_record_from_json(value);
  ASSERT_FALSE(r.ok()) << value.dump();
  EXPECT_EQ(r.code(), ErrorCode::invalid_consent);
  EXPECT_EQ(r.message().rfind(message_start, 0), 0u)
      << "message '" << r.message() << "' does not start with '" << message_start << "'";
}

}  // namespace

TEST(ConsentRecord, RoundTripsThroughJson) {
  const ConsentRecord record{Purpose::external_enrichment, false, 1714000000123LL, "consent_mode", "v7 (EU)"};
  const json j = to_json(record);
  EXPECT_EQ(j, (json{{"purpose", "external_enrichment"},
                     {"granted", false},
                     {"at", 1714000000123LL},
                     {"source", "consent_mode"},
                     {"policy_version", "v7 (EU)"}}));
  auto back = consent_record_from_json(j);
  ASSERT_TRUE(back.ok()) << back.message();
  EXPECT_EQ(*back, record);
  // And through text, as the server would receive it.
  auto reparsed = consent_record_from_json(json::parse(j.dump()));
  ASSERT_TRUE(reparsed.ok());
  EXPECT_EQ(*reparsed, record);
}

TEST(ConsentRecord, AcceptsEverySourceAndPurpose) {
  for (const char* source : {"app", "tcf", "consent_mode", "gpc"}) {
    json j = good_record();
    j["source"] = source;
    EXPECT_TRUE(consent_record_from_json(j).ok()) << source;
  }
  for (int i = 0; i < kPurposeCount; ++i) {
    json j = good_record();
    j["purpose"] = std::string(to_string(static_cast<Purpose>(i)));
    EXPECT_TRUE(consent_record_from_json(j).ok()) << i;
  }
}

TEST(ConsentRecord, EveryFieldIsRequired) {
  for (const char* field : {"purpose", "granted", "at", "source", "policy_version"}) {
    json j = good_record();
    j.erase(field);
    expect_refused(j, std::string(field) + ": required");
  }
}

TEST(ConsentRecord, RefusesWrongTypesAndValues) {
  expect_refused(json::array(), "record: must be an object");
  expect_refused("analytics", "record: must be an object");

  json j = good_record();
  j["purpose"] = 1;
  expect_refused(j, "purpose: must be a string");
  j["purpose"] = "Analytics";
  expect_refused(j, "purpose: unknown purpose 'Analytics'");

  j = good_record();
  j["granted"] = "true";
  expect_refused(j, "granted: must be true or false");
  j["granted"] = 1;
  expect_refused(j, "granted: must be true or false");

  j = good_record();
  for (const json& bad_at :
       {json(-1), json(1.5), json("1714000000000"), json(nullptr), json(18446744073709551615ull)}) {
    j["at"] = bad_at;
    expect_refused(j, "at: must be an integer number of milliseconds >= 0");
  }
  j["at"] = 0;
  EXPECT_TRUE(consent_record_from_json(j).ok());

  j = good_record();
  j["source"] = "restore";
  expect_refused(j, "source: must be one of app, tcf, consent_mode, gpc; got 'restore'");
  j["source"] = true;
  expect_refused(j, "source: must be a string");

  j = good_record();
  j["extra"] = 1;
  expect_refused(j, "extra: unknown field");
}

TEST(ConsentRecord, EssentialCanNeverBeRecordedAsWithdrawn) {
  json j = good_record();
  j["purpose"] = "essential";
  j["granted"] = false;
  expect_refused(j, "granted: essential cannot be withdrawn");
  j["granted"] = true;
  EXPECT_TRUE(consent_record_from_json(j).ok());
}

TEST(ConsentRecord, PolicyVersionRules) {
  json j = good_record();
  j["policy_version"] = "";
  expect_refused(j, "policy_version: must not be empty");
  j["policy_version"] = std::string(kMaxPolicyVersionLength + 1, 'v');
  expect_refused(j, "policy_version: must be at most 128 characters, got 129");
  j["policy_version"] = std::string(kMaxPolicyVersionLength, 'v');
  EXPECT_TRUE(consent_record_from_json(j).ok());
  j["policy_version"] = "v1\n";
  expect_refused(j, "policy_version: must be printable ASCII");
  j["policy_version"] = 3;
  expect_refused(j, "policy_version: must be a string");
  EXPECT_TRUE(validate_policy_version("https://example.com/privacy#2024-05").ok());
}

TEST(ConsentRecord, ListsNameTheIndexOfTheBadRecord) {
  json list = json::array({good_record(), good_record(), good_record()});
  list[2]["source"] = "server";
  auto r = consent_records_from_json(list);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.code(), ErrorCode::invalid_consent);
  EXPECT_EQ(r.message().rfind("[2].source: ", 0), 0u) << r.message();

  list[2]["source"] = "gpc";
  auto ok = consent_records_from_json(list);
  ASSERT_TRUE(ok.ok()) << ok.message();
  ASSERT_EQ(ok->size(), 3u);
  EXPECT_EQ(consent_records_to_json(*ok), list);
  EXPECT_FALSE(consent_records_from_json(good_record()).ok());
  EXPECT_TRUE(consent_records_from_json(json::array()).ok());
}

TEST(ConsentRecord, PurposeSetsTravelAsNameArrays) {
  const PurposeSet set = PurposeSet::only(Purpose::marketing).with(Purpose::essential);
  EXPECT_EQ(purpose_set_to_json(set), json({"essential", "marketing"}));
  auto back = purpose_set_from_json(json({"marketing", "essential"}), "granted");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, set);

  auto dup = purpose_set_from_json(json({"marketing", "marketing"}), "granted");
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.message(), "granted[1]: duplicate purpose 'marketing'");
  auto unknown = purpose_set_from_json(json({"ads"}), "gpc_blocked");
  EXPECT_EQ(unknown.message(), "gpc_blocked[0]: unknown purpose 'ads'");
  EXPECT_FALSE(purpose_set_from_json(json("essential"), "granted").ok());
  EXPECT_FALSE(purpose_set_from_json(json({1}), "granted").ok());
}

TEST(ConsentRecord, EchoedInputInMessagesIsShortPrintableAscii) {
  json j = good_record();
  j["purpose"] = std::string("ad\xff\x01") + std::string(100, 'x');
  auto r = consent_record_from_json(j);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.message(), "purpose: unknown purpose 'ad??" + std::string(36, 'x') + "...'");
  // The message can always be serialised (the wasm layer sends it to JS as JSON).
  EXPECT_NO_THROW((void)json(r.message()).dump());
}
