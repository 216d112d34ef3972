#include "gradvy/sort_order.hpp"

#include <algorithm>

namespace gradvy {

namespace {

// Equal by `less` falls back to the index: a total order, so std::sort's
// result is unique (and therefore stable).
struct ByIndexThenPosition {
  IndexLess less;
  const void* context;
  bool operator()(std::uint32_t a, std::uint32_t b) const {
    if (less(context, a, b)) return true;
    if (less(context, b, a)) return false;
    return a < b;
  }
};

}  // namespace

void sort_indices(std::uint32_t* order, std::size_t n, IndexLess less, const void* context) {
  std::sort(order, order + n, ByIndexThenPosition{less, context});
}

}  // namespace gradvy
