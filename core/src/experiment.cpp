#include "gradvy/experiment.hpp"

#include <cmath>
#include <set>

#include <nlohmann/json.hpp>

namespace gradvy {

using json = nlohmann::json;

std::uint64_t fnv1a64(std::string_view text) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

namespace {

// SplitMix64 finalizer: FNV's low/high bits are weak on short similar inputs.
std::uint64_t mix64(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

Status bad(const std::string& field, const std::string& rule) {
  return Status(ErrorCode::invalid_argument, "experiment." + field + ": " + rule);
}

}  // namespace

double experiment_bucket(std::string_view user_id, std::string_view experiment_id) {
  std::string key;
  key.reserve(experiment_id.size() + 1 + user_id.size());
  key.append(experiment_id);
  key.push_back('\x1f');
  key.append(user_id);
  return static_cast<double>(mix64(fnv1a64(key)) >> 11) * 0x1.0p-53;
}

Status validate_variants(const std::vector<ExperimentVariant>& variants) {
  if (variants.empty()) return bad("variants", "at least one variant is required");
  if (variants.size() > kMaxVariants) return bad("variants", "at most 100 variants");
  std::set<std::string> names;
  double total = 0.0;
  for (std::size_t i = 0; i < variants.size(); ++i) {
    const auto& v = variants[i];
    const std::string field = "variants[" + std::to_string(i) + "]";
    if (v.name.empty() || v.name.size() > 100) return bad(field + ".name", "must be 1..100 characters");
    if (!names.insert(v.name).second) return bad(field + ".name", "'" + v.name + "' appears more than once");
    if (!std::isfinite(v.weight) || v.weight < 0.0) return bad(field + ".weight", "must be a finite number >= 0");
    total += v.weight;
  }
  if (!(total > 0.0)) return bad("variants", "weights must not all be zero");
  return Status();
}

Result<ExperimentAssignment> assign_variant(std::string_view user_id, std::string_view experiment_id,
                                            const std::vector<ExperimentVariant>& variants) {
  if (user_id.empty()) return Result<ExperimentAssignment>(bad("user_id", "must not be empty"));
  if (experiment_id.empty()) return Result<ExperimentAssignment>(bad("id", "must not be empty"));
  Status s = validate_variants(variants);
  if (!s.ok()) return s;
  double total = 0.0;
  for (const auto& v : variants) total += v.weight;
  ExperimentAssignment out;
  out.experiment = std::string(experiment_id);
  out.bucket = experiment_bucket(user_id, experiment_id);
  const double point = out.bucket * total;
  double cumulative = 0.0;
  std::size_t chosen = variants.size();
  for (std::size_t i = 0; i < variants.size(); ++i) {
    cumulative += variants[i].weight;
    if (point < cumulative && variants[i].weight > 0.0) { chosen = i; break; }
  }
  if (chosen == variants.size()) {
    // Rounding at the very top: the last variant with a weight.
    for (std::size_t i = variants.size(); i-- > 0;) {
      if (variants[i].weight > 0.0) { chosen = i; break; }
    }
  }
  out.variant_index = chosen;
  out.variant = variants[chosen].name;
  return out;
}

Result<std::vector<ExperimentVariant>> variants_from_json(const json& doc) {
  using R = Result<std::vector<ExperimentVariant>>;
  std::vector<ExperimentVariant> out;
  if (doc.is_array()) {
    for (std::size_t i = 0; i < doc.size(); ++i) {
      const json& v = doc[i];
      const std::string field = "variants[" + std::to_string(i) + "]";
      if (!v.is_object()) return R(bad(field, "must be {name, weight}"));
      auto name = v.find("name");
      auto weight = v.find("weight");
      if (name == v.end() || !name->is_string()) return R(bad(field + ".name", "must be a string"));
      if (weight == v.end() || !weight->is_number()) return R(bad(field + ".weight", "must be a number"));
      out.push_back({name->get<std::string>(), weight->get<double>()});
    }
  } else if (doc.is_object()) {
    for (auto it = doc.begin(); it != doc.end(); ++it) {
      if (!it->is_number()) return R(bad("variants." + it.key(), "must be a number"));
      out.push_back({it.key(), it->get<double>()});
    }
  } else {
    return R(bad("variants", "must be an array of {name, weight} or an object of name: weight"));
  }
  Status s = validate_variants(out);
  if (!s.ok()) return R(s);
  return out;
}

json to_json(const ExperimentAssignment& a) {
  return {{"experiment", a.experiment}, {"variant", a.variant}, {"variant_index", a.variant_index}, {"bucket", a.bucket}};
}

}  // namespace gradvy
