// Status and Result<T>: how every core function reports failure.
// Nothing in core throws; a failure is a code (stable, crosses to JS as a
// string) plus a message that names the field and the rule.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace gradvy {

enum class ErrorCode {
  ok = 0,
  invalid_argument,    // a caller-supplied option or value is out of range
  invalid_json,        // text that should be JSON is not
  invalid_event,       // an event breaks a schema rule (message names field+rule)
  event_too_large,     // serialized event over the per-event byte limit
  invalid_consent,     // unknown purpose, bad consent-mode state, ...
  invalid_tc_string,   // malformed IAB TCF string
  unknown_batch,       // ack/fail for a batch id that is not in flight
  snapshot_corrupt,    // snapshot is not a valid document
  snapshot_version,    // snapshot from an unknown format version or product
  limit_exceeded,      // an explicit bound was hit (candidates, dimension, ...)
  empty_input,         // nothing to work on (e.g. rerank of zero candidates)
  dimension_mismatch,  // embedding buffer does not match n x d
  non_finite,          // NaN or Inf where a finite number is required
  duplicate_id,        // the same id twice where ids must be unique
  not_found,           // a named thing does not exist
  invalid_state,       // call not allowed in the current state
  internal,            // a bug: should never be seen
};

// Stable snake_case name of a code; this is what JS sees as `error.code`.
std::string_view to_string(ErrorCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}
  static Status ok_status() { return Status(); }

  bool ok() const { return code_ == ErrorCode::ok; }
  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }

 private:
  ErrorCode code_ = ErrorCode::ok;
  std::string message_;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit on purpose
  Result(Status status) : status_(std::move(status)) {}  // NOLINT
  Result(ErrorCode code, std::string message) : status_(code, std::move(message)) {}

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }
  ErrorCode code() const { return status_.code(); }
  const std::string& message() const { return status_.message(); }

  // Precondition: ok(). Checked by callers; not checked here to keep it cheap.
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace gradvy
