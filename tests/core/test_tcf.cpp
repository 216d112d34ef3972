// TCF v2.2 TC strings: decoding (field by field, from strings this test builds
// bit by bit), real-world strings, malformed strings, the purpose mapping, and
// applying a string to ConsentState.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "gradvy/consent_state.hpp"
#include "gradvy/tcf_purpose_mapping.hpp"
#include "gradvy/tcf_string.hpp"

using namespace gradvy;

namespace {

// Writes fields MSB-first, then base64url-encodes without padding: the same
// steps a CMP takes, written independently of the decoder under test.
class BitWriter {
 public:
  void put(std::uint64_t value, int bits) {
    for (int i = bits - 1; i >= 0; --i) bits_.push_back(((value >> i) & 1u) ? '1' : '0');
  }
  void put_letters(const std::string& two) {
    put(static_cast<std::uint64_t>(two[0] - 'A'), 6);
    put(static_cast<std::uint64_t>(two[1] - 'A'), 6);
  }
  void put_numbered(const std::vector<int>& numbers, int bits) {  // bit for n at index n-1
    std::uint64_t v = 0;
    for (int n : numbers) v |= 1ull << (bits - n);
    put(v, bits);
  }
  std::size_t size() const { return bits_.size(); }

  // base64url of the first `keep` bits, padded with zeros to whole bytes (as
  // when bytes are encoded) and then to whole 6-bit characters.
  std::string base64url(std::size_t keep = std::string::npos) const {
    std::string b = bits_.substr(0, keep);
    while (b.size() % 8 != 0) b.push_back('0');
    while (b.size() % 6 != 0) b.push_back('0');
    static const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string out;
    for (std::size_t i = 0; i < b.size(); i += 6) out.push_back(alphabet[std::stoi(b.substr(i, 6), nullptr, 2)]);
    return out;
  }

 private:
  std::string bits_;
};

struct VendorSpec {
  std::uint16_t max_vendor_id = 0;
  bool range = false;
  std::vector<int> ids;                     // bitfield: ids with a 1
  std::vector<std::pair<int, int>> ranges;  // range encoding: first,last (first==last -> single)
};

struct RestrictionSpec {
  int purpose_id;
  int type;
  std::vector<std::pair<int, int>> ranges;
};

struct CoreSpec {
  int version = 2;
  std::int64_t created_ds = 17000000000;       // 2023-11-14T22:13:20Z
  std::int64_t last_updated_ds = 17000864000;  // one day later
  int cmp_id = 300;
  int cmp_version = 5;
  int consent_screen = 3;
  std::string consent_language = "FR";
  int vendor_list_version = 215;
  int tcf_policy_version = 4;
  bool is_service_specific = true;
  bool use_non_standard_texts = true;
  std::vector<int> special_features = {1, 12};
  std::vector<int> purposes_consent = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
  std::vector<int> purposes_li = {2, 7, 9, 10, 11};
  bool purpose_one_treatment = false;
  std::string publisher_cc = "DE";
  VendorSpec vendor_consents{12, false, {1, 5, 12}, {}};
  VendorSpec vendor_li{8, true, {}, {{2, 4}, {8, 8}}};
  std::vector<RestrictionSpec> restrictions = {{7, 1, {{32, 32}, {40, 45}}}};
};

void put_range_entries(BitWriter& w, const std::vector<std::pair<int, int>>& ranges) {
  w.put(ranges.size(), 12);
  for (const auto& [first, last] : ranges) {
    const bool is_range = first != last;
    w.put(is_range ? 1 : 0, 1);
    w.put(static_cast<std::uint64_t>(first), 16);
    if (is_range) w.put(static_cast<std::uint64_t>(last), 16);
  }
}

void put_vendor_section(BitWriter& w, const VendorSpec& v) {
  w.put(v.max_vendor_id, 16);
  w.put(v.range ? 1 : 0, 1);
  if (!v.range) {
    for (int id = 1; id <= v.max_vendor_id; ++id) {
      bool on = false;
      for (int x : v.ids) on = on || x == id;
      w.put(on ? 1 : 0, 1);
    }
  } else {
    put_range_entries(w, v.ranges);
  }
}

BitWriter core_bits(const CoreSpec& c) {
  BitWriter w;
  w.put(static_cast<std::uint64_t>(c.version), 6);
  w.put(static_cast<std::uint64_t>(c.created_ds), 36);
  w.put(static_cast<std::uint64_t>(c.last_updated_ds), 36);
  w.put(static_cast<std::uint64_t>(c.cmp_id), 12);
  w.put(static_cast<std::uint64_t>(c.cmp_version), 12);
  w.put(static_cast<std::uint64_t>(c.consent_screen), 6);
  w.put_letters(c.consent_language);
  w.put(static_cast<std::uint64_t>(c.vendor_list_version), 12);
  w.put(static_cast<std::uint64_t>(c.tcf_policy_version), 6);
  w.put(c.is_service_specific ? 1 : 0, 1);
  w.put(c.use_non_standard_texts ? 1 : 0, 1);
  w.put_numbered(c.special_features, 12);
  w.put_numbered(c.purposes_consent, 24);
  w.put_numbered(c.purposes_li, 24);
  w.put(c.purpose_one_treatment ? 1 : 0, 1);
  w.put_letters(c.publisher_cc);
  put_vendor_section(w, c.vendor_consents);
  put_vendor_section(w, c.vendor_li);
  w.put(c.restrictions.size(), 12);
  for (const auto& r : c.restrictions) {
    w.put(static_cast<std::uint64_t>(r.purpose_id), 6);
    w.put(static_cast<std::uint64_t>(r.type), 2);
    put_range_entries(w, r.ranges);
  }
  return w;
}

std::string encode(const CoreSpec& c) { return core_bits(c).base64url(); }

std::string publisher_segment(const std::vector<int>& consent, const std::vector<int>& li, int custom_count = 0,
                              std::uint64_t custom_consent = 0, std::uint64_t custom_li = 0) {
  BitWriter w;
  w.put(3, 3);
  w.put_numbered(consent, 24);
  w.put_numbered(li, 24);
  w.put(static_cast<std::uint64_t>(custom_count), 6);
  if (custom_count > 0) {
    w.put(custom_consent, custom_count);
    w.put(custom_li, custom_count);
  }
  return w.base64url();
}

std::string disclosed_vendors_segment() {
  BitWriter w;
  w.put(1, 3);   // SegmentType 1
  w.put(3, 16);  // MaxVendorId
  w.put(0, 1);   // bitfield
  w.put(0b101, 3);
  return w.base64url();
}

// Minimal core with only the given consent purposes (for mapping tests).
std::string core_with_purposes(std::vector<int> purposes, std::vector<int> li = {}, bool p1t = false) {
  CoreSpec c;
  c.purposes_consent = std::move(purposes);
  c.purposes_li = std::move(li);
  c.purpose_one_treatment = p1t;
  return encode(c);
}

std::vector<std::uint16_t> ids(std::initializer_list<int> list) {
  std::vector<std::uint16_t> out;
  for (int x : list) out.push_back(static_cast<std::uint16_t>(x));
  return out;
}

void expect_invalid(const std::string& tc, const std::string& message_part) {
  auto r = decode_tc_string(tc);
  ASSERT_FALSE(r.ok()) << "accepted: " << tc;
  EXPECT_EQ(r.code(), ErrorCode::invalid_tc_string);
  EXPECT_NE(r.message().find(message_part), std::string::npos)
      << "message '" << r.message() << "' lacks '" << message_part << "'";
}

constexpr std::int64_t kNow = 1717200000000;  // 2024-06-01

}  // namespace

