// The offline evaluation (`gradvy-sync eval`) and the binary's command-line
// contract for embed/eval: known answers on hand-made fixtures, the
// personalization-must-win case, exit codes and messages, and (when the OULAD
// data is present) the goal on real data.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "gradvy_sync/eval_metrics.hpp"
#include "gradvy_sync/eval_popularity.hpp"
#include "gradvy_sync/eval_run.hpp"
#include "gradvy_sync/eval_split.hpp"
#include "gradvy_sync/interaction_log.hpp"

using namespace gradvy_sync;

namespace {

const std::string kFixtures = std::string(GRADVY_SOURCE_DIR) + "/tests/server/fixtures/eval/";

struct BinaryRun {
  int exit_code = -1;
  std::string out, err;
  std::map<std::string, std::string> values;  // parsed name=value lines of stdout
  double number(const std::string& name) const {
    auto it = values.find(name);
    return it == values.end() ? NAN : std::stod(it->second);
  }
};

std::string temp_path(const std::string& name) {
  return ::testing::TempDir() + "gradvy_eval_" + std::to_string(::getpid()) + "_" + name;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

BinaryRun run_binary(const std::string& args) {
  BinaryRun run;
  const std::string err_path = temp_path("stderr.txt");
  const std::string command = std::string("'") + GRADVY_SYNC_BINARY + "' " + args + " 2>'" + err_path + "'";
  FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) return run;
  char buffer[4096];
  std::size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) run.out.append(buffer, n);
  const int status = ::pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  run.err = slurp(err_path);
  std::remove(err_path.c_str());
  std::istringstream lines(run.out);
  for (std::string line; std::getline(lines, line);) {
    const auto eq = line.find('=');
    if (eq != std::string::npos) run.values[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return run;
}

std::string fixture_args(const std::string& name) {
  return "--interactions '" + kFixtures + name + "_interactions.csv' --items '" + kFixtures + name + "_items.csv'";
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

}  // namespace

// --- metrics ----------------------------------------------------------------------

TEST(EvalMetrics, NdcgAndRecallByHand) {
  const std::vector<std::uint32_t> ranked = {5, 1, 7, 2};
  EXPECT_DOUBLE_EQ(ndcg_at_k(ranked, {5, 2}, 10), (1.0 + 1.0 / std::log2(5.0)) / (1.0 + 1.0 / std::log2(3.0)));
  EXPECT_DOUBLE_EQ(ndcg_at_k(ranked, {1}, 10), 1.0 / std::log2(3.0));
  EXPECT_DOUBLE_EQ(ndcg_at_k(ranked, {5}, 10), 1.0);
  EXPECT_DOUBLE_EQ(ndcg_at_k(ranked, {2}, 3), 0.0);  // outside the cut-off
  // Recall divides by all held-out items, even when there are more than k.
  EXPECT_DOUBLE_EQ(recall_at_k(ranked, {5, 2, 9}, 10), 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(recall_at_k(ranked, {5, 2, 9}, 1), 1.0 / 3.0);
  RankingMetricsAccumulator acc(2);
  acc.add({1, 2, 3}, {1}, {1, 2, 3, 4});
  acc.add({2, 3}, {1}, {2, 3});
  const RankingMetrics m = acc.result();
  EXPECT_DOUBLE_EQ(m.ndcg, 0.5);
  EXPECT_DOUBLE_EQ(m.recall, 0.5);
  EXPECT_EQ(m.items_shown, 3u);      // top-2 lists {1, 2} and {2, 3}
  EXPECT_EQ(m.candidate_items, 4u);  // {1, 2, 3, 4}
  EXPECT_DOUBLE_EQ(m.coverage, 0.75);
}

// --- split and popularity on the known-answer fixture --------------------------------

TEST(EvalSplit, HoldsOutTheLastTwentyPercentByFirstTouch) {
  const InteractionData data = load_interaction_files(kFixtures + "popularity_interactions.csv",
                                                      kFixtures + "popularity_items.csv", {}, nullptr, nullptr);
  const auto splits = temporal_split(data, {});
  ASSERT_EQ(splits.size(), 2u);  // u3 has only 5 distinct items
  auto ids = [&](const std::vector<std::uint32_t>& items) {
    std::vector<std::string> out;
    for (auto i : items) out.push_back(data.items[i].id);
    return out;
  };
  EXPECT_EQ(data.users[splits[0].user], "u1");
  EXPECT_EQ(ids(splits[0].test_items), (std::vector<std::string>{"i09", "i10"}));
  EXPECT_EQ(ids(splits[1].test_items), (std::vector<std::string>{"i11", "i12"}));
  EXPECT_EQ(splits[0].train_items.size(), 8u);
  EXPECT_EQ(user_course(data, splits[0]), "C");

  const InteractionData train = training_part(data, splits);
  const auto pop = item_popularity(train);
  std::map<std::string, std::uint32_t> by_id;
  for (std::size_t i = 0; i < data.items.size(); ++i) by_id[data.items[i].id] = pop[i];
  EXPECT_EQ(by_id["i01"], 3u);
  EXPECT_EQ(by_id["i05"], 2u);
  EXPECT_EQ(by_id["i11"], 1u);  // u3 only: u2 touched it after the split
  EXPECT_EQ(by_id["i09"], 0u);
}

TEST(EvalCommand, PopularityBaselineMatchesTheHandComputedAnswer) {
  const BinaryRun k10 = run_binary("eval " + fixture_args("popularity") + " --quiet");
  ASSERT_EQ(k10.exit_code, 0) << k10.err;
  EXPECT_EQ(k10.values.at("users"), "2");
  EXPECT_EQ(k10.values.at("popularity.ndcg@10"), "0.7506");  // (1 + 0.501266) / 2, see fixtures/eval/README.md
  EXPECT_EQ(k10.values.at("popularity.recall@10"), "1.0000");
  EXPECT_EQ(k10.values.at("popularity.coverage@10"), "1.0000");
  EXPECT_TRUE(k10.values.count("personalized.ndcg@10"));
  EXPECT_TRUE(k10.values.count("personalized.coverage@10"));

  const BinaryRun k2 = run_binary("eval " + fixture_args("popularity") + " --k 2 --quiet");
  ASSERT_EQ(k2.exit_code, 0) << k2.err;
  EXPECT_EQ(k2.values.at("popularity.ndcg@2"), "0.5000");
  EXPECT_EQ(k2.values.at("popularity.recall@2"), "0.5000");
  EXPECT_EQ(k2.values.at("popularity.coverage@2"), "0.3333");
}

TEST(EvalCommand, PersonalizationWinsWhenLearnersFollowDifferentTracks) {
  const BinaryRun run = run_binary("eval " + fixture_args("tracks"));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.values.at("users"), "12");
  const double popular = run.number("popularity.ndcg@10");
  const double personal = run.number("personalized.ndcg@10");
  EXPECT_GT(personal, 1.3 * popular) << run.out;
  EXPECT_GT(run.number("personalized.recall@10"), run.number("popularity.recall@10"));
  EXPECT_EQ(run.values.at("personalized.fallback_users"), "0");
  EXPECT_NE(run.err.find("eval: split: 12 users evaluated"), std::string::npos) << run.err;  // progress on stderr
}

TEST(EvalCommand, ProductDefaultsAndJsonOverridesReachTheRealProfileAndReranker) {
  // Full diversity makes MMR pick dissimilar items: the order must change.
  const BinaryRun tuned = run_binary("eval " + fixture_args("tracks") + " --quiet");
  const BinaryRun diverse = run_binary("eval " + fixture_args("tracks") + " --quiet --rerank-options '{\"diversity\":1}'");
  ASSERT_EQ(tuned.exit_code, 0);
  ASSERT_EQ(diverse.exit_code, 0) << diverse.err;
  EXPECT_EQ(diverse.values.at("config.rerank"), "{\"diversity\":1}");
  EXPECT_NE(diverse.values.at("personalized.ndcg@10"), tuned.values.at("personalized.ndcg@10"));
  // The eval measures the shipped defaults: no overrides, same figures as --product-defaults.
  const BinaryRun product = run_binary("eval " + fixture_args("tracks") + " --quiet --product-defaults");
  ASSERT_EQ(product.exit_code, 0);
  EXPECT_EQ(product.values.at("config.profile"), "{}");
  EXPECT_EQ(tuned.values.at("config.profile"), "{}");
  EXPECT_EQ(tuned.values.at("config.rerank"), "{}");
  EXPECT_EQ(product.values.at("personalized.ndcg@10"), tuned.values.at("personalized.ndcg@10"));
  // A profile override reaches the profile: a 30-day short-term half-life is a different model.
  const BinaryRun slow = run_binary("eval " + fixture_args("tracks") +
                                    " --quiet --profile-config '{\"short_term_half_life_days\":30}'");
  ASSERT_EQ(slow.exit_code, 0) << slow.err;
  EXPECT_EQ(slow.values.at("config.profile"), "{\"short_term_half_life_days\":30}");
}

// --- the binary's command-line contract ------------------------------------------------

TEST(EmbedCommand, WritesTheDocumentAndReportsProgress) {
  const std::string out = temp_path("emb.json");
  const BinaryRun run = run_binary("embed " + fixture_args("tracks") + " --dim 8 --out '" + out + "'");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.err.find("embed: phase: svd"), std::string::npos) << run.err;
  const auto doc = nlohmann::json::parse(slurp(out), nullptr, false);
  ASSERT_FALSE(doc.is_discarded());
  EXPECT_EQ(doc["dim"], 8);
  EXPECT_EQ(doc["items"].size(), 34u);
  EXPECT_EQ(doc["items"][0]["vector"].size(), 8u);
  EXPECT_EQ(doc["meta"]["items_content"], 4);  // b14..b17: nobody walked that far
  const BinaryRun again = run_binary("embed " + fixture_args("tracks") + " --dim 8 --quiet --out -");
  EXPECT_EQ(again.out, slurp(out));  // deterministic, and stdout works
  EXPECT_TRUE(again.err.empty()) << again.err;
  std::remove(out.c_str());
}

TEST(EmbedCommand, BadArgumentsExitWithTwoAndNameTheProblem) {
  struct Case {
    std::string args, message;
  };
  const std::string ok = fixture_args("tracks");
  const Case cases[] = {
      {"embed", "gradvy-sync embed: --interactions is required"},
      {"embed " + ok, "gradvy-sync embed: --out is required"},
      {"embed " + ok + " --out x --dim 0", "--dim: expected an integer from 1 to 1024, got '0'"},
      {"embed " + ok + " --out x --dim many", "--dim: expected an integer from 1 to 1024, got 'many'"},
      {"embed " + ok + " --out x --colour red", "unknown option --colour"},
      {"embed " + ok + " --out x stray", "unexpected argument 'stray'"},
      {"embed " + ok + " --out", "--out needs a value"},
      {"eval --interactions a.csv", "gradvy-sync eval: --items is required"},
      {"eval " + ok + " --k 0", "--k: expected an integer from 1 to 1000, got '0'"},
      {"eval " + ok + " --profile-config '{\"half_life_days\":-1}'", "--profile-config: "},
      {"eval " + ok + " --rerank-options 'nope'", "--rerank-options: expected a JSON object"},
  };
  for (const Case& c : cases) {
    const BinaryRun run = run_binary(c.args);
    EXPECT_EQ(run.exit_code, 2) << c.args << "\n" << run.err;
    EXPECT_NE(run.err.find(c.message), std::string::npos) << c.args << "\n" << run.err;
    EXPECT_NE(run.err.find("usage: gradvy-sync"), std::string::npos) << c.args;
  }
  const BinaryRun help = run_binary("eval --help");
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("--profile-config"), std::string::npos);
}

