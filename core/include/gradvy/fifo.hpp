// A first-in-first-out sequence kept in one vector: push at the back, pop at
// the front, iterate oldest first. std::deque costs 3-4 KB of wasm per element
// type (block map, split buffers); this is a vector plus the index of the
// front, compacted once half of the vector has been popped, so pop_front stays
// O(1) amortized and the elements stay contiguous.
#pragma once

#include <algorithm>
#include <cstddef>
#include <utility>
#include <vector>

namespace gradvy {

template <typename T>
class Fifo {
 public:
  using const_iterator = typename std::vector<T>::const_iterator;
  using iterator = typename std::vector<T>::iterator;

  bool empty() const { return head_ == items_.size(); }
  std::size_t size() const { return items_.size() - head_; }

  // Preconditions: !empty().
  T& front() { return items_[head_]; }
  const T& front() const { return items_[head_]; }

  void push_back(T value) { items_.push_back(std::move(value)); }

  // Precondition: !empty(). The popped slot is reset at once, so what it
  // owned (an event's text) is freed now, not at the next compaction.
  void pop_front() {
    items_[head_] = T();
    if (++head_ == items_.size()) {
      clear();
    } else if (head_ >= kMinCompaction && head_ * 2 >= items_.size()) {
      items_.erase(items_.begin(), items_.begin() + static_cast<std::ptrdiff_t>(head_));
      head_ = 0;
    }
  }

  // Removes every element for which pred(element) is true, keeping the order
  // of the rest; returns how many went.
  template <typename Pred>
  std::size_t remove_if(Pred pred) {
    const auto kept_end = std::remove_if(begin(), items_.end(), pred);
    const std::size_t removed = static_cast<std::size_t>(items_.end() - kept_end);
    items_.erase(kept_end, items_.end());
    if (empty()) clear();
    return removed;
  }

  void clear() {
    items_.clear();
    head_ = 0;
  }

  iterator begin() { return items_.begin() + static_cast<std::ptrdiff_t>(head_); }
  iterator end() { return items_.end(); }
  const_iterator begin() const { return items_.begin() + static_cast<std::ptrdiff_t>(head_); }
  const_iterator end() const { return items_.end(); }

 private:
  // Below this many popped slots the erase would cost more than it frees.
  static constexpr std::size_t kMinCompaction = 32;

  std::vector<T> items_;
  std::size_t head_ = 0;
};

}  // namespace gradvy
