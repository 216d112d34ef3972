// The one sort the core's cold paths share: results must match std::stable_sort.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "gradvy/sort_order.hpp"

using gradvy::sort_stable;
using gradvy::sorted_order;

TEST(SortOrder, MatchesStableSortOnRandomKeysWithManyTies) {
  std::mt19937 rng(7);
  for (std::size_t n : {0u, 1u, 2u, 3u, 17u, 31u, 200u, 5000u}) {
    std::vector<std::pair<int, int>> items(n);  // (key with ties, original position)
    for (std::size_t i = 0; i < n; ++i) items[i] = {static_cast<int>(rng() % 7), static_cast<int>(i)};
    auto expected = items;
    const auto by_key = [](const std::pair<int, int>& a, const std::pair<int, int>& b) { return a.first < b.first; };
    std::stable_sort(expected.begin(), expected.end(), by_key);
    sort_stable(items, by_key);
    EXPECT_EQ(items, expected) << "n=" << n;
  }
}

TEST(SortOrder, OrderIsThePermutationThatSorts) {
  const std::vector<std::string> ids = {"c", "a", "b", "a"};
  const auto order = sorted_order(ids.data(), ids.size(), [](const std::string& a, const std::string& b) { return a < b; });
  EXPECT_EQ(order, (std::vector<std::uint32_t>{1, 3, 2, 0}));
}

TEST(SortOrder, MovesOnlyTypesAndDescendingComparators) {
  std::vector<std::unique_ptr<int>> items;
  for (int v : {3, 9, 1, 9, 4}) items.push_back(std::make_unique<int>(v));
  const int* first_nine = items[1].get();
  sort_stable(items, [](const auto& a, const auto& b) { return *a > *b; });
  std::vector<int> values;
  for (const auto& p : items) values.push_back(*p);
  EXPECT_EQ(values, (std::vector<int>{9, 9, 4, 3, 1}));
  EXPECT_EQ(items[0].get(), first_nine);  // the earlier of two equal items stays first
}