// ---- decoding strings built field by field -----------------------------------

TEST(TcfDecode, DecodesEveryCoreFieldOfAStringBuiltBitByBit) {
  const CoreSpec spec;
  auto r = decode_tc_string(encode(spec));
  ASSERT_TRUE(r.ok()) << r.message();
  const DecodedTcString& d = *r;
  EXPECT_EQ(d.version, 2);
  EXPECT_EQ(d.created_ds, 17000000000);
  EXPECT_EQ(d.last_updated_ds, 17000864000);
  EXPECT_EQ(d.created_ms(), 1700000000000);
  EXPECT_EQ(d.cmp_id, 300);
  EXPECT_EQ(d.cmp_version, 5);
  EXPECT_EQ(d.consent_screen, 3);
  EXPECT_EQ(d.consent_language, "FR");
  EXPECT_EQ(d.vendor_list_version, 215);
  EXPECT_EQ(d.tcf_policy_version, 4);
  EXPECT_TRUE(d.is_service_specific);
  EXPECT_TRUE(d.use_non_standard_texts);
  for (int f = 1; f <= 12; ++f) EXPECT_EQ(d.special_feature_opt_in(f), f == 1 || f == 12) << "feature " << f;
  for (int p = 1; p <= 24; ++p) {
    EXPECT_EQ(d.purpose_consent(p), p <= 11) << "purpose " << p;
    EXPECT_EQ(d.purpose_li_transparency(p), p == 2 || p == 7 || p == 9 || p == 10 || p == 11) << "purpose " << p;
  }
  EXPECT_FALSE(d.purpose_consent(0));
  EXPECT_FALSE(d.purpose_consent(25));
  EXPECT_FALSE(d.purpose_one_treatment);
  EXPECT_EQ(d.publisher_cc, "DE");
  EXPECT_EQ(d.vendor_consents.max_vendor_id, 12);
  EXPECT_FALSE(d.vendor_consents.range_encoded);
  EXPECT_EQ(d.vendor_consents.vendor_ids, ids({1, 5, 12}));
  EXPECT_TRUE(d.vendor_consents.contains(5));
  EXPECT_FALSE(d.vendor_consents.contains(6));
  EXPECT_EQ(d.vendor_legitimate_interests.max_vendor_id, 8);
  EXPECT_TRUE(d.vendor_legitimate_interests.range_encoded);
  EXPECT_EQ(d.vendor_legitimate_interests.vendor_ids, ids({2, 3, 4, 8}));
  ASSERT_EQ(d.publisher_restrictions.size(), 1u);
  EXPECT_EQ(d.publisher_restrictions[0].purpose_id, 7);
  EXPECT_EQ(d.publisher_restrictions[0].restriction_type, 1);
  ASSERT_EQ(d.publisher_restrictions[0].vendors.size(), 2u);
  EXPECT_EQ(d.publisher_restrictions[0].vendors[0], (TcVendorRange{32, 32}));
  EXPECT_EQ(d.publisher_restrictions[0].vendors[1], (TcVendorRange{40, 45}));
  EXPECT_FALSE(d.publisher_purposes.has_value());
  EXPECT_EQ(d.other_segments, 0);
}

