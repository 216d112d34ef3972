// Local-only aggregates: fixed key domain, Laplace noise of the documented
// scale, windows, and snapshot restore.
#include <gtest/gtest.h>

#include <cmath>

#include "gradvy/aggregate.hpp"

namespace gradvy {
namespace {

TEST(LaplaceNoise, HasZeroMeanAndTheDocumentedScale) {
  Rng rng(42);
  const double scale = 2.0;
  const int n = 200000;
  double sum = 0, sum_abs = 0;
  for (int i = 0; i < n; ++i) {
    const double x = laplace_noise(scale, rng);
    ASSERT_TRUE(std::isfinite(x));
    sum += x;
    sum_abs += std::fabs(x);
  }
  // E[X] = 0 and E|X| = scale for Laplace(0, scale).
  EXPECT_NEAR(sum / n, 0.0, 0.03);
  EXPECT_NEAR(sum_abs / n, scale, 0.03);
}

TEST(LocalAggregates, KeysOfBuiltInAndCustomTypes) {
  EXPECT_EQ(LocalAggregates::keys()[*LocalAggregates::key_index("course_interaction", "complete")],
            "course_interaction.complete");
  EXPECT_EQ(LocalAggregates::keys()[*LocalAggregates::key_index("x_streak", "")], "custom");
  EXPECT_EQ(LocalAggregates::keys()[*LocalAggregates::key_index("page_view", "")], "page_view");
  EXPECT_FALSE(LocalAggregates::key_index("course_interaction", "teleport").has_value());
  EXPECT_FALSE(LocalAggregates::key_index("custom", "").has_value());
}

TEST(LocalAggregates, ReleaseCoversTheWholeDomainAndStartsANewWindow) {
  LocalAggregates agg;
  Rng rng(7);
  for (int i = 0; i < 100; ++i) agg.count("page_view", "", 1000 + i);
  agg.count("course_interaction", "complete", 5000);
  EXPECT_EQ(agg.total(), 101u);

  const auto report = agg.release(1.0, 9000, rng);
  EXPECT_EQ(report["from_ms"], 1000);
  EXPECT_EQ(report["to_ms"], 9000);
  EXPECT_EQ(report["counts"].size(), LocalAggregates::kKeyCount);  // zero keys too: the key set leaks nothing
  EXPECT_NEAR(report["counts"]["page_view"].get<double>(), 100.0, 25.0);
  EXPECT_TRUE(agg.empty());
  const auto next = agg.release(1.0, 9500, rng);
  EXPECT_EQ(next["from_ms"], 9500);
}

TEST(LocalAggregates, SameSeedSameNoise) {
  LocalAggregates a, b;
  Rng ra(3), rb(3);
  a.count("search", "", 1);
  b.count("search", "", 1);
  EXPECT_EQ(a.release(0.5, 10, ra).dump(), b.release(0.5, 10, rb).dump());
}

TEST(LocalAggregates, SnapshotRoundTripAndCorruptDocumentsLeaveStateAlone) {
  LocalAggregates agg;
  agg.count("quiz_attempt", "", 77);
  agg.count("quiz_attempt", "", 78);
  LocalAggregates copy;
  ASSERT_TRUE(copy.restore(agg.to_json()).ok());
  EXPECT_EQ(copy.to_json(), agg.to_json());
  EXPECT_EQ(copy.total(), 2u);

  for (const char* bad : {R"({"from_ms":1,"counts":{"nope":1}})", R"({"from_ms":1,"counts":{"search":-1}})",
                          R"({"from_ms":null,"counts":{"search":2}})", R"([1])", R"({"counts":{}})"}) {
    const Status s = copy.restore(nlohmann::json::parse(bad));
    EXPECT_EQ(s.code(), ErrorCode::snapshot_corrupt) << bad;
    EXPECT_EQ(copy.total(), 2u) << bad;
  }
}

}  // namespace
}  // namespace gradvy
