// One accepted, stamped, scrubbed event: its canonical wire JSON plus cheap
// typed access to what the engine, queue and on-device profile need.
//
// Everything string-like is a view into wire() (stored as offsets, so copies
// and moves stay valid); only search.query is kept as its own (scrubbed,
// unescaped) string because free text may be escaped on the wire.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gradvy/event_types.hpp"
#include "gradvy/pii_scrubber.hpp"
#include "gradvy/purpose.hpp"

namespace gradvy {

// Typed props the on-device profile reads; unset when absent for the type.
struct EventFacts {
  std::optional<CourseAction> action;         // course_interaction
  std::optional<Feedback> feedback;           // recommendation_feedback
  std::optional<double> duration_s;           // course_interaction (optional), learning_session
  std::optional<double> completion_rate;      // learning_session, 0..1
  std::optional<double> score;                // quiz_attempt
  std::optional<double> total_questions;      // quiz_attempt (integral)
  std::optional<double> time_taken_s;         // quiz_attempt
  std::optional<double> results_count;        // search (integral)
};

class StampedEvent {
 public:
  struct Span {
    std::uint32_t offset = 0;
    std::uint32_t size = 0;
  };

  std::string_view id() const { return view(id_); }
  EventType type() const { return type_; }                  // EventType::custom for x_ types
  std::string_view type_name() const { return view(type_name_); }
  Purpose purpose() const { return purpose_; }              // upload purpose
  std::int64_t ts() const { return ts_; }
  std::uint64_t seq() const { return seq_; }
  std::string_view session_id() const { return view(session_id_); }
  bool starts_session() const { return starts_session_; }  // first event of a new session
  std::string_view user_id() const { return view(user_id_); }  // "" when anonymous

  // Canonical JSON, serialized once; what batches carry and byte limits measure.
  const std::string& wire() const { return wire_; }
  std::size_t wire_size() const { return wire_.size(); }
  // Hands the wire string over without a copy (the queue keeps it). Every
  // view into it (id(), type_name(), course_id(), ...) is invalid afterwards:
  // copy out what is still needed first.
  std::string take_wire() { return std::move(wire_); }

  const PiiCounts& pii() const { return pii_; }
  const EventFacts& facts() const { return facts_; }

  // Props for the profile; "" when the type has no such field or it was absent.
  std::string_view course_id() const { return view(course_id_); }      // course_interaction, quiz_attempt
  std::string_view item_id() const { return view(item_id_); }          // recommendation_feedback
  std::string_view content_type() const { return view(content_type_); }  // learning_session
  std::string_view experiment() const { return view(experiment_); }    // experiment_exposure
  std::string_view variant() const { return view(variant_); }          // experiment_exposure
  std::string_view algorithm_version() const { return view(algorithm_version_); }  // recommendation_impression
  const std::string& query() const { return query_; }                  // search, after PII scrubbing
  std::size_t item_id_count() const { return item_ids_.size(); }       // recommendation_impression
  std::string_view item_id_at(std::size_t i) const { return view(item_ids_[i]); }

 private:
  friend class EventBuilder;
  friend class EventWireWriter;
  std::string_view view(Span span) const { return std::string_view(wire_.data() + span.offset, span.size); }

  std::string wire_;
  Span id_, type_name_, session_id_, user_id_;
  Span course_id_, item_id_, content_type_, experiment_, variant_, algorithm_version_;
  std::vector<Span> item_ids_;
  std::string query_;
  EventType type_ = EventType::page_view;
  Purpose purpose_ = Purpose::analytics;
  bool starts_session_ = false;
  std::int64_t ts_ = 0;
  std::uint64_t seq_ = 0;
  PiiCounts pii_;
  EventFacts facts_;
};

}  // namespace gradvy
