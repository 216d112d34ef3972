#include "gradvy/rerank_mmr.hpp"

#include <algorithm>
#include <cstring>

namespace gradvy {

// GCC/Clang vector extension: 4 x float, lowered to SSE / NEON / wasm simd128.
// Two independent accumulators; the summation order is fixed for a given d, so
// results are reproducible (no -ffast-math reassociation needed).
typedef float float4 __attribute__((vector_size(16)));

// The wasm module's speed-compiled sources are built with -fno-unroll-loops
// (size, #5); the G query accumulators must still live in registers, so those
// loops are unrolled by request.
#if defined(__clang__)
#define GRADVY_UNROLL_FULL _Pragma("clang loop unroll(full)")
#else
#define GRADVY_UNROLL_FULL
#endif

float dot_product(const float* a, const float* b, std::size_t d) {
  float4 acc0 = {0, 0, 0, 0}, acc1 = {0, 0, 0, 0};
  std::size_t j = 0;
  for (; j + 8 <= d; j += 8) {
    float4 a0, a1, b0, b1;
    std::memcpy(&a0, a + j, 16);
    std::memcpy(&a1, a + j + 4, 16);
    std::memcpy(&b0, b + j, 16);
    std::memcpy(&b1, b + j + 4, 16);
    acc0 += a0 * b0;
    acc1 += a1 * b1;
  }
  const float4 acc = acc0 + acc1;
  float s = (acc[0] + acc[2]) + (acc[1] + acc[3]);
  for (; j < d; ++j) s += a[j] * b[j];
  return s;
}

namespace {

// G queries against one row, the row read once; same summation order as G = 4.
template <int G>
void dot_group(const float* row, const float* q0, std::size_t d, float* out) {
  float4 acc[G];
  GRADVY_UNROLL_FULL
  for (int g = 0; g < G; ++g) acc[g] = float4{0, 0, 0, 0};
  for (std::size_t j = 0; j < d; j += 4) {
    float4 r;
    std::memcpy(&r, row + j, 16);
    GRADVY_UNROLL_FULL
    for (int g = 0; g < G; ++g) {
      float4 v;
      std::memcpy(&v, q0 + g * d + j, 16);
      acc[g] += r * v;
    }
  }
  GRADVY_UNROLL_FULL
  for (int g = 0; g < G; ++g) out[g] = (acc[g][0] + acc[g][2]) + (acc[g][1] + acc[g][3]);
}

}  // namespace

void dot_products(const float* row, const float* queries, std::size_t nq, std::size_t d, float* out) {
  if (d % 4 != 0) {
    for (std::size_t q = 0; q < nq; ++q) out[q] = dot_product(row, queries + q * d, d);
    return;
  }
  // Groups of 4, then one group of the remaining 1-3 (interest + short-term +
  // thumbs-down rows usually leave a remainder).
  std::size_t q = 0;
  for (; q + 4 <= nq; q += 4) dot_group<4>(row, queries + q * d, d, out + q);
  switch (nq - q) {
    case 3: dot_group<3>(row, queries + q * d, d, out + q); break;
    case 2: dot_group<2>(row, queries + q * d, d, out + q); break;
    case 1: out[q] = dot_product(row, queries + q * d, d); break;
    default: break;
  }
}

namespace {

struct HeapEntry {
  double value;
  std::uint32_t rank;  // id rank: smaller wins a tie
  std::uint32_t slot;  // position in the pool
};

// "a comes after b": a max-heap on value, then min on rank.
bool after(const HeapEntry& a, const HeapEntry& b) {
  return a.value != b.value ? a.value < b.value : a.rank > b.rank;
}

}  // namespace

std::vector<std::uint32_t> select_by_mmr(const float* unit_rows, std::size_t d,
                                         const std::vector<std::uint32_t>& pool,
                                         const std::vector<double>& relevance,
                                         const std::uint32_t* id_rank_of_row, std::size_t k, double lambda,
                                         double similarity_floor) {
  const std::size_t m = pool.size();
  k = std::min(k, m);
  std::vector<std::uint32_t> picks;
  picks.reserve(k);
  if (k == 0) return picks;

  double lo = relevance[0], hi = relevance[0];
  for (double r : relevance) { lo = std::min(lo, r); hi = std::max(hi, r); }
  const double span = hi - lo;
  auto norm_rel = [&](std::size_t s) { return span > 0.0 ? (relevance[s] - lo) / span : 1.0; };
  // Monotone in the similarity, so a stale (smaller) max_sim still bounds mmr from above.
  const double floor = std::clamp(similarity_floor, 0.0, 0.99);
  const double inv_range = 1.0 / (1.0 - floor);
  auto redundancy = [&](float sim) { return std::max(0.0, (static_cast<double>(sim) - floor) * inv_range); };

  std::vector<HeapEntry> heap(m);
  for (std::size_t s = 0; s < m; ++s) {
    heap[s] = {lambda * norm_rel(s), id_rank_of_row[pool[s]], static_cast<std::uint32_t>(s)};
  }
  if (lambda >= 1.0) {
    // No diversity: plain top-k by relevance.
    std::partial_sort(heap.begin(), heap.begin() + static_cast<std::ptrdiff_t>(k), heap.end(),
                      [](const HeapEntry& a, const HeapEntry& b) { return after(b, a); });
    for (std::size_t i = 0; i < k; ++i) picks.push_back(pool[heap[i].slot]);
    return picks;
  }
  std::make_heap(heap.begin(), heap.end(), after);
  std::vector<float> max_sim(m, 0.0f);            // clipped at 0: dissimilarity earns nothing extra
  std::vector<std::uint32_t> refreshed(m, 0);     // picks already folded into max_sim
  while (picks.size() < k && !heap.empty()) {
    std::pop_heap(heap.begin(), heap.end(), after);
    HeapEntry top = heap.back();
    heap.pop_back();
    const std::uint32_t s = top.slot;
    if (refreshed[s] < picks.size()) {
      const float* row = unit_rows + static_cast<std::size_t>(pool[s]) * d;
      float best = max_sim[s];
      for (std::size_t p = refreshed[s]; p < picks.size(); ++p) {
        best = std::max(best, dot_product(row, unit_rows + static_cast<std::size_t>(picks[p]) * d, d));
      }
      max_sim[s] = best;
      refreshed[s] = static_cast<std::uint32_t>(picks.size());
      top.value = lambda * norm_rel(s) - (1.0 - lambda) * redundancy(best);
      heap.push_back(top);
      std::push_heap(heap.begin(), heap.end(), after);
      continue;
    }
    picks.push_back(pool[s]);
  }
  return picks;
}

}  // namespace gradvy
