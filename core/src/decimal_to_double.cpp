#include "gradvy/decimal_to_double.hpp"

#include <cstdint>
#include <cstring>

namespace gradvy {

namespace {

// A decimal number 0.d[0]d[1]...d[nd-1] x 10^dp, digits as values 0-9. Digits
// beyond kMaxDigits only matter for rounding a tie, so they are folded into
// `truncated` (true when any of them was non-zero). 800 digits is more than any
// double needs to decide its rounding (the longest exact denormal has 767).
struct Decimal {
  static constexpr int kMaxDigits = 800;
  unsigned char d[kMaxDigits];
  int nd = 0;
  int dp = 0;
  bool negative = false;
  bool truncated = false;

  void trim() {
    while (nd > 0 && d[nd - 1] == 0) --nd;
    if (nd == 0) dp = 0;
  }

  // Divides by 2^k, 1 <= k <= 60.
  void shift_right(unsigned k) {
    int r = 0;  // read index
    int w = 0;  // write index
    std::uint64_t n = 0;
    for (; (n >> k) == 0; ++r) {
      if (r >= nd) {
        if (n == 0) {  // zero stays zero
          nd = 0;
          return;
        }
        while ((n >> k) == 0) {
          n *= 10;
          ++r;
        }
        break;
      }
      n = n * 10 + d[r];
    }
    dp -= r - 1;
    const std::uint64_t mask = (std::uint64_t{1} << k) - 1;
    for (; r < nd; ++r) {
      const std::uint64_t digit = n >> k;
      n &= mask;
      d[w++] = static_cast<unsigned char>(digit);
      n = n * 10 + d[r];
    }
    while (n > 0) {
      const std::uint64_t digit = n >> k;
      n &= mask;
      if (w < kMaxDigits) {
        d[w++] = static_cast<unsigned char>(digit);
      } else if (digit > 0) {
        truncated = true;
      }
      n *= 10;
    }
    nd = w;
    trim();
  }

  // Multiplies by 2^k, 1 <= k <= 60: the product's digits are produced least
  // significant first into `out`, then the most significant kMaxDigits kept.
  void shift_left(unsigned k) {
    unsigned char out[kMaxDigits + 20];  // 2^60 adds at most 19 digits
    int produced = 0;
    std::uint64_t n = 0;
    for (int r = nd - 1; r >= 0; --r) {
      n += static_cast<std::uint64_t>(d[r]) << k;
      out[produced++] = static_cast<unsigned char>(n % 10);
      n /= 10;
    }
    while (n > 0) {
      out[produced++] = static_cast<unsigned char>(n % 10);
      n /= 10;
    }
    const int kept = produced < kMaxDigits ? produced : kMaxDigits;
    for (int i = 0; i < produced - kept; ++i) {
      if (out[i] != 0) truncated = true;
    }
    for (int i = 0; i < kept; ++i) d[i] = out[produced - 1 - i];
    dp += produced - nd;
    nd = kept;
    trim();
  }

  void shift(int k) {
    constexpr int kMaxShift = 60;  // n * 10 + 9 must not overflow 64 bits
    if (nd == 0) return;
    for (; k > kMaxShift; k -= kMaxShift) shift_left(kMaxShift);
    for (; k < -kMaxShift; k += kMaxShift) shift_right(kMaxShift);
    if (k > 0) shift_left(static_cast<unsigned>(k));
    if (k < 0) shift_right(static_cast<unsigned>(-k));
  }

  // Whether the integer part rounds up at digit `at`: above half, or exactly
  // half (nothing after it, nothing truncated) and the kept part is odd.
  bool rounds_up(int at) const {
    if (at < 0 || at >= nd) return false;
    if (d[at] == 5 && at + 1 == nd) return truncated || (at > 0 && d[at - 1] % 2 == 1);
    return d[at] >= 5;
  }

  // The integer part, rounded half to even. Precondition: dp <= 20.
  std::uint64_t rounded_integer() const {
    std::uint64_t n = 0;
    int i = 0;
    for (; i < dp && i < nd; ++i) n = n * 10 + d[i];
    for (; i < dp; ++i) n *= 10;
    if (rounds_up(dp)) ++n;
    return n;
  }

