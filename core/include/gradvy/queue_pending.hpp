// The queue's pending events (not yet in a batch), in push order.
// Kept in two lanes, essential and the rest, so that overflow can evict the
// oldest NON-essential event in O(1) however many essential events sit in
// front of it; the lanes merge back by push order wherever order matters.
#pragma once

#include <cstddef>
#include <cstdint>
#include "gradvy/fifo.hpp"
#include "gradvy/purpose.hpp"
#include "gradvy/queue_event.hpp"

namespace gradvy {

class PendingLanes {
 public:
  struct Entry {
    QueuedEvent event;
    std::int64_t enqueued_at_ms;
    std::uint64_t order;  // push order across both lanes
  };

  void push_back(QueuedEvent&& event, std::int64_t enqueued_at_ms);

  bool empty() const { return essential_.empty() && other_.empty(); }
  std::size_t size() const { return essential_.size() + other_.size(); }
  std::uint64_t bytes() const { return bytes_; }
  std::size_t essential_count() const { return essential_.size(); }
  std::uint64_t essential_bytes() const { return essential_bytes_; }
  bool has_evictable() const { return !other_.empty(); }

  // Oldest by push order. Precondition: !empty().
  const Entry& front() const { return front_lane().front(); }

  // Removes and returns the oldest event. Precondition: !empty().
  QueuedEvent pop_front();

  // Drops the oldest non-essential event. Precondition: has_evictable().
  void evict_oldest_non_essential();

  // Removes every event of `purpose`; returns how many.
  std::size_t remove_purpose(Purpose purpose);

  void clear();

  // Visits every entry in push order.
  template <typename Fn>
  void for_each_in_order(Fn&& fn) const {
    auto e = essential_.begin();
    auto o = other_.begin();
    while (e != essential_.end() || o != other_.end()) {
      if (o == other_.end() || (e != essential_.end() && e->order < o->order)) {
        fn(*e++);
      } else {
        fn(*o++);
      }
    }
  }

 private:
  Fifo<Entry>& front_lane();
  const Fifo<Entry>& front_lane() const;

  Fifo<Entry> essential_;
  Fifo<Entry> other_;
  std::uint64_t bytes_ = 0;
  std::uint64_t essential_bytes_ = 0;
  std::uint64_t next_order_ = 0;
};

}  // namespace gradvy