TEST(TcfDecode, DecodesBoundaryValuesOfEveryWidth) {
  CoreSpec spec;
  spec.created_ds = (1LL << 36) - 2;  // largest 36-bit values, LastUpdated >= Created
  spec.last_updated_ds = (1LL << 36) - 1;
  spec.cmp_id = 4095;
  spec.cmp_version = 4095;
  spec.consent_screen = 63;
  spec.consent_language = "ZZ";
  spec.vendor_list_version = 4095;
  spec.tcf_policy_version = 63;
  spec.is_service_specific = true;
  spec.use_non_standard_texts = false;
  spec.special_features = {};
  spec.purposes_consent = {24};
  spec.purposes_li = {1, 24};
  spec.purpose_one_treatment = true;
  spec.publisher_cc = "AA";
  spec.vendor_consents = {0, false, {}, {}};
  spec.vendor_li = {0, true, {}, {}};
  spec.restrictions = {};
  auto r = decode_tc_string(encode(spec));
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_EQ(r->created_ds, (1LL << 36) - 2);
  EXPECT_EQ(r->last_updated_ds, (1LL << 36) - 1);
  EXPECT_EQ(r->cmp_id, 4095);
  EXPECT_EQ(r->cmp_version, 4095);
  EXPECT_EQ(r->consent_screen, 63);
  EXPECT_EQ(r->consent_language, "ZZ");
  EXPECT_EQ(r->vendor_list_version, 4095);
  EXPECT_EQ(r->tcf_policy_version, 63);
  EXPECT_FALSE(r->use_non_standard_texts);
  EXPECT_EQ(r->special_feature_opt_ins, 0);
  EXPECT_EQ(r->purposes_consent, 1u << 23);
  EXPECT_EQ(r->purposes_li_transparency, (1u << 23) | 1u);
  EXPECT_TRUE(r->purpose_one_treatment);
  EXPECT_EQ(r->publisher_cc, "AA");
  EXPECT_EQ(r->vendor_consents.max_vendor_id, 0);
  EXPECT_TRUE(r->vendor_consents.vendor_ids.empty());
  EXPECT_TRUE(r->vendor_legitimate_interests.range_encoded);
  EXPECT_TRUE(r->publisher_restrictions.empty());
}

TEST(TcfDecode, RangeSectionsMayOverlapAndComeUnordered) {
  CoreSpec spec;
  spec.vendor_consents = {700, true, {}, {{600, 610}, {5, 5}, {605, 700}, {1, 3}}};
  auto r = decode_tc_string(encode(spec));
  ASSERT_TRUE(r.ok()) << r.message();
  std::vector<std::uint16_t> expected = ids({1, 2, 3, 5});
  for (int id = 600; id <= 700; ++id) expected.push_back(static_cast<std::uint16_t>(id));
  EXPECT_EQ(r->vendor_consents.vendor_ids, expected);
}

TEST(TcfDecode, LargeBitfieldAndFullRangeDecode) {
  CoreSpec spec;
  spec.vendor_consents = {1200, false, {1, 600, 1199, 1200}, {}};
  spec.vendor_li = {65535, true, {}, {{1, 65535}}};
  auto r = decode_tc_string(encode(spec));
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_EQ(r->vendor_consents.vendor_ids, ids({1, 600, 1199, 1200}));
  EXPECT_EQ(r->vendor_legitimate_interests.vendor_ids.size(), 65535u);
  EXPECT_TRUE(r->vendor_legitimate_interests.contains(65535));
}

TEST(TcfDecode, PublisherSegmentIsDecodedAndOtherSegmentsAreSkipped) {
  const std::string tc =
      encode(CoreSpec{}) + "." + disclosed_vendors_segment() + "." + publisher_segment({1, 5, 6}, {7}, 3, 0b101, 0b010);
  auto r = decode_tc_string(tc);
  ASSERT_TRUE(r.ok()) << r.message();
  ASSERT_TRUE(r->publisher_purposes.has_value());
  const auto& p = *r->publisher_purposes;
  for (int n = 1; n <= 24; ++n) EXPECT_EQ(p.purpose_consent(n), n == 1 || n == 5 || n == 6) << n;
  EXPECT_EQ(p.purposes_li_transparency, 1u << 6);
  EXPECT_EQ(p.num_custom_purposes, 3);
  EXPECT_EQ(p.custom_purposes_consent, 0b101u);          // custom purposes 1 and 3
  EXPECT_EQ(p.custom_purposes_li_transparency, 0b010u);  // custom purpose 2
  EXPECT_EQ(r->other_segments, 1);
}

TEST(TcfDecode, ToJsonNamesEveryField) {
  auto r = decode_tc_string(encode(CoreSpec{}) + "." + publisher_segment({1}, {}));
  ASSERT_TRUE(r.ok());
  const auto j = to_json(*r);
  EXPECT_EQ(j["cmp_id"], 300);
  EXPECT_EQ(j["consent_language"], "FR");
  EXPECT_EQ(j["purposes_consent"], nlohmann::json({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}));
  EXPECT_EQ(j["special_feature_opt_ins"], nlohmann::json({1, 12}));
  EXPECT_EQ(j["vendor_legitimate_interests"]["vendor_ids"], nlohmann::json({2, 3, 4, 8}));
  EXPECT_EQ(j["publisher_restrictions"][0]["vendor_ranges"][1], nlohmann::json({40, 45}));
  EXPECT_EQ(j["publisher_purposes"]["purposes_consent"], nlohmann::json({1}));
}

