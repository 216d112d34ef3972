// 8-bytes-at-a-time tests used by the JSON reader and writer to skip over
// plain string content ("SIMD within a register": plain 64-bit arithmetic,
// so it is just as fast in wasm as natively).
//
// Each test is exact about *whether* some byte matches (the lowest flagged
// byte is always a true match); callers only use it to decide whether to fall
// back to the byte-by-byte path.
#pragma once

#include <cstdint>
#include <cstring>

namespace gradvy {
namespace swar {

inline constexpr std::uint64_t kOnes = 0x0101010101010101ull;
inline constexpr std::uint64_t kHighs = 0x8080808080808080ull;

inline std::uint64_t load8(const char* p) {
  std::uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

inline std::uint64_t has_zero_byte(std::uint64_t x) { return (x - kOnes) & ~x & kHighs; }
inline std::uint64_t has_byte(std::uint64_t x, unsigned char b) { return has_zero_byte(x ^ (kOnes * b)); }
inline std::uint64_t has_byte_below(std::uint64_t x, unsigned char b) { return (x - kOnes * b) & ~x & kHighs; }

// Any byte a JSON string writer must escape: '"', '\\' or < 0x20. As a mask:
// the high bit of every flagged byte (only the lowest one is guaranteed exact).
inline std::uint64_t escape_flags(std::uint64_t x) {
  return has_byte(x, '"') | has_byte(x, '\\') | has_byte_below(x, 0x20);
}
inline bool needs_escape(std::uint64_t x) { return escape_flags(x) != 0; }

// Any byte the JSON string reader must look at: the above, or >= 0x80 (UTF-8
// to validate). Same mask form; 0 means the reader may skip all 8 bytes.
inline std::uint64_t reader_flags(std::uint64_t x) { return escape_flags(x) | (x & kHighs); }

// How many bytes precede the first flagged byte of a non-zero mask, so a
// scan can jump straight to it instead of stepping byte by byte. On a
// big-endian target the lowest byte in memory is not the lowest in the word:
// answer 0 there, which only costs the byte-by-byte walk.
inline unsigned plain_bytes_before(std::uint64_t flags) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  return static_cast<unsigned>(__builtin_ctzll(flags)) >> 3;
#else
  (void)flags;
  return 0;
#endif
}

}  // namespace swar
}  // namespace gradvy
