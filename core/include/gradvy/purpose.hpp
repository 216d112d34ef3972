// The six consent purposes and a compact set of them.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace gradvy {

enum class Purpose : std::uint8_t {
  essential = 0,  // always granted; cannot be withdrawn
  analytics,
  personalization,
  marketing,
  social_integration,
  external_enrichment,
};

inline constexpr int kPurposeCount = 6;

std::string_view to_string(Purpose purpose);
std::optional<Purpose> parse_purpose(std::string_view name);

// Bit set over Purpose; cheap to copy and compare.
class PurposeSet {
 public:
  constexpr PurposeSet() = default;
  static constexpr PurposeSet only(Purpose p) { return PurposeSet(bit(p)); }
  static constexpr PurposeSet all() { return PurposeSet((1u << kPurposeCount) - 1); }

  constexpr bool contains(Purpose p) const { return (bits_ & bit(p)) != 0; }
  constexpr PurposeSet with(Purpose p) const { return PurposeSet(bits_ | bit(p)); }
  constexpr PurposeSet without(Purpose p) const { return PurposeSet(bits_ & ~bit(p)); }
  constexpr std::uint8_t bits() const { return bits_; }
  constexpr bool operator==(PurposeSet o) const { return bits_ == o.bits_; }
  constexpr bool operator!=(PurposeSet o) const { return bits_ != o.bits_; }

 private:
  constexpr explicit PurposeSet(std::uint8_t bits) : bits_(bits) {}
  static constexpr std::uint8_t bit(Purpose p) { return static_cast<std::uint8_t>(1u << static_cast<int>(p)); }
  std::uint8_t bits_ = 0;
};

}  // namespace gradvy
