#include "gradvy/aggregate.hpp"

#include <cmath>
#include <string>

namespace gradvy {
namespace {

constexpr std::array<std::string_view, LocalAggregates::kKeyCount> kKeys = {
    "page_view",
    "course_interaction.view",
    "course_interaction.enroll",
    "course_interaction.progress",
    "course_interaction.complete",
    "course_interaction.drop",
    "learning_session",
    "quiz_attempt",
    "search",
    "button_click",
    "link_click",
    "form_submit",
    "recommendation_impression",
    "recommendation_feedback.thumbs_up",
    "recommendation_feedback.thumbs_down",
    "recommendation_feedback.dismissed",
    "experiment_exposure",
    "custom",
};

std::optional<std::size_t> find_key(std::string_view key) {
  for (std::size_t i = 0; i < kKeys.size(); ++i) {
    if (kKeys[i] == key) return i;
  }
  return std::nullopt;
}

}  // namespace

double laplace_noise(double scale, Rng& rng) {
  // u uniform in (-0.5, 0.5); next_double() is in [0, 1), so nudge 0 away to
  // keep log() finite. X = -scale * sign(u) * ln(1 - 2|u|).
  double u = rng.next_double() - 0.5;
  if (u == -0.5) u = -0.5 + 0x1.0p-53;
  const double magnitude = -scale * std::log1p(-2.0 * std::fabs(u));
  return u < 0 ? -magnitude : magnitude;
}

const std::array<std::string_view, LocalAggregates::kKeyCount>& LocalAggregates::keys() { return kKeys; }

std::optional<std::size_t> LocalAggregates::key_index(std::string_view type, std::string_view detail) {
  if (type.size() > 2 && type.substr(0, 2) == "x_") return kKeys.size() - 1;
  if (type == "course_interaction" || type == "recommendation_feedback") {
    std::string key(type);
    key.push_back('.');
    key.append(detail.data(), detail.size());
    return find_key(key);
  }
  if (type == "custom") return std::nullopt;  // not an event type; only x_ types count there
  return find_key(type);
}

void LocalAggregates::count(std::string_view type, std::string_view detail, std::int64_t now_ms) {
  const auto index = key_index(type, detail);
  if (!index) return;
  if (from_ms_ < 0) from_ms_ = now_ms;
  ++counts_[*index];
  ++total_;
}

nlohmann::json LocalAggregates::release(double epsilon, std::int64_t now_ms, Rng& rng) {
  nlohmann::json counts = nlohmann::json::object();
  const double scale = 1.0 / epsilon;  // sensitivity 1
  for (std::size_t i = 0; i < kKeys.size(); ++i) {
    counts[std::string(kKeys[i])] = static_cast<double>(counts_[i]) + laplace_noise(scale, rng);
  }
  nlohmann::json report = {
      {"from_ms", from_ms_ < 0 ? now_ms : from_ms_},
      {"to_ms", now_ms},
      {"epsilon", epsilon},
      {"counts", std::move(counts)},
  };
  clear();
  return report;
}

void LocalAggregates::clear() {
  counts_.fill(0);
  total_ = 0;
  from_ms_ = -1;
}

nlohmann::json LocalAggregates::to_json() const {
  nlohmann::json counts = nlohmann::json::object();
  for (std::size_t i = 0; i < kKeys.size(); ++i) {
    if (counts_[i] != 0) counts[std::string(kKeys[i])] = counts_[i];
  }
  return {{"from_ms", from_ms_ < 0 ? nlohmann::json(nullptr) : nlohmann::json(from_ms_)},
          {"counts", std::move(counts)}};
}

Status LocalAggregates::restore(const nlohmann::json& doc) {
  auto corrupt = [](const std::string& what) { return Status(ErrorCode::snapshot_corrupt, "aggregates." + what); };
  if (!doc.is_object()) return corrupt("(root): must be an object");
  auto from = doc.find("from_ms");
  auto counts = doc.find("counts");
  if (from == doc.end() || !(from->is_null() || from->is_number_integer()))
    return corrupt("from_ms: must be null or an integer");
  if (counts == doc.end() || !counts->is_object()) return corrupt("counts: must be an object");
  std::array<std::uint64_t, kKeyCount> restored{};
  std::uint64_t total = 0;
  for (auto it = counts->begin(); it != counts->end(); ++it) {
    const auto index = find_key(it.key());
    if (!index) return corrupt("counts." + it.key() + ": unknown key");
    if (!it->is_number_unsigned()) return corrupt("counts." + it.key() + ": must be a non-negative integer");
    restored[*index] = it->get<std::uint64_t>();
    total += restored[*index];
  }
  const std::int64_t from_ms = from->is_null() ? -1 : from->get<std::int64_t>();
  if ((from_ms < 0) != (total == 0)) return corrupt("from_ms: must be set exactly when counts are non-zero");
  counts_ = restored;
  total_ = total;
  from_ms_ = from_ms;
  return Status();
}

}  // namespace gradvy
