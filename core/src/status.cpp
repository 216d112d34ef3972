#include "gradvy/status.hpp"

namespace gradvy {

std::string_view to_string(ErrorCode code) {
  switch (code) {
    case ErrorCode::ok: return "ok";
    case ErrorCode::invalid_argument: return "invalid_argument";
    case ErrorCode::invalid_json: return "invalid_json";
    case ErrorCode::invalid_event: return "invalid_event";
    case ErrorCode::event_too_large: return "event_too_large";
    case ErrorCode::invalid_consent: return "invalid_consent";
    case ErrorCode::invalid_tc_string: return "invalid_tc_string";
    case ErrorCode::unknown_batch: return "unknown_batch";
    case ErrorCode::snapshot_corrupt: return "snapshot_corrupt";
    case ErrorCode::snapshot_version: return "snapshot_version";
    case ErrorCode::limit_exceeded: return "limit_exceeded";
    case ErrorCode::empty_input: return "empty_input";
    case ErrorCode::dimension_mismatch: return "dimension_mismatch";
    case ErrorCode::non_finite: return "non_finite";
    case ErrorCode::duplicate_id: return "duplicate_id";
    case ErrorCode::not_found: return "not_found";
    case ErrorCode::invalid_state: return "invalid_state";
    case ErrorCode::internal: return "internal";
  }
  return "internal";
}

}  // namespace gradvy
