// The learner's current consent: which purposes are granted, the GPC flag, and
// the history of every change. All inputs (app toggles, TCF, Consent Mode, GPC)
// go through here so the rules hold whatever the source:
//   - opt-in: only essential is granted until something grants more;
//   - essential can never be withdrawn (asking is an error, state unchanged);
//   - while GPC is on, grants of the GPC-blocked purposes are refused (reported
//     in ConsentChange::refused_by_gpc, not recorded) and the rest applies;
//   - a call either applies completely or returns an error and changes nothing.
// Deterministic: time comes in as now_ms. Rules and reasons: docs/CONSENT.md.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string_view>
#include <vector>

#include "gradvy/consent_decisions.hpp"
#include "gradvy/consent_mode.hpp"
#include "gradvy/consent_record.hpp"
#include "gradvy/purpose.hpp"
#include "gradvy/status.hpp"
#include "gradvy/tcf_string.hpp"

namespace gradvy {

// What one call changed. The engine purges queued events of `withdrawn`
// purposes before it returns to the host.
struct ConsentChange {
  PurposeSet granted;         // newly granted by this call
  PurposeSet withdrawn;       // newly withdrawn by this call
  PurposeSet refused_by_gpc;  // grants asked for but refused because GPC is on
  std::size_t records_added = 0;

  bool changed() const { return granted.bits() != 0 || withdrawn.bits() != 0; }
};

// {"granted":[...],"withdrawn":[...],"refused_by_gpc":[...],"records_added":n}
nlohmann::json to_json(const ConsentChange& change);

class ConsentState {
 public:
  // Bound on the in-memory history. Past it the oldest records are dropped
  // and counted (history_dropped); the sync server keeps the full history.
  static constexpr std::size_t kMaxHistory = 1000;
  // Snapshot document version written by to_json().
  static constexpr int kSnapshotVersion = 1;

  ConsentState() = default;  // essential only, GPC off, empty history

  PurposeSet granted() const { return granted_; }
  bool is_granted(Purpose p) const { return granted_.contains(p); }
  bool gpc() const { return gpc_; }
  PurposeSet gpc_blocked() const { return gpc_blocked_; }  // empty while GPC is off
  const std::vector<ConsentRecord>& history() const { return history_; }
  std::uint64_t history_dropped() const { return history_dropped_; }

  // App toggles (source "app").
  Result<ConsentChange> set_purpose(Purpose purpose, bool granted, std::string_view policy_version,
                                    std::int64_t now_ms);
  Result<ConsentChange> set_purposes(const ConsentDecisions& decisions, std::string_view policy_version,
                                     std::int64_t now_ms);
  // {"analytics":true,...} as parsed by consent_decisions_from_json.
  Result<ConsentChange> set_purposes_json(const nlohmann::json& toggles, std::string_view policy_version,
                                          std::int64_t now_ms);

  // IAB TCF v2.2 (source "tcf"). Besides decoding, refuses a string created or
  // updated more than a day after now_ms (clock skew allowance).
  Result<ConsentChange> apply_tc_string(std::string_view tc_string, std::string_view policy_version,
                                        std::int64_t now_ms);
  Result<ConsentChange> apply_tcf(const DecodedTcString& decoded, std::string_view policy_version, std::int64_t now_ms);

  // Google Consent Mode v2 (source "consent_mode").
  Result<ConsentChange> apply_consent_mode(const nlohmann::json& states, std::string_view policy_version,
                                           std::int64_t now_ms);
  Result<ConsentChange> apply_consent_mode(const ConsentModeState& states, std::string_view policy_version,
                                           std::int64_t now_ms);

  // Global Privacy Control (source "gpc"). On: withdraws marketing plus
  // `also_withdraw` (the app's policy; may not contain essential) and keeps
  // them blocked until GPC goes off. Calling it again while on replaces the
  // blocked set with marketing + the new `also_withdraw`. Off: unblocks,
  // grants nothing back.
  Result<ConsentChange> set_gpc(bool on, PurposeSet also_withdraw, std::string_view policy_version,
                                std::int64_t now_ms);

  nlohmann::json history_to_json() const { return consent_records_to_json(history_); }

  // {"version":1,"granted":[...],"gpc":bool,"gpc_blocked":[...],
  //  "history":[records],"history_dropped":n}
  nlohmann::json to_json() const;
  // Validates everything (types, known names, invariants, history consistent
  // with the grants); snapshot_version for another version, snapshot_corrupt
  // otherwise, the message naming the field ("consent.history[2].at: ...").
  static Result<ConsentState> from_json(const nlohmann::json& snapshot);
  // from_json + replace: on error this state is exactly as it was.
  Status restore(const nlohmann::json& snapshot);

 private:
  Result<ConsentChange> apply(const ConsentDecisions& decisions, std::string_view source,
                              std::string_view policy_version, std::int64_t now_ms);
  const ConsentRecord* last_record_for(Purpose p) const;
  void append(ConsentRecord record);

  PurposeSet granted_ = PurposeSet::only(Purpose::essential);
  bool gpc_ = false;
  PurposeSet gpc_blocked_;
  std::vector<ConsentRecord> history_;
  std::uint64_t history_dropped_ = 0;
};

}  // namespace gradvy