// ---- real-world strings ------------------------------------------------------
// Published test vectors of an independent decoder (GDPR::IAB::TCFv2, Perl);
// the expected values are the ones listed with them, re-checked by hand.

TEST(TcfDecode, RealWorldBitfieldString) {
  auto r = decode_tc_string("CLcVDxRMWfGmWAVAHCENAXCkAKDAADnAABRgA5mdfCKZuYJez-NQm0TBMYA4oCAAGQYIAAAAAAEAIAEgAA");
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_EQ(r->created_ds, 12286442577);       // 2008-12-07T10:04:17.7Z
  EXPECT_EQ(r->last_updated_ds, 13262154134);  // 2012-01-10T17:10:13.4Z
  EXPECT_EQ(r->cmp_id, 21);
  EXPECT_EQ(r->cmp_version, 7);
  EXPECT_EQ(r->consent_screen, 2);
  EXPECT_EQ(r->consent_language, "EN");
  EXPECT_EQ(r->vendor_list_version, 23);
  EXPECT_EQ(r->tcf_policy_version, 2);
  EXPECT_TRUE(r->is_service_specific);
  EXPECT_FALSE(r->use_non_standard_texts);
  EXPECT_FALSE(r->purpose_one_treatment);
  EXPECT_EQ(r->publisher_cc, "KM");
  for (int p = 1; p <= 24; ++p) {
    EXPECT_EQ(r->purpose_consent(p), p == 1 || p == 3 || p == 9 || p == 10) << p;
    EXPECT_EQ(r->purpose_li_transparency(p), p == 3 || p == 4 || p == 5 || p == 8 || p == 9 || p == 10) << p;
  }
  for (int f = 1; f <= 12; ++f) EXPECT_EQ(r->special_feature_opt_in(f), f == 2) << f;
  EXPECT_EQ(r->vendor_consents.max_vendor_id, 115);
  EXPECT_EQ(r->vendor_consents.vendor_ids,
            ids({2,  3,  6,  7,  8,  10, 12, 13, 14, 15, 16, 21, 25,  27,  30,  31,  34,  35, 37,
                 38, 39, 42, 43, 49, 52, 54, 55, 56, 57, 59, 60, 63,  64,  65,  66,  67,  68, 69,
                 73, 74, 76, 78, 83, 86, 87, 89, 90, 92, 96, 99, 100, 106, 109, 110, 114, 115}));
  EXPECT_EQ(r->vendor_legitimate_interests.max_vendor_id, 113);
  EXPECT_EQ(r->vendor_legitimate_interests.vendor_ids, ids({1, 9, 26, 27, 30, 36, 37, 43, 86, 97, 110, 113}));
  EXPECT_TRUE(r->publisher_restrictions.empty());
}

TEST(TcfDecode, RealWorldRangeString) {
  auto r = decode_tc_string("COyfVVoOyfVVoADACHENAwCAAAAAAAAAAAAAE5QBgALgAqgD8AQACSwEygJyAnSAMABgAFkAgQCDASeAmYBOgAA");
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_EQ(r->created_ds, 15879460200);  // 2020-04-27T00:07:00Z
  EXPECT_EQ(r->last_updated_ds, 15879460200);
  EXPECT_EQ(r->cmp_id, 3);
  EXPECT_EQ(r->cmp_version, 2);
  EXPECT_EQ(r->consent_screen, 7);
  EXPECT_EQ(r->vendor_list_version, 48);
  EXPECT_FALSE(r->is_service_specific);
  EXPECT_EQ(r->publisher_cc, "AA");
  EXPECT_EQ(r->purposes_consent, 0u);
  EXPECT_TRUE(r->vendor_consents.range_encoded);
  EXPECT_EQ(r->vendor_consents.max_vendor_id, 626);
  EXPECT_EQ(r->vendor_consents.vendor_ids, ids({23, 42, 126, 127, 128, 587, 613, 626}));
  EXPECT_EQ(r->vendor_legitimate_interests.max_vendor_id, 628);
  EXPECT_EQ(r->vendor_legitimate_interests.vendor_ids, ids({24, 44, 129, 130, 131, 591, 614, 628}));
}

TEST(TcfDecode, RealWorldStringWithPublisherRestriction) {
  auto r = decode_tc_string("COwAdDhOwAdDhN4ABAENAPCgAAQAAv___wAAAFP_AAp_4AI6ACACAA");
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_EQ(r->cmp_id, 888);
  ASSERT_EQ(r->publisher_restrictions.size(), 1u);
  EXPECT_EQ(r->publisher_restrictions[0].purpose_id, 7);
  EXPECT_EQ(r->publisher_restrictions[0].restriction_type, 1);  // require consent
  ASSERT_EQ(r->publisher_restrictions[0].vendors.size(), 1u);
  EXPECT_EQ(r->publisher_restrictions[0].vendors[0], (TcVendorRange{32, 32}));
}

