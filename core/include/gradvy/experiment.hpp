// Deterministic experiment variant assignment.
//
// bucket = top 53 bits of mix64(fnv1a64(experiment_id + '\x1f' + user_id)) / 2^53,
// a number in [0, 1); the variant is the first whose cumulative weight share
// exceeds it. Integer hashing and one division/multiply in IEEE double, so the
// same (user, experiment, weights) gives the same variant natively and in wasm.
// Changing weights moves only the users near the boundaries that moved.
// The exposure event is queued by the engine (analytics purpose), not here.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "gradvy/status.hpp"

namespace gradvy {

inline constexpr std::size_t kMaxVariants = 100;

struct ExperimentVariant {
  std::string name;
  double weight = 0.0;  // >= 0; weights need not sum to 1
};

struct ExperimentAssignment {
  std::string experiment;
  std::string variant;
  std::size_t variant_index = 0;
  double bucket = 0.0;  // [0, 1)
};

std::uint64_t fnv1a64(std::string_view text);
// In [0, 1), uniform for distinct inputs.
double experiment_bucket(std::string_view user_id, std::string_view experiment_id);

// Errors (invalid_argument): empty ids, no variants, more than 100, empty or
// duplicate names, a weight that is negative/NaN/Inf, all weights zero.
Status validate_variants(const std::vector<ExperimentVariant>& variants);
Result<ExperimentAssignment> assign_variant(std::string_view user_id, std::string_view experiment_id,
                                            const std::vector<ExperimentVariant>& variants);

// Variants from JSON: [{"name":"a","weight":1}, ...] (order kept) or
// {"a":1,"b":1} (ordered by name).
Result<std::vector<ExperimentVariant>> variants_from_json(const nlohmann::json& doc);
nlohmann::json to_json(const ExperimentAssignment& assignment);

}  // namespace gradvy
