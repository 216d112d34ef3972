// The non-personalized baseline of the offline evaluation: candidates ordered
// by training popularity = the number of distinct learners who touched the
// item in the training part (ties: item id order). Distinct learners rather
// than clicks, so one heavy user cannot make an item "popular".
#pragma once

#include <cstdint>
#include <vector>

#include "gradvy_sync/interaction_log.hpp"

namespace gradvy_sync {

// Distinct users per item over data.interactions, indexed by item.
std::vector<std::uint32_t> item_popularity(const InteractionData& data);

// `candidates` sorted by popularity, descending; ties by item index (= id order).
std::vector<std::uint32_t> rank_by_popularity(std::vector<std::uint32_t> candidates,
                                              const std::vector<std::uint32_t>& popularity);

}  // namespace gradvy_sync
