#include <gtest/gtest.h>

#include <set>

#include "gradvy/purpose.hpp"
#include "gradvy/random.hpp"
#include "gradvy/status.hpp"

using namespace gradvy;

TEST(Status, CodesHaveStableNames) {
  EXPECT_EQ(to_string(ErrorCode::invalid_event), "invalid_event");
  EXPECT_EQ(to_string(ErrorCode::invalid_tc_string), "invalid_tc_string");
  Status s(ErrorCode::event_too_large, "event is 40000 bytes; the limit is 32768");
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(Status().ok());
}

TEST(Result, CarriesValueOrStatus) {
  Result<int> good(7);
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(*good, 7);
  Result<int> bad(ErrorCode::not_found, "no such batch");
  EXPECT_FALSE(bad.ok());
  EXPECT_EQ(bad.code(), ErrorCode::not_found);
  EXPECT_EQ(bad.message(), "no such batch");
}

TEST(Purpose, RoundTripsEveryName) {
  for (int i = 0; i < kPurposeCount; ++i) {
    const auto p = static_cast<Purpose>(i);
    auto parsed = parse_purpose(to_string(p));
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(*parsed, p);
  }
  EXPECT_FALSE(parse_purpose("Analytics").has_value());
  EXPECT_FALSE(parse_purpose("").has_value());
}

TEST(PurposeSet, AddsAndRemoves) {
  auto s = PurposeSet::only(Purpose::essential).with(Purpose::analytics);
  EXPECT_TRUE(s.contains(Purpose::analytics));
  EXPECT_FALSE(s.contains(Purpose::marketing));
  EXPECT_FALSE(s.without(Purpose::analytics).contains(Purpose::analytics));
  EXPECT_EQ(PurposeSet::all().bits(), 0x3F);
}

TEST(Rng, SameSeedSameSequenceAndRestorableState) {
  Rng a(42), b(42), c(43);
  EXPECT_EQ(a.next_u64(), b.next_u64());
  EXPECT_NE(a.next_u64(), c.next_u64());
  Rng d(1);
  d.next_u64();
  Rng e(999);
  e.set_state(d.state());
  EXPECT_EQ(d.next_u64(), e.next_u64());
}

TEST(Rng, Uuid4IsWellFormedAndUnique) {
  Rng r(7);
  std::set<std::string> seen;
  for (int i = 0; i < 10000; ++i) {
    const std::string id = r.uuid4();
    ASSERT_EQ(id.size(), 36u);
    EXPECT_EQ(id[14], '4');
    EXPECT_TRUE(id[19] == '8' || id[19] == '9' || id[19] == 'a' || id[19] == 'b');
    EXPECT_TRUE(seen.insert(id).second);
  }
}

TEST(Rng, NextBelowAndDoubleStayInRange) {
  Rng r(3);
  for (int i = 0; i < 10000; ++i) {
    EXPECT_LT(r.next_below(10), 10u);
    const double d = r.next_double();
    EXPECT_GE(d, 0.0);
    EXPECT_LT(d, 1.0);
  }
}
