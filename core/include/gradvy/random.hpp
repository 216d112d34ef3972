// Deterministic, seedable RNG (xoshiro256**, seeded through SplitMix64).
// Core never reads a clock or an entropy source: the host passes the seed in
// (crypto.getRandomValues in browsers, a fixed seed in tests), which is what
// makes ids, jitter and experiment-free paths reproducible.
#pragma once

#include <cstdint>
#include <string>

namespace gradvy {

class Rng {
 public:
  explicit Rng(std::uint64_t seed = 0x9E3779B97F4A7C15ull) { reseed(seed); }

  void reseed(std::uint64_t seed) {
    for (auto& word : state_) word = splitmix64(seed);
  }

  std::uint64_t next_u64() {
    const std::uint64_t result = rotl(state_[1] * 5, 7) * 9;
    const std::uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return result;
  }

  // Uniform in [0, 1).
  double next_double() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }

  // Uniform in [0, bound) for bound > 0 (Lemire's multiply-shift, bias < 2^-64 * bound).
  std::uint64_t next_below(std::uint64_t bound) {
    __extension__ using u128 = unsigned __int128;
    return static_cast<std::uint64_t>((static_cast<u128>(next_u64()) * bound) >> 64);
  }

  // RFC 4122 version-4 layout UUID string from this generator.
  std::string uuid4() {
    std::uint64_t hi = next_u64();
    std::uint64_t lo = next_u64();
    hi = (hi & 0xFFFFFFFFFFFF0FFFull) | 0x0000000000004000ull;
    lo = (lo & 0x3FFFFFFFFFFFFFFFull) | 0x8000000000000000ull;
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out(36, '-');
    int pos = 0;
    for (int i = 0; i < 32; ++i) {
      if (pos == 8 || pos == 13 || pos == 18 || pos == 23) ++pos;
      const std::uint64_t word = i < 16 ? hi : lo;
      const int shift = 60 - 4 * (i % 16);
      out[pos++] = kHex[(word >> shift) & 0xF];
    }
    return out;
  }

  // Full state, for snapshots: restoring it continues the same sequence.
  const std::uint64_t* state() const { return state_; }
  void set_state(const std::uint64_t s[4]) {
    for (int i = 0; i < 4; ++i) state_[i] = s[i];
  }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  static std::uint64_t splitmix64(std::uint64_t& x) {
    std::uint64_t z = (x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  std::uint64_t state_[4];
};

}  // namespace gradvy
