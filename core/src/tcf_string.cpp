#include "gradvy/tcf_string.hpp"

#include <algorithm>
#include <array>

#include "gradvy/sort_order.hpp"

namespace gradvy {

namespace {

using json = nlohmann::json;

Status bad(std::string message) { return Status(ErrorCode::invalid_tc_string, "TC string: " + std::move(message)); }

// base64url alphabet value of a character, or -1.
int base64url_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

std::string printable(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u >= 0x20 && u < 0x7F) return std::string("'") + c + "'";
  static const char* hex = "0123456789abcdef";
  return std::string("byte 0x") + hex[u >> 4] + hex[u & 0xF];
}

// One segment's bits, read MSB-first straight from the 6-bit base64 values:
// TCF fields are a bit stream, so there is no need to go through bytes.
class BitReader {
 public:
  BitReader(std::vector<std::uint8_t> sextets, std::string segment_name)
      : sextets_(std::move(sextets)), total_(sextets_.size() * 6), segment_(std::move(segment_name)) {}

  std::size_t remaining() const { return total_ - pos_; }
  std::size_t position() const { return pos_; }

  // Reads `bits` (<= 64) into `out`, or fails naming the field it ran out in.
  bool read(int bits, const char* field, std::uint64_t& out) {
    if (static_cast<std::size_t>(bits) > remaining()) {
      failure_ = bad(segment_ + " ends inside " + field + ": needs " + std::to_string(pos_ + bits) + " bits, has " +
                     std::to_string(total_));
      return false;
    }
    std::uint64_t v = 0;
    for (int i = 0; i < bits; ++i, ++pos_) {
      const unsigned bit = (sextets_[pos_ / 6] >> (5 - pos_ % 6)) & 1u;
      v = (v << 1) | bit;
    }
    out = v;
    return true;
  }
  bool read_bool(const char* field, bool& out) {
    std::uint64_t v = 0;
    if (!read(1, field, v)) return false;
    out = v != 0;
    return true;
  }

  const Status& failure() const { return failure_; }
  void fail(std::string message) { failure_ = bad(segment_ + ": " + std::move(message)); }
  const std::string& segment() const { return segment_; }

