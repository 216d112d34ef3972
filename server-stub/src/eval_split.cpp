#include "gradvy_sync/eval_split.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <unordered_map>

namespace gradvy_sync {

std::vector<UserSplit> temporal_split(const InteractionData& data, const EvalSplitOptions& options) {
  std::vector<UserSplit> splits;
  const auto ranges = data.user_ranges();
  std::unordered_map<std::uint32_t, std::int64_t> first_touch;
  for (std::uint32_t user = 0; user < ranges.size(); ++user) {
    const auto [begin, end] = ranges[user];
    first_touch.clear();
    for (std::size_t i = begin; i < end; ++i) {
      first_touch.emplace(data.interactions[i].item, data.interactions[i].ts_ms);  // rows are time-ordered
    }
    const std::size_t n = first_touch.size();
    if (n < options.min_items || n == 0) continue;
    // floor(n · fraction); the epsilon keeps 0.2 · 15 from landing on 2.9999.
    const auto n_test = static_cast<std::size_t>(std::floor(static_cast<double>(n) * options.test_fraction + 1e-9));
    if (n_test == 0 || n_test >= n) continue;
    std::vector<std::pair<std::int64_t, std::uint32_t>> order;
    order.reserve(n);
    for (const auto& [item, ts] : first_touch) order.emplace_back(ts, item);
    std::sort(order.begin(), order.end());
    UserSplit split;
    split.user = user;
    split.split_ts = order[n - n_test].first;
    for (std::size_t i = n - n_test; i < n; ++i) split.test_items.push_back(order[i].second);
    split.train_begin = begin;
    split.train_end = begin;
    while (split.train_end < end && data.interactions[split.train_end].ts_ms < split.split_ts) ++split.train_end;
    for (std::size_t i = split.train_begin; i < split.train_end; ++i) split.train_items.push_back(data.interactions[i].item);
    std::sort(split.train_items.begin(), split.train_items.end());
    split.train_items.erase(std::unique(split.train_items.begin(), split.train_items.end()), split.train_items.end());
    splits.push_back(std::move(split));
  }
  return splits;
}

InteractionData training_part(const InteractionData& data, const std::vector<UserSplit>& splits) {
  InteractionData out;
  out.users = data.users;
  out.items = data.items;
  out.has_course = data.has_course;
  std::vector<std::int64_t> cutoff(data.users.size(), INT64_MAX);
  for (const auto& s : splits) cutoff[s.user] = s.split_ts;
  out.interactions.reserve(data.interactions.size());
  for (const auto& x : data.interactions) {
    if (x.ts_ms < cutoff[x.user]) out.interactions.push_back(x);
  }
  return out;
}

std::string user_course(const InteractionData& data, const UserSplit& split) {
  std::map<std::string, std::size_t> counts;
  for (std::size_t i = split.train_begin; i < split.train_end; ++i) {
    const std::string& course = data.items[data.interactions[i].item].course;
    if (!course.empty()) ++counts[course];
  }
  std::string best;
  std::size_t best_count = 0;
  for (const auto& [course, count] : counts) {
    if (count > best_count) {
      best = course;
      best_count = count;
    }
  }
  return best;
}

}  // namespace gradvy_sync
