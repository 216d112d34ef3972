#include "gradvy_sync/eval_popularity.hpp"

#include <algorithm>

namespace gradvy_sync {

std::vector<std::uint32_t> item_popularity(const InteractionData& data) {
  std::vector<std::uint32_t> popularity(data.items.size(), 0);
  std::vector<std::uint32_t> last_user(data.items.size(), UINT32_MAX);
  for (const auto& x : data.interactions) {
    if (last_user[x.item] == x.user) continue;
    // Rows are grouped by user, so an item repeats for a user only within
    // that user's run; track the last user per item.
    last_user[x.item] = x.user;
    ++popularity[x.item];
  }
  return popularity;
}

std::vector<std::uint32_t> rank_by_popularity(std::vector<std::uint32_t> candidates,
                                              const std::vector<std::uint32_t>& popularity) {
  std::sort(candidates.begin(), candidates.end(), [&](std::uint32_t a, std::uint32_t b) {
    if (popularity[a] != popularity[b]) return popularity[a] > popularity[b];
    return a < b;
  });
  return candidates;
}

}  // namespace gradvy_sync