 private:
  std::vector<std::uint8_t> sextets_;
  std::size_t total_;
  std::size_t pos_ = 0;
  std::string segment_;
  Status failure_;
};

// Two 6-bit letters, A=0 .. Z=25.
bool read_letters(BitReader& r, const char* field, std::string& out) {
  out.clear();
  for (int i = 0; i < 2; ++i) {
    std::uint64_t v = 0;
    if (!r.read(6, field, v)) return false;
    if (v > 25) {
      r.fail(std::string(field) + ": letter value " + std::to_string(v) + " is not A..Z");
      return false;
    }
    out.push_back(static_cast<char>('A' + v));
  }
  return true;
}

constexpr long kNoUpperBound = -1;  // publisher restriction ranges have no MaxVendorId

bool read_range_entry(BitReader& r, const std::string& where, long max_id, TcVendorRange& out) {
  bool is_range = false;
  std::uint64_t first = 0, last = 0;
  if (!r.read_bool((where + " IsARange").c_str(), is_range)) return false;
  if (!r.read(16, (where + " StartOrOnlyVendorId").c_str(), first)) return false;
  last = first;
  if (is_range && !r.read(16, (where + " EndVendorId").c_str(), last)) return false;
  if (first == 0) {
    r.fail(where + ": vendor id 0 does not exist (ids start at 1)");
    return false;
  }
  if (last < first) {
    r.fail(where + ": range " + std::to_string(first) + "-" + std::to_string(last) + " ends before it starts");
    return false;
  }
  if (max_id != kNoUpperBound && static_cast<long>(last) > max_id) {
    r.fail(where + ": vendor id " + std::to_string(last) + " is above MaxVendorId " + std::to_string(max_id));
    return false;
  }
  out.first = static_cast<std::uint16_t>(first);
  out.last = static_cast<std::uint16_t>(last);
  return true;
}

bool read_vendor_section(BitReader& r, const std::string& section, TcVendorSection& out) {
  std::uint64_t max_id = 0;
  if (!r.read(16, (section + " MaxVendorId").c_str(), max_id)) return false;
  if (!r.read_bool((section + " IsRangeEncoding").c_str(), out.range_encoded)) return false;
  out.max_vendor_id = static_cast<std::uint16_t>(max_id);
  out.vendor_ids.clear();
  if (!out.range_encoded) {
    if (r.remaining() < max_id) {
      r.fail(section + " BitField: needs " + std::to_string(max_id) + " bits for MaxVendorId " +
             std::to_string(max_id) + ", only " + std::to_string(r.remaining()) + " remain");
      return false;
    }
    for (std::uint64_t id = 1; id <= max_id; ++id) {
      std::uint64_t bit = 0;
      r.read(1, "BitField", bit);  // length checked above
      if (bit) out.vendor_ids.push_back(static_cast<std::uint16_t>(id));
    }
    return true;
  }
  std::uint64_t entries = 0;
  if (!r.read(12, (section + " NumEntries").c_str(), entries)) return false;
  // Ranges may overlap or come unordered: sort and merge them so the ids come
  // out ascending and unique, in time bounded by entries + MaxVendorId rather
  // than by the (possibly huge, overlapping) sum of range lengths.
  std::vector<TcVendorRange> ranges;
  ranges.reserve(static_cast<std::size_t>(entries));
  for (std::uint64_t i = 0; i < entries; ++i) {
    TcVendorRange range;
    if (!read_range_entry(r, section + " RangeEntry " + std::to_string(i + 1), out.max_vendor_id, range)) {
      return false;
    }
    ranges.push_back(range);
  }
  sort_stable(ranges, [](const TcVendorRange& a, const TcVendorRange& b) { return a.first < b.first; });
  std::uint32_t next = 1;  // lowest id not yet emitted
  for (const auto& range : ranges) {
    for (std::uint32_t id = std::max<std::uint32_t>(next, range.first); id <= range.last; ++id) {
      out.vendor_ids.push_back(static_cast<std::uint16_t>(id));
    }
    next = std::max<std::uint32_t>(next, static_cast<std::uint32_t>(range.last) + 1);
  }
  return true;
}

bool read_publisher_restrictions(BitReader& r, std::vector<TcPublisherRestriction>& out) {
  std::uint64_t count = 0;
  if (!r.read(12, "NumPubRestrictions", count)) return false;
  for (std::uint64_t i = 0; i < count; ++i) {
    const std::string where = "PubRestrictionEntry " + std::to_string(i + 1);
    TcPublisherRestriction restriction;
    std::uint64_t purpose = 0, type = 0, entries = 0;
    if (!r.read(6, (where + " PurposeId").c_str(), purpose)) return false;
    if (!r.read(2, (where + " RestrictionType").c_str(), type)) return false;
    if (purpose < 1 || purpose > 24) {
      r.fail(where + ": PurposeId " + std::to_string(purpose) + " is not 1..24");
      return false;
    }
    if (type == 3) {
      r.fail(where + ": RestrictionType 3 is undefined");
      return false;
    }
    if (!r.read(12, (where + " NumEntries").c_str(), entries)) return false;
    restriction.purpose_id = static_cast<int>(purpose);
    restriction.restriction_type = static_cast<int>(type);
    for (std::uint64_t e = 0; e < entries; ++e) {
      TcVendorRange range;
      if (!read_range_entry(r, where + " RangeEntry " + std::to_string(e + 1), kNoUpperBound, range)) {
        return false;
      }
      restriction.vendors.push_back(range);
    }
    out.push_back(std::move(restriction));
  }
  return true;
}

Status decode_core(BitReader& r, DecodedTcString& d) {
  std::uint64_t v = 0;
  if (!r.read(6, "Version", v)) return r.failure();
  if (v != 2) return bad("Version: must be 2, got " + std::to_string(v));
  d.version = 2;
  if (!r.read(36, "Created", v)) return r.failure();
  d.created_ds = static_cast<std::int64_t>(v);
  if (!r.read(36, "LastUpdated", v)) return r.failure();
  d.last_updated_ds = static_cast<std::int64_t>(v);
  if (d.created_ds == 0) return bad("Created: must be a time after the Unix epoch, got 0");
  if (d.last_updated_ds == 0) return bad("LastUpdated: must be a time after the Unix epoch, got 0");
  if (d.last_updated_ds < d.created_ds) {
    return bad("LastUpdated: " + std::to_string(d.last_updated_ds) + " ds is before Created " +
               std::to_string(d.created_ds) + " ds");
  }
  if (!r.read(12, "CmpId", v)) return r.failure();
  d.cmp_id = static_cast<int>(v);
  if (!r.read(12, "CmpVersion", v)) return r.failure();
  d.cmp_version = static_cast<int>(v);
  if (!r.read(6, "ConsentScreen", v)) return r.failure();
  d.consent_screen = static_cast<int>(v);
  if (!read_letters(r, "ConsentLanguage", d.consent_language)) return r.failure();
  if (!r.read(12, "VendorListVersion", v)) return r.failure();
  d.vendor_list_version = static_cast<int>(v);
  if (!r.read(6, "TcfPolicyVersion", v)) return r.failure();
  d.tcf_policy_version = static_cast<int>(v);
  if (!r.read_bool("IsServiceSpecific", d.is_service_specific)) return r.failure();
  if (!r.read_bool("UseNonStandardTexts", d.use_non_standard_texts)) return r.failure();
  if (!r.read(12, "SpecialFeatureOptIns", v)) return r.failure();
  // Stored LSB = feature 1, so callers test bit (n-1); the wire order is MSB = feature 1.
  for (int i = 0; i < 12; ++i) {
    if (v & (1ull << (11 - i))) d.special_feature_opt_ins |= static_cast<std::uint16_t>(1u << i);
  }
  auto reverse24 = [](std::uint64_t wire) {
    std::uint32_t out = 0;
    for (int i = 0; i < 24; ++i) {
      if (wire & (1ull << (23 - i))) out |= 1u << i;
    }
    return out;
  };
  if (!r.read(24, "PurposesConsent", v)) return r.failure();
  d.purposes_consent = reverse24(v);
  if (!r.read(24, "PurposesLITransparency", v)) return r.failure();
  d.purposes_li_transparency = reverse24(v);
  if (!r.read_bool("PurposeOneTreatment", d.purpose_one_treatment)) return r.failure();
  if (!read_letters(r, "PublisherCC", d.publisher_cc)) return r.failure();
  if (d.purpose_one_treatment && !d.is_service_specific) {
    return bad("PurposeOneTreatment: must be 0 on a globally-scoped string (IsServiceSpecific=0)");
  }
  if (!read_vendor_section(r, "vendor consent section", d.vendor_consents)) return r.failure();
  if (!read_vendor_section(r, "vendor legitimate interest section", d.vendor_legitimate_interests)) {
    return r.failure();
  }
  if (!read_publisher_restrictions(r, d.publisher_restrictions)) return r.failure();
  return Status();
}

Status decode_publisher_purposes(BitReader& r, TcPublisherPurposes& p) {
  std::uint64_t v = 0;
  auto reverse = [](std::uint64_t wire, int bits) {
    std::uint64_t out = 0;
    for (int i = 0; i < bits; ++i) {
      if (wire & (1ull << (bits - 1 - i))) out |= 1ull << i;
    }
    return out;
  };
  if (!r.read(24, "PubPurposesConsent", v)) return r.failure();
  p.purposes_consent = static_cast<std::uint32_t>(reverse(v, 24));
  if (!r.read(24, "PubPurposesLITransparency", v)) return r.failure();
  p.purposes_li_transparency = static_cast<std::uint32_t>(reverse(v, 24));
  if (!r.read(6, "NumCustomPurposes", v)) return r.failure();
  p.num_custom_purposes = static_cast<int>(v);
  if (p.num_custom_purposes > 0) {
    if (!r.read(p.num_custom_purposes, "CustomPurposesConsent", v)) return r.failure();
    p.custom_purposes_consent = reverse(v, p.num_custom_purposes);
    if (!r.read(p.num_custom_purposes, "CustomPurposesLITransparency", v)) return r.failure();
    p.custom_purposes_li_transparency = reverse(v, p.num_custom_purposes);
  }
  return Status();
}

bool bit_for(std::uint64_t bits, int n, int max) { return n >= 1 && n <= max && ((bits >> (n - 1)) & 1u); }

json vendor_section_json(const TcVendorSection& s) {
  return json{{"max_vendor_id", s.max_vendor_id}, {"is_range_encoding", s.range_encoded}, {"vendor_ids", s.vendor_ids}};
}

json numbered_bits(std::uint64_t bits, int count) {
  json out = json::array();
  for (int n = 1; n <= count; ++n) {
    if (bit_for(bits, n, count)) out.push_back(n);
  }
  return out;
}

}  // namespace

