// Diversification by maximal marginal relevance over unit embeddings.
//   mmr(i) = lambda * rel(i) - (1 - lambda) * redundancy(max_{p picked} cos(i, p))
//   redundancy(c) = max(0, (c - floor) / (1 - floor))
// rel = relevance min-max normalized over the pool to 0..1. With floor > 0 only
// near-duplicates are penalized, not items that are merely on the same theme.
// Greedy, exact, but lazy: a candidate's max-similarity only grows as items are
// picked, so a stale mmr value is an upper bound; we keep candidates in a heap
// by that bound and refresh (against the picks made since its last refresh)
// only the ones that reach the top. Same picks as the eager O(k*n*d) loop, usually far less work.
// Ties: higher value first, then smaller id rank.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace gradvy {

// Dot product of two float rows (8 independent accumulators: vectorizes with
// SSE/NEON/wasm simd128 and keeps a fixed summation order).
float dot_product(const float* a, const float* b, std::size_t d);

// out[q] = dot(row, queries + q*d) for q < nq: the row is read once for all
// queries (interest vector + thumbs-down items), ~2.5x fewer loads than nq dots.
void dot_products(const float* row, const float* queries, std::size_t nq, std::size_t d, float* out);

// pool[j] = row index; relevance[j] = its score; returns up to k row indices.
std::vector<std::uint32_t> select_by_mmr(const float* unit_rows, std::size_t d,
                                         const std::vector<std::uint32_t>& pool,
                                         const std::vector<double>& relevance,
                                         const std::uint32_t* id_rank_of_row,
                                         std::size_t k, double lambda, double similarity_floor = 0.0);

}  // namespace gradvy