TEST(EmbedCommand, BadInputExitsWithOneAndNamesFileAndLine) {
  const std::string bad = temp_path("bad.csv");
  write_file(bad, "user_id,item_id,ts\nu1,a,1\nu1,b,yesterday\n");
  BinaryRun run = run_binary("embed --interactions '" + bad + "' --out -");
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find(bad + ":3: column 'ts': expected integer epoch milliseconds, got 'yesterday'"),
            std::string::npos)
      << run.err;
  run = run_binary("embed --interactions '" + bad + "' --out - --skip-bad-rows");
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.err.find("skipped: " + bad + ":3:"), std::string::npos) << run.err;

  run = run_binary("eval --interactions /nonexistent/x.csv --items /nonexistent/y.csv");
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("/nonexistent/x.csv: cannot open file for reading"), std::string::npos) << run.err;

  run = run_binary("eval --interactions '" + kFixtures + "popularity_items.csv' --items '" + kFixtures +
                   "popularity_items.csv'");
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("popularity_items.csv:1: header must name the columns user_id, item_id, ts"),
            std::string::npos)
      << run.err;

  write_file(bad, "user_id,item_id,ts\nu1,a,1\nu1,b,2\n");
  run = run_binary("eval --interactions '" + bad + "' --items '" + kFixtures + "popularity_items.csv'");
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("no user has 10 or more distinct items"), std::string::npos) << run.err;
  std::remove(bad.c_str());
}