bool TcVendorSection::contains(std::uint16_t vendor_id) const {
  return std::binary_search(vendor_ids.begin(), vendor_ids.end(), vendor_id);
}

bool TcPublisherPurposes::purpose_consent(int purpose) const { return bit_for(purposes_consent, purpose, 24); }
bool DecodedTcString::purpose_consent(int purpose) const { return bit_for(purposes_consent, purpose, 24); }
bool DecodedTcString::purpose_li_transparency(int purpose) const {
  return bit_for(purposes_li_transparency, purpose, 24);
}
bool DecodedTcString::special_feature_opt_in(int feature) const {
  return bit_for(special_feature_opt_ins, feature, 12);
}

Result<DecodedTcString> decode_tc_string(std::string_view tc) {
  if (tc.empty()) return bad("must not be empty");
  if (tc.size() > kMaxTcStringLength) {
    return bad("is " + std::to_string(tc.size()) + " characters; the limit is " + std::to_string(kMaxTcStringLength));
  }
  // Split on '.', turning each segment into its 6-bit values.
  std::vector<std::vector<std::uint8_t>> segments(1);
  std::size_t segment_start = 0;
  for (std::size_t i = 0; i <= tc.size(); ++i) {
    const bool at_end = i == tc.size();
    if (at_end || tc[i] == '.') {
      const std::size_t length = i - segment_start;
      const std::string name = "segment " + std::to_string(segments.size());
      if (length == 0) return bad(name + " is empty");
      if (length % 4 == 1) return bad(name + ": length " + std::to_string(length) + " is not a possible base64 length");
      if (!at_end) {
        segments.emplace_back();
        segment_start = i + 1;
      }
      continue;
    }
    const int value = base64url_value(tc[i]);
    if (value < 0) {
      if (tc[i] == '=')
        return bad("character " + std::to_string(i) + ": '=' padding is not allowed (base64url without padding)");
      return bad("character " + std::to_string(i) + ": " + printable(tc[i]) + " is not a base64url character");
    }
    segments.back().push_back(static_cast<std::uint8_t>(value));
  }

  DecodedTcString decoded;
  BitReader core(std::move(segments[0]), "core segment");
  if (Status s = decode_core(core, decoded); !s.ok()) return s;

  for (std::size_t i = 1; i < segments.size(); ++i) {
    BitReader r(std::move(segments[i]), "segment " + std::to_string(i + 1));
    std::uint64_t type = 0;
    if (!r.read(3, "SegmentType", type)) return r.failure();
    if (type == 0) return bad(r.segment() + ": SegmentType 0 (core) may only be the first segment");
    if (type != 3) {
      ++decoded.other_segments;  // vendor disclosure segments do not bear on our purposes
      continue;
    }
    if (decoded.publisher_purposes) return bad(r.segment() + ": a second Publisher TC segment");
    TcPublisherPurposes purposes;
    if (Status s = decode_publisher_purposes(r, purposes); !s.ok()) return s;
    decoded.publisher_purposes = purposes;
  }
  return decoded;
}