TEST(TcfDecode, RealWorldStringWithPublisherSegment) {
  const std::string core = "CLcVDxRMWfGmWAVAHCENAXCkAKDAADnAABRgA5mdfCKZuYJez-NQm0TBMYA4oCAAGQYIAAAAAAEAIAEgAA";
  auto r = decode_tc_string(core + ".argAC0gAAAAAAAAAAAA");
  ASSERT_TRUE(r.ok()) << r.message();
  ASSERT_TRUE(r->publisher_purposes.has_value());
  for (int p = 1; p <= 24; ++p) {
    const bool expected = p == 2 || p == 4 || p == 6 || p == 8 || p == 9 || p == 10;
    EXPECT_EQ(r->publisher_purposes->purpose_consent(p), expected) << p;
  }
  auto custom = decode_tc_string(core + ".YAAAAAAAAXA");
  ASSERT_TRUE(custom.ok()) << custom.message();
  EXPECT_EQ(custom->publisher_purposes->num_custom_purposes, 2);
  EXPECT_EQ(custom->publisher_purposes->custom_purposes_consent, 0b11u);
  EXPECT_EQ(custom->publisher_purposes->custom_purposes_li_transparency, 0b01u);  // only custom purpose 1
}

// ---- malformed strings ---------------------------------------------------------

TEST(TcfDecode, RefusesEmptyAndNonBase64url) {
  const std::string good = encode(CoreSpec{});
  expect_invalid("", "empty");
  expect_invalid(good.substr(0, 10) + "+" + good.substr(11), "character 10: '+' is not a base64url character");
  expect_invalid(good.substr(0, 10) + "/" + good.substr(11), "'/' is not a base64url");
  expect_invalid(" " + good, "character 0: ' '");
  expect_invalid(good + "\n", "byte 0x0a");
  expect_invalid(good.substr(0, 5) + "\xc3\xa9" + good.substr(7), "byte 0xc3");
  expect_invalid(good + "==", "'=' padding is not allowed");
  expect_invalid(good + ".", "segment 2 is empty");
  expect_invalid("." + good, "segment 1 is empty");
  expect_invalid(good + "..AAAA", "segment 2 is empty");
  expect_invalid(std::string(kMaxTcStringLength + 1, 'C'), "the limit is 65536");
}

TEST(TcfDecode, RefusesImpossibleBase64Lengths) {
  const std::string good = encode(CoreSpec{});
  // n % 4 == 1 cannot come out of base64.
  expect_invalid(good.substr(0, 41), "segment 1: length 41 is not a possible base64 length");
  expect_invalid("C", "is not a possible base64 length");
}

TEST(TcfDecode, RefusesStringsTruncatedAtEveryLength) {
  // Where each field of the default CoreSpec ends, and the name the decoder
  // must give when the string stops inside it.
  const std::pair<const char*, std::size_t> fields[] = {
      {"Version", 6},
      {"Created", 42},
      {"LastUpdated", 78},
      {"CmpId", 90},
      {"CmpVersion", 102},
      {"ConsentScreen", 108},
      {"ConsentLanguage", 120},
      {"VendorListVersion", 132},
      {"TcfPolicyVersion", 138},
      {"IsServiceSpecific", 139},
      {"UseNonStandardTexts", 140},
      {"SpecialFeatureOptIns", 152},
      {"PurposesConsent", 176},
      {"PurposesLITransparency", 200},
      {"PurposeOneTreatment", 201},
      {"PublisherCC", 213},
      {"vendor consent section MaxVendorId", 229},
      {"vendor consent section IsRangeEncoding", 230},
      {"vendor consent section BitField", 242},
      {"vendor legitimate interest section MaxVendorId", 258},
      {"vendor legitimate interest section IsRangeEncoding", 259},
      {"vendor legitimate interest section NumEntries", 271},
      {"vendor legitimate interest section RangeEntry 1 IsARange", 272},
      {"vendor legitimate interest section RangeEntry 1 StartOrOnlyVendorId", 288},
      {"vendor legitimate interest section RangeEntry 1 EndVendorId", 304},
      {"vendor legitimate interest section RangeEntry 2 IsARange", 305},
      {"vendor legitimate interest section RangeEntry 2 StartOrOnlyVendorId", 321},
      {"NumPubRestrictions", 333},
      {"PubRestrictionEntry 1 PurposeId", 339},
      {"PubRestrictionEntry 1 RestrictionType", 341},
      {"PubRestrictionEntry 1 NumEntries", 353},
      {"PubRestrictionEntry 1 RangeEntry 1 IsARange", 354},
      {"PubRestrictionEntry 1 RangeEntry 1 StartOrOnlyVendorId", 370},
      {"PubRestrictionEntry 1 RangeEntry 2 IsARange", 371},
      {"PubRestrictionEntry 1 RangeEntry 2 StartOrOnlyVendorId", 387},
      {"PubRestrictionEntry 1 RangeEntry 2 EndVendorId", 403},
  };
  ASSERT_EQ(core_bits(CoreSpec{}).size(), 403u);
  const std::string good = encode(CoreSpec{});
  ASSERT_TRUE(decode_tc_string(good).ok());
  int checked = 0;
  for (std::size_t n = 1; n < good.size(); ++n) {
    const std::string cut = good.substr(0, n);
    if (n % 4 == 1) {
      expect_invalid(cut, "is not a possible base64 length");
      continue;
    }
    const std::size_t available = 6 * n;
    const char* expected = nullptr;
    for (const auto& [name, end] : fields) {
      if (end > available) {
        expected = name;
        break;
      }
    }
    ASSERT_NE(expected, nullptr) << n;
    expect_invalid(cut, expected);
    ++checked;
  }
  EXPECT_GT(checked, 40);
  expect_invalid("CAAA", "core segment ends inside Created: needs 42 bits, has 24");
}