// --- real data (only where the shared OULAD extract exists) ---------------------------

TEST(EvalOnOulad, PersonalizedBeatsPopularityByThirtyPercent) {
  // OULAD (Kuzilek, Hlosta & Zdrahal 2017, CC BY 4.0; derived extract, see its README.md).
  const std::string dir = std::string(GRADVY_DATA_DIR) + "/oulad-aaa/";
  if (!std::ifstream(dir + "interactions.csv")) GTEST_SKIP() << "no OULAD extract at " << dir;
  const InteractionData data =
      load_interaction_files(dir + "interactions.csv", dir + "items.csv", {}, nullptr, nullptr);
  const EvalReport report = run_evaluation(data, EvalConfig::defaults());
  EXPECT_EQ(report.users, 724u);
  EXPECT_NEAR(report.popularity.ndcg, 0.269, 0.0005);    // the protocol figure
  EXPECT_NEAR(report.popularity.recall, 0.227, 0.0005);
  EXPECT_GE(report.personalized.ndcg, 1.3 * report.popularity.ndcg)
      << "personalized " << report.personalized.ndcg << " vs popularity " << report.popularity.ndcg;
  EXPECT_EQ(report.cold_fallbacks, 0u);
}

TEST(EvalOnOulad, SameDefaultsBeatPopularityOnEachCourseRunAlone) {
  // The goal says "the same defaults must also work on other course runs": each
  // presentation of AAA on its own (its own embeddings and popularity), no tuning.
  const std::string dir = std::string(GRADVY_DATA_DIR) + "/oulad-aaa/";
  std::ifstream all(dir + "interactions.csv");
  if (!all) GTEST_SKIP() << "no OULAD extract at " << dir;
  std::string header, line;
  std::getline(all, header);
  std::map<std::string, std::string> runs = {{"AAA-2013J", header + "\n"}, {"AAA-2014J", header + "\n"}};
  while (std::getline(all, line)) {
    for (auto& [run, text] : runs) {
      if (line.compare(0, run.size() + 1, run + "-") == 0) text += line + "\n";
    }
  }
  for (const auto& [run, text] : runs) {
    std::istringstream interactions(text);
    std::ifstream items(dir + "items.csv");
    const InteractionData data =
        load_interaction_data(interactions, run, &items, "items.csv", {}, nullptr, nullptr);
    const EvalReport report = run_evaluation(data, EvalConfig::defaults());
    EXPECT_GT(report.users, 300u) << run;
    EXPECT_GE(report.personalized.ndcg, 1.3 * report.popularity.ndcg)
        << run << ": personalized " << report.personalized.ndcg << " vs popularity " << report.popularity.ndcg;
  }
}