json to_json(const DecodedTcString& d) {
  json out = json::object();
  out["version"] = d.version;
  out["created_ds"] = d.created_ds;
  out["last_updated_ds"] = d.last_updated_ds;
  out["cmp_id"] = d.cmp_id;
  out["cmp_version"] = d.cmp_version;
  out["consent_screen"] = d.consent_screen;
  out["consent_language"] = d.consent_language;
  out["vendor_list_version"] = d.vendor_list_version;
  out["tcf_policy_version"] = d.tcf_policy_version;
  out["is_service_specific"] = d.is_service_specific;
  out["use_non_standard_texts"] = d.use_non_standard_texts;
  out["special_feature_opt_ins"] = numbered_bits(d.special_feature_opt_ins, 12);
  out["purposes_consent"] = numbered_bits(d.purposes_consent, 24);
  out["purposes_li_transparency"] = numbered_bits(d.purposes_li_transparency, 24);
  out["purpose_one_treatment"] = d.purpose_one_treatment;
  out["publisher_cc"] = d.publisher_cc;
  out["vendor_consents"] = vendor_section_json(d.vendor_consents);
  out["vendor_legitimate_interests"] = vendor_section_json(d.vendor_legitimate_interests);
  json restrictions = json::array();
  for (const auto& pr : d.publisher_restrictions) {
    json ranges = json::array();
    for (const auto& range : pr.vendors) ranges.push_back(json::array({range.first, range.last}));
    restrictions.push_back(
        json{{"purpose_id", pr.purpose_id}, {"restriction_type", pr.restriction_type}, {"vendor_ranges", ranges}});
  }
  out["publisher_restrictions"] = restrictions;
  if (d.publisher_purposes) {
    const auto& p = *d.publisher_purposes;
    out["publisher_purposes"] = json{
        {"purposes_consent", numbered_bits(p.purposes_consent, 24)},
        {"purposes_li_transparency", numbered_bits(p.purposes_li_transparency, 24)},
        {"num_custom_purposes", p.num_custom_purposes},
        {"custom_purposes_consent", numbered_bits(p.custom_purposes_consent, p.num_custom_purposes)},
        {"custom_purposes_li_transparency", numbered_bits(p.custom_purposes_li_transparency, p.num_custom_purposes)}};
  } else {
    out["publisher_purposes"] = nullptr;
  }
  out["other_segments"] = d.other_segments;
  return out;
}

}  // namespace gradvy
