#include "gradvy/consent_state.hpp"

#include <limits>
#include <string>

#include "gradvy/json_tree.hpp"
#include "gradvy/tcf_purpose_mapping.hpp"

namespace gradvy {

namespace {

using json = nlohmann::json;

// A TC string stamped later than this past our clock is refused: TCF 2.2
// rounds both dates to the day, so up to a day ahead is just rounding or skew.
constexpr std::int64_t kTcFutureAllowanceMs = 24LL * 60 * 60 * 1000;

Status check_time(std::int64_t now_ms) {
  if (now_ms < 0) return Status(ErrorCode::invalid_argument, "now_ms: must be >= 0, got " + std::to_string(now_ms));
  return Status();
}

Status corrupt(std::string message) { return Status(ErrorCode::snapshot_corrupt, "consent." + std::move(message)); }

}  // namespace

json to_json(const ConsentChange& change) {
  return json{{"granted", purpose_set_to_json(change.granted)},
              {"withdrawn", purpose_set_to_json(change.withdrawn)},
              {"refused_by_gpc", purpose_set_to_json(change.refused_by_gpc)},
              {"records_added", change.records_added}};
}

const ConsentRecord* ConsentState::last_record_for(Purpose p) const {
  for (auto it = history_.rbegin(); it != history_.rend(); ++it) {
    if (it->purpose == p) return &*it;
  }
  return nullptr;
}

void ConsentState::append(ConsentRecord record) {
  if (history_.size() >= kMaxHistory) {
    history_.erase(history_.begin());
    ++history_dropped_;
  }
  history_.push_back(std::move(record));
}

Result<ConsentChange> ConsentState::apply(const ConsentDecisions& decisions, std::string_view source,
                                          std::string_view policy_version, std::int64_t now_ms) {
  // Validate everything before touching anything: a call applies whole or not at all.
  if (Status s = check_time(now_ms); !s.ok()) return s;
  if (Status s = validate_policy_version(policy_version); !s.ok()) return s;
  if (decisions.decided.contains(Purpose::essential) && !decisions.granted.contains(Purpose::essential)) {
    return Result<ConsentChange>(ErrorCode::invalid_consent, "essential: cannot be withdrawn");
  }

  ConsentChange change;
  for (int i = 0; i < kPurposeCount; ++i) {
    const auto p = static_cast<Purpose>(i);
    if (p == Purpose::essential || !decisions.decided.contains(p)) continue;
    const bool want = decisions.granted.contains(p);
    if (want && gpc_ && gpc_blocked_.contains(p)) {
      change.refused_by_gpc = change.refused_by_gpc.with(p);
      continue;
    }
    const bool current = granted_.contains(p);
    // Not recorded: the same answer again under the same policy version (CMPs
    // and tags re-send their state on every page load). Recorded: a change, a
    // first explicit answer (even if it equals the default), and a
    // re-confirmation under a new policy version.
    const ConsentRecord* last = last_record_for(p);
    if (want == current && last != nullptr && last->policy_version == policy_version) continue;

    append(ConsentRecord{p, want, now_ms, std::string(source), std::string(policy_version)});
    ++change.records_added;
    if (want && !current) change.granted = change.granted.with(p);
    if (!want && current) change.withdrawn = change.withdrawn.with(p);
    granted_ = want ? granted_.with(p) : granted_.without(p);
  }
  return change;
}

Result<ConsentChange> ConsentState::set_purpose(Purpose purpose, bool granted, std::string_view policy_version,
                                                std::int64_t now_ms) {
  return apply(ConsentDecisions{}.set(purpose, granted), consent_source::app, policy_version, now_ms);
}

Result<ConsentChange> ConsentState::set_purposes(const ConsentDecisions& decisions, std::string_view policy_version,
                                                 std::int64_t now_ms) {
  return apply(decisions, consent_source::app, policy_version, now_ms);
}

Result<ConsentChange> ConsentState::set_purposes_json(const json& toggles, std::string_view policy_version,
                                                      std::int64_t now_ms) {
  auto decisions = consent_decisions_from_json(toggles);
  if (!decisions.ok()) return decisions.status();
  return apply(*decisions, consent_source::app, policy_version, now_ms);
}

Result<ConsentChange> ConsentState::apply_tc_string(std::string_view tc_string, std::string_view policy_version,
                                                    std::int64_t now_ms) {
  auto decoded = decode_tc_string(tc_string);
  if (!decoded.ok()) return decoded.status();
  return apply_tcf(*decoded, policy_version, now_ms);
}

Result<ConsentChange> ConsentState::apply_tcf(const DecodedTcString& decoded, std::string_view policy_version,
                                              std::int64_t now_ms) {
  if (Status s = check_time(now_ms); !s.ok()) return s;
  const std::int64_t latest_ok = now_ms > std::numeric_limits<std::int64_t>::max() - kTcFutureAllowanceMs
                                     ? std::numeric_limits<std::int64_t>::max()
                                     : now_ms + kTcFutureAllowanceMs;
  if (decoded.created_ms() > latest_ok) {
    return Result<ConsentChange>(ErrorCode::invalid_tc_string,
                                 "TC string: Created " + std::to_string(decoded.created_ms()) +
                                     " ms is more than a day after now " + std::to_string(now_ms) + " ms");
  }
  if (decoded.last_updated_ms() > latest_ok) {
    return Result<ConsentChange>(ErrorCode::invalid_tc_string,
                                 "TC string: LastUpdated " + std::to_string(decoded.last_updated_ms()) +
                                     " ms is more than a day after now " + std::to_string(now_ms) + " ms");
  }
  return apply(tcf_consent_decisions(decoded), consent_source::tcf, policy_version, now_ms);
}

Result<ConsentChange> ConsentState::apply_consent_mode(const json& states, std::string_view policy_version,
                                                       std::int64_t now_ms) {
  auto parsed = parse_consent_mode(states);
  if (!parsed.ok()) return parsed.status();
  return apply_consent_mode(*parsed, policy_version, now_ms);
}

Result<ConsentChange> ConsentState::apply_consent_mode(const ConsentModeState& states, std::string_view policy_version,
                                                       std::int64_t now_ms) {
  return apply(consent_mode_decisions(states), consent_source::consent_mode, policy_version, now_ms);
}

Result<ConsentChange> ConsentState::set_gpc(bool on, PurposeSet also_withdraw, std::string_view policy_version,
                                            std::int64_t now_ms) {
  if (Status s = check_time(now_ms); !s.ok()) return s;
  if (Status s = validate_policy_version(policy_version); !s.ok()) return s;
  if (also_withdraw.contains(Purpose::essential)) {
    return Result<ConsentChange>(ErrorCode::invalid_argument, "also_withdraw: essential cannot be withdrawn by GPC");
  }
  if (!on) {
    gpc_ = false;
    gpc_blocked_ = PurposeSet();
    return ConsentChange{};
  }
  const PurposeSet blocked = also_withdraw.with(Purpose::marketing);
  ConsentDecisions decisions;
  for (int i = 0; i < kPurposeCount; ++i) {
    const auto p = static_cast<Purpose>(i);
    if (blocked.contains(p)) decisions.set(p, false);
  }
  auto change = apply(decisions, consent_source::gpc, policy_version, now_ms);
  if (!change.ok()) return change;  // cannot happen after the checks above; keeps the state untouched anyway
  gpc_ = true;
  gpc_blocked_ = blocked;
  return change;
}

json ConsentState::to_json() const {
  json out = json::object();
  out["version"] = kSnapshotVersion;
  out["granted"] = purpose_set_to_json(granted_);
  out["gpc"] = gpc_;
  out["gpc_blocked"] = purpose_set_to_json(gpc_blocked_);
  out["history"] = consent_records_to_json(history_);
  out["history_dropped"] = history_dropped_;
  return out;
}

Result<ConsentState> ConsentState::from_json(const json& snapshot) {
  if (!snapshot.is_object()) return corrupt("snapshot: must be an object");
  const auto version = snapshot.find("version");
  if (version == snapshot.end() || !version->is_number_integer()) {
    return corrupt("version: required integer");
  }
  if (version->get<std::int64_t>() != kSnapshotVersion) {
    return Status(ErrorCode::snapshot_version, "consent.version: " + write_json(*version) + " is not supported (expected " +
                                                   std::to_string(kSnapshotVersion) + ")");
  }
  for (auto it = snapshot.begin(); it != snapshot.end(); ++it) {
    const std::string& k = it.key();
    if (k != "version" && k != "granted" && k != "gpc" && k != "gpc_blocked" && k != "history" &&
        k != "history_dropped") {
      return corrupt(consent_text_for_message(k) + ": unknown field");
    }
  }

  ConsentState state;
  const auto granted = snapshot.find("granted");
  if (granted == snapshot.end()) return corrupt("granted: required");
  auto granted_set = purpose_set_from_json(*granted, "granted");
  if (!granted_set.ok()) return corrupt(granted_set.message());
  if (!granted_set->contains(Purpose::essential)) return corrupt("granted: must contain essential");
  state.granted_ = *granted_set;

  const auto gpc = snapshot.find("gpc");
  if (gpc == snapshot.end() || !gpc->is_boolean()) return corrupt("gpc: required true or false");
  state.gpc_ = gpc->get<bool>();

  const auto blocked = snapshot.find("gpc_blocked");
  if (blocked == snapshot.end()) return corrupt("gpc_blocked: required");
  auto blocked_set = purpose_set_from_json(*blocked, "gpc_blocked");
  if (!blocked_set.ok()) return corrupt(blocked_set.message());
  state.gpc_blocked_ = *blocked_set;
  if (!state.gpc_ && state.gpc_blocked_.bits() != 0) return corrupt("gpc_blocked: must be empty while gpc is false");
  if (state.gpc_ && !state.gpc_blocked_.contains(Purpose::marketing)) {
    return corrupt("gpc_blocked: must contain marketing while gpc is true");
  }
  if (state.gpc_blocked_.contains(Purpose::essential)) return corrupt("gpc_blocked: must not contain essential");
  for (int i = 0; i < kPurposeCount; ++i) {
    const auto p = static_cast<Purpose>(i);
    if (state.gpc_blocked_.contains(p) && state.granted_.contains(p)) {
      return corrupt("granted: " + std::string(to_string(p)) + " is granted but blocked by GPC");
    }
  }

  const auto dropped = snapshot.find("history_dropped");
  if (dropped == snapshot.end() || !dropped->is_number_unsigned()) {
    return corrupt("history_dropped: required integer >= 0");
  }
  state.history_dropped_ = dropped->get<std::uint64_t>();

  const auto history = snapshot.find("history");
  if (history == snapshot.end() || !history->is_array()) return corrupt("history: required array of records");
  if (history->size() > kMaxHistory) {
    return corrupt("history: " + std::to_string(history->size()) + " records; the limit is " +
                   std::to_string(kMaxHistory));
  }
  auto records = consent_records_from_json(*history);
  if (!records.ok()) return corrupt("history" + records.message());
  state.history_ = std::move(records).value();

  // The grants must be what the history says: the last record of a purpose
  // decides it; with no record it is at the default (denied), unless older
  // records were dropped.
  for (int i = 1; i < kPurposeCount; ++i) {
    const auto p = static_cast<Purpose>(i);
    const ConsentRecord* last = state.last_record_for(p);
    const bool granted_now = state.granted_.contains(p);
    if (last != nullptr && last->granted != granted_now) {
      return corrupt("granted: " + std::string(to_string(p)) + " is " + (granted_now ? "granted" : "not granted") +
                     " but its last history record says otherwise");
    }
    if (last == nullptr && granted_now && state.history_dropped_ == 0) {
      return corrupt("granted: " + std::string(to_string(p)) + " is granted but has no history record");
    }
  }
  return state;
}

Status ConsentState::restore(const json& snapshot) {
  auto restored = from_json(snapshot);
  if (!restored.ok()) return restored.status();
  *this = std::move(restored).value();
  return Status();
}

}  // namespace gradvy
