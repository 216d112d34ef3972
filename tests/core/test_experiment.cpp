// Experiment assignment: stable, validated, distributed like the weights.
#include <gtest/gtest.h>

#include <map>

#include <nlohmann/json.hpp>

#include "gradvy/experiment.hpp"

using namespace gradvy;

TEST(Experiment, SameInputsSameVariantAndKnownValues) {
  const std::vector<ExperimentVariant> v = {{"control", 1}, {"treatment", 1}};
  auto a = assign_variant("user-42", "onboarding-v2", v);
  auto b = assign_variant("user-42", "onboarding-v2", v);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->variant, b->variant);
  EXPECT_EQ(a->bucket, b->bucket);
  // Pinned values: a change here would silently reshuffle every running
  // experiment, and wasm must produce exactly these too.
  EXPECT_EQ(fnv1a64(""), 0xcbf29ce484222325ull);
  EXPECT_EQ(fnv1a64("a"), 0xaf63dc4c8601ec8cull);
  EXPECT_DOUBLE_EQ(experiment_bucket("user-42", "onboarding-v2"), experiment_bucket("user-42", "onboarding-v2"));
  EXPECT_NE(experiment_bucket("user-42", "onboarding-v2"), experiment_bucket("user-42", "onboarding-v3"));
}

TEST(Experiment, DistributionFollowsWeightsOver10kUsers) {
  const std::vector<ExperimentVariant> v = {{"a", 0.5}, {"b", 0.3}, {"c", 0.2}};
  std::map<std::string, int> counts;
  for (int i = 0; i < 10000; ++i) counts[assign_variant("u" + std::to_string(i), "exp-1", v)->variant]++;
  EXPECT_NEAR(counts["a"] / 10000.0, 0.5, 0.02);
  EXPECT_NEAR(counts["b"] / 10000.0, 0.3, 0.02);
  EXPECT_NEAR(counts["c"] / 10000.0, 0.2, 0.02);
  // Zero-weight variants get nobody.
  const std::vector<ExperimentVariant> off = {{"a", 1}, {"off", 0}};
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(assign_variant("u" + std::to_string(i), "e", off)->variant, "a");
}

TEST(Experiment, ExperimentsAreIndependent) {
  const std::vector<ExperimentVariant> v = {{"a", 1}, {"b", 1}};
  int same = 0;
  for (int i = 0; i < 10000; ++i) {
    const std::string u = "u" + std::to_string(i);
    same += assign_variant(u, "exp-1", v)->variant == assign_variant(u, "exp-2", v)->variant;
  }
  EXPECT_NEAR(same / 10000.0, 0.5, 0.03);
}

TEST(Experiment, InvalidWeightsAreRefused) {
  EXPECT_EQ(assign_variant("u", "e", {}).code(), ErrorCode::invalid_argument);
  EXPECT_EQ(assign_variant("u", "e", {{"a", -1}}).code(), ErrorCode::invalid_argument);
  EXPECT_EQ(assign_variant("u", "e", {{"a", std::nan("")}}).code(), ErrorCode::invalid_argument);
  EXPECT_EQ(assign_variant("u", "e", {{"a", 0}, {"b", 0}}).code(), ErrorCode::invalid_argument);
  EXPECT_EQ(assign_variant("u", "e", {{"a", 1}, {"a", 1}}).code(), ErrorCode::invalid_argument);
  EXPECT_EQ(assign_variant("", "e", {{"a", 1}}).code(), ErrorCode::invalid_argument);
  EXPECT_EQ(assign_variant("u", "", {{"a", 1}}).code(), ErrorCode::invalid_argument);
  auto parsed = variants_from_json(nlohmann::json::parse(R"([{"name":"x","weight":2},{"name":"y","weight":1}])"));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ((*parsed)[0].name, "x");
  auto from_object = variants_from_json(nlohmann::json::parse(R"({"b":1,"a":3})"));
  ASSERT_TRUE(from_object.ok());
  EXPECT_EQ((*from_object)[0].name, "a");
  auto bad = variants_from_json(nlohmann::json::parse(R"([{"name":"x","weight":"lots"}])"));
  EXPECT_EQ(bad.code(), ErrorCode::invalid_argument);
  EXPECT_NE(bad.message().find("variants[0].weight"), std::string::npos);
}
