// The offline-evaluation protocol's per-user temporal split (issue 3,
// "Offline evaluation"; results in docs/BENCHMARKS.md):
//  - eligible users touched at least `min_items` distinct items;
//  - their distinct items are ordered by first touch (ties: item id order);
//    the last floor(test_fraction · n) of them are held out as the test set;
//  - split time = first touch of the first held-out item; the user's training
//    part is every interaction strictly before it (so no held-out item is in it);
//  - users below `min_items` are not evaluated; their whole history is training
//    data for embeddings and popularity (it is other learners' past, not the
//    evaluated user's future).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "gradvy_sync/interaction_log.hpp"

namespace gradvy_sync {

struct EvalSplitOptions {
  std::size_t min_items = 10;
  double test_fraction = 0.2;
};

struct UserSplit {
  std::uint32_t user = 0;
  std::int64_t split_ts = 0;  // training = the user's interactions with ts < split_ts
  std::size_t train_begin = 0, train_end = 0;  // the training part in InteractionData::interactions
  std::vector<std::uint32_t> train_items;  // distinct items seen in training, sorted by index
  std::vector<std::uint32_t> test_items;   // held out, in first-touch order
};

// One entry per eligible user, in user order.
std::vector<UserSplit> temporal_split(const InteractionData& data, const EvalSplitOptions& options);

// `data` with only training interactions: eligible users' parts before their
// split, other users' whole histories. Users and items are unchanged.
InteractionData training_part(const InteractionData& data, const std::vector<UserSplit>& splits);

// The course a user studies: the most frequent course among the user's
// training items (ties: smaller name); empty if none of them has a course.
std::string user_course(const InteractionData& data, const UserSplit& split);

}  // namespace gradvy_sync
