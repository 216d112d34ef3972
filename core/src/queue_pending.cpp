#include "gradvy/queue_pending.hpp"

#include <utility>

namespace gradvy {

void PendingLanes::push_back(QueuedEvent&& event, std::int64_t enqueued_at_ms) {
  const std::uint64_t size = event.json.size();
  bytes_ += size;
  if (event.purpose == Purpose::essential) {
    essential_bytes_ += size;
    essential_.push_back(Entry{std::move(event), enqueued_at_ms, next_order_++});
  } else {
    other_.push_back(Entry{std::move(event), enqueued_at_ms, next_order_++});
  }
}

QueuedEvent PendingLanes::pop_front() {
  Fifo<Entry>& lane = front_lane();
  QueuedEvent event = std::move(lane.front().event);
  const std::uint64_t size = event.json.size();
  bytes_ -= size;
  if (&lane == &essential_) essential_bytes_ -= size;
  lane.pop_front();
  return event;
}

void PendingLanes::evict_oldest_non_essential() {
  bytes_ -= other_.front().event.json.size();
  other_.pop_front();
}

std::size_t PendingLanes::remove_purpose(Purpose purpose) {
  Fifo<Entry>& lane = purpose == Purpose::essential ? essential_ : other_;
  std::uint64_t removed_bytes = 0;
  const std::size_t removed = lane.remove_if([&](const Entry& e) {
    if (e.event.purpose != purpose) return false;
    removed_bytes += e.event.json.size();
    return true;
  });
  bytes_ -= removed_bytes;
  if (&lane == &essential_) essential_bytes_ -= removed_bytes;
  return removed;
}

void PendingLanes::clear() {
  essential_.clear();
  other_.clear();
  bytes_ = 0;
  essential_bytes_ = 0;
}

Fifo<PendingLanes::Entry>& PendingLanes::front_lane() {
  if (other_.empty()) return essential_;
  if (essential_.empty()) return other_;
  return essential_.front().order < other_.front().order ? essential_ : other_;
}

const Fifo<PendingLanes::Entry>& PendingLanes::front_lane() const {
  if (other_.empty()) return essential_;
  if (essential_.empty()) return other_;
  return essential_.front().order < other_.front().order ? essential_ : other_;
}

}  // namespace gradvy
