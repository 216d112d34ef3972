// One compiled sort for the core's sorts off the hot paths.
// std::sort compiles its whole algorithm (1-3 KB of wasm) once per comparator
// type; every sort here goes through a single instantiation that orders
// indices with a comparator called through a pointer. Ties are broken by
// position, so every sort is stable and the order never depends on the
// algorithm.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace gradvy {

// Strict weak order on two positions; `context` is what the caller passed.
using IndexLess = bool (*)(const void* context, std::uint32_t a, std::uint32_t b);

// Sorts order[0..n) by less(context, a, b); indices that compare equal end up
// in increasing order, so starting from 0..n-1 gives a stable sort.
void sort_indices(std::uint32_t* order, std::size_t n, IndexLess less, const void* context);

// The permutation that sorts items[0..n) by less(items[a], items[b]), stably.
template <typename T, typename Less>
std::vector<std::uint32_t> sorted_order(const T* items, std::size_t n, const Less& less) {
  std::vector<std::uint32_t> order(n);
  for (std::size_t i = 0; i < n; ++i) order[i] = static_cast<std::uint32_t>(i);
  const std::pair<const T*, const Less*> context{items, &less};
  sort_indices(
      order.data(), n,
      [](const void* c, std::uint32_t a, std::uint32_t b) {
        const auto& [base, by] = *static_cast<const std::pair<const T*, const Less*>*>(c);
        return (*by)(base[a], base[b]);
      },
      &context);
  return order;
}

// Sorts `items` by `less`, stably.
template <typename T, typename Less>
void sort_stable(std::vector<T>& items, const Less& less) {
  const std::vector<std::uint32_t> order = sorted_order(items.data(), items.size(), less);
  std::vector<T> sorted;
  sorted.reserve(items.size());
  for (std::uint32_t i : order) sorted.push_back(std::move(items[i]));
  items.swap(sorted);
}

}  // namespace gradvy