TEST(TcfDecode, RefusesOtherVersions) {
  for (int version : {0, 1, 3, 63}) {
    CoreSpec spec;
    spec.version = version;
    expect_invalid(encode(spec), "Version: must be 2, got " + std::to_string(version));
  }
  // A real TCF v1 consent string.
  expect_invalid("BObdrPUOevsguAfDqFENCNAAAAAmeAAA", "Version: must be 2, got 1");
}

TEST(TcfDecode, RefusesImpossibleDatesAndLetters) {
  CoreSpec zero_created;
  zero_created.created_ds = 0;
  expect_invalid(encode(zero_created), "Created: must be a time after the Unix epoch");
  CoreSpec backwards;
  backwards.last_updated_ds = backwards.created_ds - 1;
  expect_invalid(encode(backwards), "LastUpdated: 16999999999 ds is before Created");

  // Letter values 26..63 are not A..Z; write the raw 6-bit values.
  BitWriter w;
  w.put(2, 6);
  w.put(17000000000, 36);
  w.put(17000000000, 36);
  w.put(1, 12);
  w.put(1, 12);
  w.put(1, 6);
  w.put(4, 6);
  w.put(30, 6);  // second language letter out of range
  for (int i = 0; i < 20; ++i) w.put(0, 12);
  expect_invalid(w.base64url(), "ConsentLanguage: letter value 30 is not A..Z");
}

TEST(TcfDecode, RefusesPurposeOneTreatmentOnGlobalStrings) {
  CoreSpec spec;
  spec.is_service_specific = false;
  spec.purpose_one_treatment = true;
  expect_invalid(encode(spec), "PurposeOneTreatment: must be 0 on a globally-scoped string");
}

TEST(TcfDecode, RefusesTruncatedBitfieldVendorSection) {
  CoreSpec spec;
  spec.vendor_consents = {500, false, {1, 2}, {}};
  const BitWriter bits = core_bits(spec);
  // Keep the header and 100 of the 500 bitfield bits.
  expect_invalid(bits.base64url(213 + 17 + 100), "vendor consent section BitField: needs 500 bits");
  // A MaxVendorId far beyond the string: the classic lying length.
  CoreSpec tiny;
  tiny.vendor_consents = {65535, false, {}, {}};
  expect_invalid(core_bits(tiny).base64url(213 + 17 + 64), "needs 65535 bits for MaxVendorId 65535");
}

TEST(TcfDecode, RefusesBadRanges) {
  CoreSpec zero;
  zero.vendor_consents = {10, true, {}, {{0, 3}}};
  expect_invalid(encode(zero), "vendor consent section RangeEntry 1: vendor id 0 does not exist");
  CoreSpec reversed;
  reversed.vendor_consents = {10, true, {}, {{2, 2}, {9, 4}}};
  expect_invalid(encode(reversed), "vendor consent section RangeEntry 2: range 9-4 ends before it starts");
  CoreSpec beyond;
  beyond.vendor_li = {10, true, {}, {{5, 11}}};
  expect_invalid(encode(beyond),
                 "vendor legitimate interest section RangeEntry 1: vendor id 11 is above MaxVendorId 10");
  CoreSpec beyond_single;
  beyond_single.vendor_consents = {0, true, {}, {{1, 1}}};
  expect_invalid(encode(beyond_single), "vendor id 1 is above MaxVendorId 0");
  CoreSpec truncated_entries;  // NumEntries says 3, the string holds 1
  truncated_entries.vendor_consents = {10, true, {}, {{1, 2}, {3, 3}, {5, 6}}};
  truncated_entries.vendor_li = {0, false, {}, {}};
  truncated_entries.restrictions = {};
  const BitWriter bits = core_bits(truncated_entries);
  expect_invalid(bits.base64url(213 + 17 + 12 + 33 + 5), "vendor consent section RangeEntry 2 StartOrOnlyVendorId");
}

TEST(TcfDecode, RefusesBadPublisherRestrictions) {
  CoreSpec type3;
  type3.restrictions = {{2, 3, {{1, 1}}}};
  expect_invalid(encode(type3), "PubRestrictionEntry 1: RestrictionType 3 is undefined");
  CoreSpec purpose0;
  purpose0.restrictions = {{1, 0, {}}, {0, 0, {}}};
  expect_invalid(encode(purpose0), "PubRestrictionEntry 2: PurposeId 0 is not 1..24");
  CoreSpec purpose25;
  purpose25.restrictions = {{25, 0, {}}};
  expect_invalid(encode(purpose25), "PurposeId 25 is not 1..24");
  CoreSpec bad_range;
  bad_range.restrictions = {{3, 0, {{7, 6}}}};
  expect_invalid(encode(bad_range), "PubRestrictionEntry 1 RangeEntry 1: range 7-6 ends before it starts");
}