  bool read(std::string_view text) {
    std::size_t i = 0;
    if (i < text.size() && text[i] == '-') {
      negative = true;
      ++i;
    }
    bool saw_dot = false;
    bool saw_digits = false;
    for (; i < text.size(); ++i) {
      const char c = text[i];
      if (c == '.') {
        if (saw_dot) return false;
        saw_dot = true;
      } else if (c >= '0' && c <= '9') {
        saw_digits = true;
        if (c == '0' && nd == 0) {  // a leading zero only moves the point, and only after it
          if (saw_dot) --dp;
          continue;
        }
        if (nd < kMaxDigits) {
          d[nd++] = static_cast<unsigned char>(c - '0');
        } else if (c != '0') {
          truncated = true;
        }
        if (!saw_dot) ++dp;  // every integer digit counts, stored or not
      } else {
        break;
      }
    }
    if (!saw_digits) return false;
    if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
      ++i;
      int sign = 1;
      if (i < text.size() && (text[i] == '+' || text[i] == '-')) sign = text[i++] == '-' ? -1 : 1;
      if (i >= text.size() || text[i] < '0' || text[i] > '9') return false;
      int e = 0;
      for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
        if (e < 10000) e = e * 10 + (text[i] - '0');
      }
      dp += sign * e;
    }
    return i == text.size();
  }
};

}  // namespace

bool decimal_to_double(std::string_view text, double* out) {
  constexpr int kMantissaBits = 52;
  constexpr int kExponentBits = 11;
  constexpr int kBias = -1023;
  // Shift amounts that bring 10^dp (dp = index) below 1 / to at least 1/2.
  constexpr int kPowers[] = {1, 3, 6, 9, 13, 16, 19, 23, 26};
  constexpr int kPowerCount = sizeof(kPowers) / sizeof(kPowers[0]);

  Decimal dec;
  if (!dec.read(text)) return false;
  dec.trim();

  std::uint64_t mantissa = 0;
  int exponent = 0;
  bool overflow = false;
  if (dec.nd == 0 || dec.dp < -330) {  // zero, or far below the smallest denormal
    exponent = kBias;
  } else if (dec.dp > 310) {  // far above the largest double
    overflow = true;
  } else {
    // Scale into [1/2, 1) by powers of two, counting them in `exponent`.
    while (dec.dp > 0) {
      const int n = dec.dp >= kPowerCount ? 27 : kPowers[dec.dp];
      dec.shift(-n);
      exponent += n;
    }
    while (dec.dp < 0 || (dec.dp == 0 && dec.d[0] < 5)) {
      const int n = -dec.dp >= kPowerCount ? 27 : kPowers[-dec.dp];
      dec.shift(n);
      exponent -= n;
    }
    --exponent;  // [1/2, 1) -> [1, 2)
    if (exponent < kBias + 1) {  // denormal: shift down to the smallest exponent
      const int n = kBias + 1 - exponent;
      dec.shift(-n);
      exponent += n;
    }
    if (exponent - kBias >= (1 << kExponentBits) - 1) {
      overflow = true;
    } else {
      dec.shift(1 + kMantissaBits);
      mantissa = dec.rounded_integer();
      if (mantissa == (std::uint64_t{2} << kMantissaBits)) {  // rounding carried out
        mantissa >>= 1;
        ++exponent;
        if (exponent - kBias >= (1 << kExponentBits) - 1) overflow = true;
      }
      if ((mantissa & (std::uint64_t{1} << kMantissaBits)) == 0) exponent = kBias;  // denormal
    }
  }
  if (overflow) {
    mantissa = 0;
    exponent = (1 << kExponentBits) - 1 + kBias;
  }
  std::uint64_t bits = mantissa & ((std::uint64_t{1} << kMantissaBits) - 1);
  bits |= static_cast<std::uint64_t>((exponent - kBias) & ((1 << kExponentBits) - 1)) << kMantissaBits;
  if (dec.negative) bits |= std::uint64_t{1} << 63;
  std::memcpy(out, &bits, sizeof bits);
  return true;
}

}  // namespace gradvy
