// The vector-backed FIFO behind the queue's pending lanes, the retired batch
// ids and the profile's activity window.
#include <gtest/gtest.h>

#include <deque>
#include <random>
#include <string>
#include <vector>

#include "gradvy/fifo.hpp"

using gradvy::Fifo;

namespace {

std::vector<std::string> contents(const Fifo<std::string>& fifo) { return {fifo.begin(), fifo.end()}; }

}  // namespace

TEST(Fifo, BehavesLikeADequeUnderRandomPushPopAndRemove) {
  std::mt19937 rng(11);
  Fifo<std::string> fifo;
  std::deque<std::string> model;
  for (int step = 0; step < 20000; ++step) {
    const unsigned op = rng() % 10;
    if (op < 6) {
      const std::string value = "e" + std::to_string(step) + std::string(rng() % 40, 'x');
      fifo.push_back(value);
      model.push_back(value);
    } else if (op < 9) {
      if (model.empty()) continue;
      ASSERT_EQ(fifo.front(), model.front());
      fifo.pop_front();
      model.pop_front();
    } else {
      const auto odd_length = [](const std::string& s) { return s.size() % 2 == 1; };
      std::size_t expected = 0;
      for (auto it = model.begin(); it != model.end();) {
        if (odd_length(*it)) { it = model.erase(it); ++expected; } else { ++it; }
      }
      ASSERT_EQ(fifo.remove_if(odd_length), expected);
    }
    ASSERT_EQ(fifo.size(), model.size());
    ASSERT_EQ(fifo.empty(), model.empty());
  }
  EXPECT_EQ(contents(fifo), std::vector<std::string>(model.begin(), model.end()));
}

TEST(Fifo, PoppingEverythingLeavesAnEmptyQueueThatStillWorks) {
  Fifo<std::string> fifo;
  for (int i = 0; i < 100; ++i) fifo.push_back(std::to_string(i));
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(fifo.front(), std::to_string(i));
    fifo.pop_front();
  }
  EXPECT_TRUE(fifo.empty());
  EXPECT_EQ(fifo.begin(), fifo.end());
  fifo.push_back("again");
  EXPECT_EQ(contents(fifo), std::vector<std::string>{"again"});
  fifo.clear();
  EXPECT_EQ(fifo.size(), 0u);
}