TEST(TcfDecode, RefusesBadSegments) {
  const std::string core = encode(CoreSpec{});
  expect_invalid(core + "." + core, "segment 2: SegmentType 0 (core) may only be the first segment");
  expect_invalid(core + "." + publisher_segment({1}, {}) + "." + publisher_segment({2}, {}),
                 "segment 3: a second Publisher TC segment");
  const std::string pub = publisher_segment({1}, {}, 8, 0xFF, 0);
  expect_invalid(core + "." + pub.substr(0, 6), "segment 2 ends inside PubPurposesLITransparency");
  expect_invalid(core + "." + pub.substr(0, 10), "segment 2 ends inside CustomPurposesConsent");
  expect_invalid(core + ".A*AA", "character");
}

TEST(TcfDecode, NeverCrashesOnArbitraryInput) {
  // Every prefix and many single-character mutations of a valid string either
  // decode or fail cleanly; none may crash (ASan/UBSan builds check the rest).
  const std::string good = encode(CoreSpec{}) + "." + publisher_segment({1, 2}, {3}, 2, 1, 2);
  for (std::size_t n = 0; n <= good.size(); ++n) (void)decode_tc_string(good.substr(0, n));
  const std::string alphabet = "AZaz09-_.+=/";
  for (std::size_t i = 0; i < good.size(); ++i) {
    for (char c : alphabet) {
      std::string mutated = good;
      mutated[i] = c;
      auto r = decode_tc_string(mutated);
      if (!r.ok()) {
        EXPECT_EQ(r.code(), ErrorCode::invalid_tc_string);
      }
    }
  }
}

// ---- mapping to our purposes ---------------------------------------------------

TEST(TcfMapping, AllPurposesGrantAnalyticsPersonalizationMarketing) {
  auto d = decode_tc_string(core_with_purposes({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}));
  ASSERT_TRUE(d.ok());
  const ConsentDecisions m = tcf_consent_decisions(*d);
  EXPECT_EQ(m.decided, PurposeSet::only(Purpose::analytics).with(Purpose::personalization).with(Purpose::marketing));
  EXPECT_EQ(m.granted, m.decided);
  EXPECT_FALSE(m.decided.contains(Purpose::social_integration));
  EXPECT_FALSE(m.decided.contains(Purpose::external_enrichment));
  EXPECT_FALSE(m.decided.contains(Purpose::essential));
}

TEST(TcfMapping, EachRequiredTcfPurposeIsNecessary) {
  struct Row {
    Purpose purpose;
    std::vector<int> required;
  };
  const Row rows[] = {
      {Purpose::analytics, {1, 8, 9}}, {Purpose::personalization, {1, 5, 6}}, {Purpose::marketing, {1, 2, 3, 4}}};
  for (const auto& row : rows) {
    auto full = decode_tc_string(core_with_purposes(row.required));
    ASSERT_TRUE(full.ok());
    EXPECT_TRUE(tcf_consent_decisions(*full).granted.contains(row.purpose)) << to_string(row.purpose);
    for (int missing : row.required) {
      std::vector<int> without;
      for (int p : row.required) {
        if (p != missing) without.push_back(p);
      }
      auto d = decode_tc_string(core_with_purposes(without));
      ASSERT_TRUE(d.ok());
      const auto m = tcf_consent_decisions(*d);
      EXPECT_TRUE(m.decided.contains(row.purpose));
      EXPECT_FALSE(m.granted.contains(row.purpose)) << to_string(row.purpose) << " without TCF purpose " << missing;
    }
  }
}

TEST(TcfMapping, PurposesOutsideTheMappingGrantNothing) {
  // 7 (ad measurement), 10 (develop services), 11 (limited data for content)
  // and every LI bit grant none of our purposes.
  std::vector<int> all_li;
  for (int p = 1; p <= 24; ++p) all_li.push_back(p);
  auto d = decode_tc_string(core_with_purposes({1, 7, 10, 11}, all_li));
  ASSERT_TRUE(d.ok());
  const auto m = tcf_consent_decisions(*d);
  EXPECT_EQ(m.granted.bits(), 0);
  EXPECT_EQ(m.decided, PurposeSet::only(Purpose::analytics).with(Purpose::personalization).with(Purpose::marketing));
}

TEST(TcfMapping, PurposeOneTreatmentLiftsTheStorageRequirement) {
  auto without_p1 = decode_tc_string(core_with_purposes({5, 6, 8, 9}));
  ASSERT_TRUE(without_p1.ok());
  EXPECT_EQ(tcf_consent_decisions(*without_p1).granted.bits(), 0);
  auto treated = decode_tc_string(core_with_purposes({5, 6, 8, 9}, {}, /*p1t=*/true));
  ASSERT_TRUE(treated.ok());
  EXPECT_EQ(tcf_consent_decisions(*treated).granted,
            PurposeSet::only(Purpose::analytics).with(Purpose::personalization));
}

TEST(TcfMapping, PublisherSegmentWinsOverCorePurposes) {
  // Core says yes to everything, the publisher's own segment only to 1, 5, 6.
  auto d = decode_tc_string(core_with_purposes({1, 2, 3, 4, 5, 6, 7, 8, 9, 10}) + "." +
                            publisher_segment({1, 5, 6}, {2, 3, 4, 8, 9}));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(tcf_consent_decisions(*d).granted, PurposeSet::only(Purpose::personalization));
}

