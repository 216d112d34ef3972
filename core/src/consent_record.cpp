#include "gradvy/consent_record.hpp"

#include <limits>

namespace gradvy {

namespace {

using json = nlohmann::json;

Status invalid(std::string message) { return Status(ErrorCode::invalid_consent, std::move(message)); }

// Reads a JSON integer into int64 without throwing; nullopt if it is not one
// or does not fit.
bool read_int64(const json& v, std::int64_t& out) {
  if (v.is_number_unsigned()) {
    const auto u = v.get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return false;
    out = static_cast<std::int64_t>(u);
    return true;
  }
  if (v.is_number_integer()) {
    out = v.get<std::int64_t>();
    return true;
  }
  return false;
}

}  // namespace

std::string consent_text_for_message(std::string_view text) {
  constexpr std::size_t kMax = 40;
  std::string out;
  for (std::size_t i = 0; i < text.size() && i < kMax; ++i) {
    const auto u = static_cast<unsigned char>(text[i]);
    out.push_back(u >= 0x20 && u < 0x7F ? text[i] : '?');
  }
  if (text.size() > kMax) out += "...";
  return out;
}

bool is_consent_source(std::string_view source) {
  return source == consent_source::app || source == consent_source::tcf || source == consent_source::consent_mode ||
         source == consent_source::gpc;
}

Status validate_policy_version(std::string_view policy_version) {
  if (policy_version.empty()) return invalid("policy_version: must not be empty");
  if (policy_version.size() > kMaxPolicyVersionLength) {
    return invalid("policy_version: must be at most " + std::to_string(kMaxPolicyVersionLength) + " characters, got " +
                   std::to_string(policy_version.size()));
  }
  for (const char c : policy_version) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u > 0x7E) return invalid("policy_version: must be printable ASCII");
  }
  return Status();
}

json to_json(const ConsentRecord& record) {
  json out = json::object();
  out["purpose"] = std::string(to_string(record.purpose));
  out["granted"] = record.granted;
  out["at"] = record.at;
  out["source"] = record.source;
  out["policy_version"] = record.policy_version;
  return out;
}

Result<ConsentRecord> consent_record_from_json(const json& value) {
  if (!value.is_object()) return invalid("record: must be an object");
  for (auto it = value.begin(); it != value.end(); ++it) {
    const std::string& key = it.key();
    if (key != "purpose" && key != "granted" && key != "at" && key != "source" && key != "policy_version") {
      return invalid(consent_text_for_message(key) +
                     ": unknown field (allowed: purpose, granted, at, source, policy_version)");
    }
  }
  ConsentRecord record;

  const auto purpose_it = value.find("purpose");
  if (purpose_it == value.end()) return invalid("purpose: required");
  if (!purpose_it->is_string()) return invalid("purpose: must be a string");
  const auto purpose = parse_purpose(purpose_it->get_ref<const std::string&>());
  if (!purpose)
    return invalid("purpose: unknown purpose '" + consent_text_for_message(purpose_it->get_ref<const std::string&>()) +
                   "'");
  record.purpose = *purpose;

  const auto granted_it = value.find("granted");
  if (granted_it == value.end()) return invalid("granted: required");
  if (!granted_it->is_boolean()) return invalid("granted: must be true or false");
  record.granted = granted_it->get<bool>();
  if (record.purpose == Purpose::essential && !record.granted) {
    return invalid("granted: essential cannot be withdrawn");
  }

  const auto at_it = value.find("at");
  if (at_it == value.end()) return invalid("at: required");
  if (!read_int64(*at_it, record.at) || record.at < 0) {
    return invalid("at: must be an integer number of milliseconds >= 0");
  }

  const auto source_it = value.find("source");
  if (source_it == value.end()) return invalid("source: required");
  if (!source_it->is_string()) return invalid("source: must be a string");
  record.source = source_it->get<std::string>();
  if (!is_consent_source(record.source)) {
    return invalid("source: must be one of app, tcf, consent_mode, gpc; got '" +
                   consent_text_for_message(record.source) + "'");
  }

  const auto policy_it = value.find("policy_version");
  if (policy_it == value.end()) return invalid("policy_version: required");
  if (!policy_it->is_string()) return invalid("policy_version: must be a string");
  record.policy_version = policy_it->get<std::string>();
  if (Status s = validate_policy_version(record.policy_version); !s.ok()) return s;

  return record;
}

json consent_records_to_json(const std::vector<ConsentRecord>& records) {
  json out = json::array();
  for (const auto& r : records) out.push_back(to_json(r));
  return out;
}

Result<std::vector<ConsentRecord>> consent_records_from_json(const json& value) {
  if (!value.is_array()) return invalid("records: must be an array");
  std::vector<ConsentRecord> records;
  records.reserve(value.size());
  for (std::size_t i = 0; i < value.size(); ++i) {
    auto record = consent_record_from_json(value[i]);
    if (!record.ok()) return invalid("[" + std::to_string(i) + "]." + record.message());
    records.push_back(std::move(record).value());
  }
  return records;
}

json purpose_set_to_json(PurposeSet set) {
  json out = json::array();
  for (int i = 0; i < kPurposeCount; ++i) {
    const auto p = static_cast<Purpose>(i);
    if (set.contains(p)) out.push_back(std::string(to_string(p)));
  }
  return out;
}

Result<PurposeSet> purpose_set_from_json(const json& value, std::string_view field) {
  const std::string name(field);
  if (!value.is_array()) return invalid(name + ": must be an array of purpose names");
  PurposeSet set;
  for (std::size_t i = 0; i < value.size(); ++i) {
    const json& item = value[i];
    const std::string where = name + "[" + std::to_string(i) + "]";
    if (!item.is_string()) return invalid(where + ": must be a string");
    const auto p = parse_purpose(item.get_ref<const std::string&>());
    if (!p)
      return invalid(where + ": unknown purpose '" + consent_text_for_message(item.get_ref<const std::string&>()) +
                     "'");
    if (set.contains(*p)) return invalid(where + ": duplicate purpose '" + std::string(to_string(*p)) + "'");
    set = set.with(*p);
  }
  return set;
}

}  // namespace gradvy