// ---- applying to ConsentState --------------------------------------------------

TEST(TcfApply, GrantsAndWithdrawsThroughTheMapping) {
  ConsentState state;
  auto first = state.apply_tc_string(core_with_purposes({1, 5, 6, 8, 9}), "policy-3", kNow);
  ASSERT_TRUE(first.ok()) << first.message();
  EXPECT_EQ(first->granted, PurposeSet::only(Purpose::analytics).with(Purpose::personalization));
  EXPECT_EQ(state.granted(),
            PurposeSet::only(Purpose::essential).with(Purpose::analytics).with(Purpose::personalization));
  ASSERT_EQ(state.history().size(), 3u);  // analytics, personalization granted; marketing explicitly denied
  for (const auto& r : state.history()) {
    EXPECT_EQ(r.source, "tcf");
    EXPECT_EQ(r.policy_version, "policy-3");
    EXPECT_EQ(r.at, kNow);
  }
  EXPECT_EQ(state.history()[2].purpose, Purpose::marketing);
  EXPECT_FALSE(state.history()[2].granted);

  auto second = state.apply_tc_string(core_with_purposes({1, 8, 9}), "policy-3", kNow + 1000);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->withdrawn, PurposeSet::only(Purpose::personalization));
  EXPECT_EQ(second->records_added, 1u);
  EXPECT_FALSE(state.is_granted(Purpose::personalization));
}

TEST(TcfApply, SameStringAgainAddsNoRecords) {
  ConsentState state;
  const std::string tc = core_with_purposes({1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
  ASSERT_TRUE(state.apply_tc_string(tc, "p1", kNow).ok());
  const auto before = state.history().size();
  auto again = state.apply_tc_string(tc, "p1", kNow + 60000);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->records_added, 0u);
  EXPECT_FALSE(again->changed());
  EXPECT_EQ(state.history().size(), before);
}

TEST(TcfApply, MalformedStringsNeverGrantAndLeaveStateUnchanged) {
  ConsentState state;
  ASSERT_TRUE(state.set_purpose(Purpose::personalization, true, "p1", kNow).ok());
  const auto snapshot = state.to_json();
  const BitWriter bits = core_bits(CoreSpec{});
  CoreSpec v1;
  v1.version = 1;
  const std::string bad_strings[] = {"",
                                     "!!!!",
                                     bits.base64url(150),
                                     bits.base64url(230),
                                     encode(v1),
                                     encode(CoreSpec{}) + ".",
                                     "BObdrPUOevsguAfDqFENCNAAAAAmeAAA"};
  for (const auto& tc : bad_strings) {
    auto r = state.apply_tc_string(tc, "p1", kNow);
    EXPECT_FALSE(r.ok()) << tc;
    EXPECT_EQ(r.code(), ErrorCode::invalid_tc_string) << tc;
    EXPECT_EQ(state.to_json(), snapshot) << tc;
  }
}

TEST(TcfApply, RefusesStringsDatedInTheFuture) {
  ConsentState state;
  CoreSpec spec;  // created 2023-11-14
  const std::int64_t created_ms = spec.created_ds * 100;
  auto r = state.apply_tc_string(encode(spec), "p1", created_ms - 2 * 86400000LL);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.code(), ErrorCode::invalid_tc_string);
  EXPECT_NE(r.message().find("Created"), std::string::npos) << r.message();
  EXPECT_TRUE(state.history().empty());
  // LastUpdated (one day after Created) is checked too; within a day of skew is fine.
  auto updated = state.apply_tc_string(encode(spec), "p1", created_ms);
  ASSERT_TRUE(updated.ok()) << updated.message();
}

TEST(TcfApply, RefusesBadPolicyVersionOrClockWithoutChange) {
  ConsentState state;
  const std::string tc = core_with_purposes({1, 8, 9});
  EXPECT_EQ(state.apply_tc_string(tc, "", kNow).code(), ErrorCode::invalid_consent);
  EXPECT_EQ(state.apply_tc_string(tc, "p1", -5).code(), ErrorCode::invalid_argument);
  EXPECT_TRUE(state.history().empty());
  EXPECT_EQ(state.granted(), PurposeSet::only(Purpose::essential));
}

TEST(TcfApply, RealWorldStringWithdrawsWhatItDoesNotGrant) {
  ConsentState state;
  ASSERT_TRUE(state
                  .set_purposes(ConsentDecisions{}
                                    .set(Purpose::analytics, true)
                                    .set(Purpose::marketing, true)
                                    .set(Purpose::social_integration, true),
                                "p1", kNow)
                  .ok());
  // Consents to TCF purposes 1, 3, 9, 10 only: none of our mapped purposes qualify.
  auto r = state.apply_tc_string("CLcVDxRMWfGmWAVAHCENAXCkAKDAADnAABRgA5mdfCKZuYJez-NQm0TBMYA4oCAAGQYIAAAAAAEAIAEgAA",
                                 "p1", kNow);
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_EQ(r->withdrawn, PurposeSet::only(Purpose::analytics).with(Purpose::marketing));
  EXPECT_TRUE(state.is_granted(Purpose::social_integration));  // TCF cannot speak for it
}
