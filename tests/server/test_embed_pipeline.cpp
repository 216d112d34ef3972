// CSV reader, PPMI, spectral embedding and the `embed` document: the parts of
// `gradvy-sync embed` a user of the output would notice.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "gradvy/random.hpp"
#include "gradvy_sync/csv_reader.hpp"
#include "gradvy_sync/embed_items.hpp"
#include "gradvy_sync/interaction_log.hpp"
#include "gradvy_sync/ppmi_matrix.hpp"
#include "gradvy_sync/svd_embedding.hpp"

using namespace gradvy_sync;

namespace {

std::vector<std::vector<std::string>> read_all(const std::string& text) {
  std::istringstream in(text);
  CsvReader reader(in, "t.csv");
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  while (reader.next_row(row)) rows.push_back(row);
  return rows;
}

InteractionData load(const std::string& interactions, const std::string& items = "", bool skip = false,
                     CsvReadReport* report = nullptr) {
  std::istringstream in(interactions);
  std::istringstream items_in(items);
  CsvReadOptions options;
  options.skip_bad_rows = skip;
  return load_interaction_data(in, "log.csv", items.empty() ? nullptr : &items_in, "items.csv", options, report,
                               nullptr);
}

std::string csv_error_of(const std::string& interactions, const std::string& items = "") {
  try {
    load(interactions, items);
  } catch (const CsvError& e) {
    return e.what();
  }
  return "(no error)";
}

double cosine(const Eigen::MatrixXf& v, Eigen::Index a, Eigen::Index b) {
  return v.row(a).dot(v.row(b)) / (v.row(a).norm() * v.row(b).norm());
}

}  // namespace

// --- CSV reader ---------------------------------------------------------------

TEST(CsvReader, QuotedFieldsCrLfAndBom) {
  const auto rows = read_all("\xEF\xBB\xBFuser_id,note\r\nu1,\"a, b\"\r\n\r\nu2,\"say \"\"hi\"\"\"\nu3,\"two\nlines\",x\n");
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0][0], "user_id");  // BOM stripped
  EXPECT_EQ(rows[1][1], "a, b");
  EXPECT_EQ(rows[2][1], "say \"hi\"");
  EXPECT_EQ(rows[3][1], "two\nlines");
  EXPECT_EQ(rows[3].size(), 3u);
}

TEST(CsvReader, ReportsTheLineARecordStartedOn) {
  std::istringstream in("h\n\"multi\nline\"\nnext\n");
  CsvReader reader(in, "t.csv");
  std::vector<std::string> row;
  ASSERT_TRUE(reader.next_row(row));
  EXPECT_EQ(reader.line(), 1u);
  ASSERT_TRUE(reader.next_row(row));
  EXPECT_EQ(reader.line(), 2u);
  ASSERT_TRUE(reader.next_row(row));
  EXPECT_EQ(reader.line(), 4u);
}

TEST(CsvReader, UnterminatedQuoteNamesItsLine) {
  try {
    read_all("a,b\nc,d\ne,\"never closed\nf,g\n");
    FAIL() << "expected CsvError";
  } catch (const CsvError& e) {
    EXPECT_EQ(e.line(), 3u);
    EXPECT_NE(std::string(e.what()).find("t.csv:3: unterminated quoted field"), std::string::npos) << e.what();
  }
}

TEST(CsvReader, GarbageAfterClosingQuoteIsAnError) {
  try {
    read_all("a,b\n\"x\"y,z\n");
    FAIL() << "expected CsvError";
  } catch (const CsvError& e) {
    EXPECT_EQ(e.line(), 2u);
  }
}

TEST(CsvReader, StrictNumbersAndIdOrder) {
  EXPECT_EQ(csv_parse_int(" 42 "), 42);
  EXPECT_FALSE(csv_parse_int("42x"));
  EXPECT_FALSE(csv_parse_int(""));
  EXPECT_FALSE(csv_parse_int("99999999999999999999999"));
  EXPECT_FALSE(csv_parse_double("nan"));
  EXPECT_DOUBLE_EQ(*csv_parse_double("2.5"), 2.5);
  EXPECT_TRUE(csv_id_less("9", "10"));
  EXPECT_FALSE(csv_id_less("10", "9"));
  EXPECT_TRUE(csv_id_less("10", "a"));
  EXPECT_TRUE(csv_id_less("a10", "a9"));  // non-digit ids: byte order
}

// --- interaction log ------------------------------------------------------------

TEST(InteractionLog, FindsColumnsByNameInAnyOrder) {
  const auto data = load("weight,ts,extra,item_id,USER_ID\n3,2000,x,b,u2\n1,1000,y,a,u1\n2,500,z,b,u1\n");
  ASSERT_EQ(data.users.size(), 2u);
  ASSERT_EQ(data.interactions.size(), 3u);
  EXPECT_EQ(data.users[0], "u1");
  // u1's history is time-ordered: b@500 then a@1000.
  EXPECT_EQ(data.items[data.interactions[0].item].id, "b");
  EXPECT_EQ(data.interactions[0].ts_ms, 500);
  EXPECT_DOUBLE_EQ(data.interactions[0].weight, 2.0);
  EXPECT_EQ(data.items[data.interactions[1].item].id, "a");
}

TEST(InteractionLog, HeaderlessFileIsReadPositionally) {
  const auto data = load("u1,a,1000\nu1,b,2000\n");
  EXPECT_EQ(data.interactions.size(), 2u);
  EXPECT_DOUBLE_EQ(data.interactions[0].weight, 1.0);
}

TEST(InteractionLog, ErrorsNameFileLineAndColumn) {
  EXPECT_EQ(csv_error_of("user_id,item_id,ts\nu1,a,1000\nu1,b,noon\n"),
            "log.csv:3: column 'ts': expected integer epoch milliseconds, got 'noon'");
  EXPECT_EQ(csv_error_of("user_id,item_id,ts,weight\nu1,a,1000,-2\n"),
            "log.csv:2: column 'weight': expected a positive number, got '-2'");
  EXPECT_EQ(csv_error_of("user_id,item_id,ts\nu1,a\n"), "log.csv:2: expected at least 3 columns, found 2");
  EXPECT_EQ(csv_error_of("user_id,item_id,ts\n,a,5\n"), "log.csv:2: column 'user_id': empty");
  EXPECT_NE(csv_error_of("user,item,time\nu1,a,1\n").find("log.csv:1: header must name the columns user_id, item_id, ts"),
            std::string::npos);
  EXPECT_EQ(csv_error_of("", ""), "log.csv:1: empty file: expected a header row naming user_id, item_id, ts");
  EXPECT_EQ(csv_error_of("user_id,item_id,ts\nu1,a,1\n", "item_id,course\na,C\na,D\n"),
            "items.csv:3: column 'item_id': duplicate id 'a'");
}

TEST(InteractionLog, SkipBadRowsCountsAndKeepsGoodRows) {
  CsvReadReport report;
  const auto data = load("user_id,item_id,ts\nu1,a,1\nu1,b,x\nu1,c\nu2,a,3\n", "", true, &report);
  EXPECT_EQ(data.interactions.size(), 2u);
  EXPECT_EQ(report.rows, 2u);
  EXPECT_EQ(report.skipped_rows, 2u);
  ASSERT_EQ(report.warnings.size(), 2u);
  EXPECT_EQ(report.warnings[0].rfind("log.csv:3:", 0), 0u) << report.warnings[0];
}

TEST(InteractionLog, CatalogueItemsWithoutInteractionsAreKept) {
  const auto data = load("user_id,item_id,ts\nu1,10,1\nu1,z,2\n", "item_id,course,activity_type\n9,C,quiz\n10,C,page\n");
  ASSERT_EQ(data.items.size(), 3u);
  EXPECT_EQ(data.items[0].id, "9");  // numeric order, then non-digit ids
  EXPECT_EQ(data.items[1].id, "10");
  EXPECT_EQ(data.items[2].id, "z");
  EXPECT_TRUE(data.items[0].in_catalogue);
  EXPECT_FALSE(data.items[2].in_catalogue);
  EXPECT_EQ(data.items[0].activity_type, "quiz");
}

// --- PPMI ----------------------------------------------------------------------

TEST(Ppmi, CooccurrenceCountsEachLearnerOncePerPairWithinTheWindow) {
  const std::int64_t day = 86400000;
  // u1: a, b, a (all within a day) then c ten days later. u2: a, c same day.
  const auto data = load("user_id,item_id,ts\nu1,a,0\nu1,b,1000\nu1,a,2000\nu1,c," + std::to_string(10 * day) +
                         "\nu2,a,0\nu2,c,5\n");
  const SparseMatrix week = cooccurrence_counts(data.interactions, 3, {7 * day});
  EXPECT_DOUBLE_EQ(week.coeff(0, 1), 1.0);  // a–b: u1 once, although twice in time
  EXPECT_DOUBLE_EQ(week.coeff(1, 0), 1.0);
  EXPECT_DOUBLE_EQ(week.coeff(0, 2), 1.0);  // a–c: only u2 within 7 days
  EXPECT_DOUBLE_EQ(week.coeff(1, 2), 0.0);
  EXPECT_DOUBLE_EQ(week.coeff(0, 0), 0.0);
  const SparseMatrix whole = cooccurrence_counts(data.interactions, 3, {0});
  EXPECT_DOUBLE_EQ(whole.coeff(0, 2), 2.0);
  EXPECT_DOUBLE_EQ(whole.coeff(1, 2), 1.0);
}

TEST(Ppmi, MatchesHandComputedValues) {
  // Counts: #(0,1)=2, #(0,2)=1, #(1,2)=1. Row sums 3, 3, 2; D = 8.
  SparseMatrix counts(3, 3);
  std::vector<Eigen::Triplet<double, std::int64_t>> t = {{0, 1, 2}, {1, 0, 2}, {0, 2, 1}, {2, 0, 1}, {1, 2, 1}, {2, 1, 1}};
  counts.setFromTriplets(t.begin(), t.end());

  // alpha = 1: plain PPMI, symmetric: log(#ab · D / (#a · #b)).
  const SparseMatrix plain = ppmi(counts, 1.0);
  EXPECT_NEAR(plain.coeff(0, 1), std::log(2.0 * 8 / (3 * 3)), 1e-12);
  EXPECT_NEAR(plain.coeff(0, 2), std::log(1.0 * 8 / (3 * 2)), 1e-12);
  EXPECT_NEAR(plain.coeff(2, 1), std::log(1.0 * 8 / (3 * 2)), 1e-12);
  EXPECT_DOUBLE_EQ(plain.coeff(1, 1), 0.0);

  // alpha = 0.75: contexts smoothed, Σ #(c)^0.75 = 2·3^0.75 + 2^0.75; then (M + Mᵀ)/2.
  const double z = 2 * std::pow(3.0, 0.75) + std::pow(2.0, 0.75);
  const SparseMatrix smooth = ppmi(counts, 0.75);
  EXPECT_NEAR(smooth.coeff(0, 1), std::log(2.0 * z / (3 * std::pow(3.0, 0.75))), 1e-12);
  const double pmi_02 = std::log(1.0 * z / (3 * std::pow(2.0, 0.75)));  // row 0, context 2
  const double pmi_20 = std::log(1.0 * z / (2 * std::pow(3.0, 0.75)));  // row 2, context 0
  EXPECT_NEAR(smooth.coeff(0, 2), 0.5 * (pmi_02 + pmi_20), 1e-12);
  EXPECT_NEAR(smooth.coeff(2, 0), smooth.coeff(0, 2), 1e-15);
  EXPECT_NEAR(smooth.coeff(0, 2), 0.2633, 1e-4);  // the number worked out by hand
}

TEST(Ppmi, NegativePmiIsClippedToZero) {
  // #(0,1)=10, #(2,3)=10, #(0,2)=1: 0 and 2 co-occur less than chance.
  SparseMatrix counts(4, 4);
  std::vector<Eigen::Triplet<double, std::int64_t>> t = {{0, 1, 10}, {1, 0, 10}, {2, 3, 10}, {3, 2, 10}, {0, 2, 1}, {2, 0, 1}};
  counts.setFromTriplets(t.begin(), t.end());
  const SparseMatrix m = ppmi(counts, 1.0);
  EXPECT_NEAR(m.coeff(0, 1), std::log(10.0 * 42 / (11 * 10)), 1e-12);
  EXPECT_DOUBLE_EQ(m.coeff(0, 2), 0.0);  // log(42 / 121) < 0
  EXPECT_EQ(m.nonZeros(), 4);
}

// --- spectral embedding --------------------------------------------------------

namespace {
// Three study groups: each learner touches all items of one group on one
// day. Groups never overlap, so their items never co-occur.
std::string grouped_log(int learners_per_group) {
  std::string csv = "user_id,item_id,ts\n";
  const char* groups[3][4] = {{"a1", "a2", "a3", "a4"}, {"b1", "b2", "b3", "b4"}, {"c1", "c2", "c3", "c4"}};
  for (int g = 0; g < 3; ++g) {
    for (int u = 0; u < learners_per_group; ++u) {
      for (int i = 0; i < 4; ++i) {
        // Learners touch a random-ish subset pattern: all four, in rotating order.
        const int item = (i + u) % 4;
        csv += "g" + std::to_string(g) + "u" + std::to_string(u) + "," + groups[g][item] + "," +
               std::to_string(1000 * (i + 1)) + "\n";
      }
    }
  }
  // A few learners who link a1 and a2 only, so groups are not all-identical.
  csv += "x1,a1,1\nx1,a2,2\nx2,a1,1\nx2,a2,2\n";
  return csv;
}
}  // namespace

TEST(SvdEmbedding, AlwaysCooccurringItemsAlignNeverCooccurringAreOrthogonal) {
  const auto data = load(grouped_log(5));
  EmbedOptions options;
  options.dim = 6;
  const ItemEmbeddings e = embed_items(data, options);
  ASSERT_EQ(e.vectors.rows(), 12);
  auto index = [&](const std::string& id) {
    for (std::size_t i = 0; i < data.items.size(); ++i) {
      if (data.items[i].id == id) return static_cast<Eigen::Index>(i);
    }
    return Eigen::Index{-1};
  };
  EXPECT_GT(cosine(e.vectors, index("b1"), index("b2")), 0.99);
  EXPECT_GT(cosine(e.vectors, index("c3"), index("c4")), 0.99);
  EXPECT_GT(cosine(e.vectors, index("a1"), index("a2")), 0.95);
  EXPECT_LT(std::abs(cosine(e.vectors, index("a1"), index("b1"))), 0.05);
  EXPECT_LT(std::abs(cosine(e.vectors, index("b3"), index("c3"))), 0.05);
  for (Eigen::Index i = 0; i < e.vectors.rows(); ++i) EXPECT_NEAR(e.vectors.row(i).norm(), 1.0, 1e-5);
  EXPECT_EQ(e.cooccurrence_items, 12u);
}

TEST(SvdEmbedding, KeepsOnlyPositiveEigenvaluesAndPadsWithZeros) {
  // Two items that co-occur: PPMI [[0, p], [p, 0]] has eigenvalues +p and -p.
  const auto data = load("user_id,item_id,ts\nu1,a,1\nu1,b,2\nu2,a,1\nu2,b,2\nu3,c,1\nu3,d,2\n");
  EmbedOptions options;
  options.dim = 8;
  const ItemEmbeddings e = embed_items(data, options);
  EXPECT_EQ(e.effective_dim, 2);  // one positive eigenvalue per pair, negatives dropped
  EXPECT_GT(cosine(e.vectors, 0, 1), 0.999);
  EXPECT_LT(std::abs(cosine(e.vectors, 0, 2)), 1e-6);
  EXPECT_EQ(e.vectors.block(0, 2, 4, 6).cwiseAbs().maxCoeff(), 0.0f);
}

TEST(SvdEmbedding, RandomizedSolverAgreesWithDenseSolver) {
  // Symmetric matrix with a clear spectral gap after the 5th eigenvalue.
  const Eigen::Index n = 120;
  gradvy::Rng rng(7);
  Eigen::MatrixXd g(n, n);
  for (Eigen::Index i = 0; i < n; ++i)
    for (Eigen::Index j = 0; j < n; ++j) g(i, j) = rng.next_double() - 0.5;
  const Eigen::MatrixXd q = Eigen::HouseholderQR<Eigen::MatrixXd>(g).householderQ();
  Eigen::VectorXd lambda = Eigen::VectorXd::Constant(n, 0.01);
  const double top[5] = {9, 7, 5, 4, 3};
  for (int i = 0; i < 5; ++i) lambda[i] = top[i];
  lambda[5] = -6;  // a large negative eigenvalue must not be picked
  const Eigen::MatrixXd m = q * lambda.asDiagonal() * q.transpose();
  const SparseMatrix sparse = m.sparseView();

  SvdEmbeddingOptions options;
  options.dim = 5;
  options.solver = SvdSolver::dense;
  const SvdEmbedding dense = svd_embed(sparse, options);
  options.solver = SvdSolver::randomized;
  const SvdEmbedding randomized = svd_embed(sparse, options);
  EXPECT_EQ(dense.solver, "dense");
  EXPECT_EQ(randomized.solver, "randomized");
  ASSERT_EQ(dense.eigenvalues.size(), 5u);
  ASSERT_EQ(randomized.eigenvalues.size(), 5u);
  for (int i = 0; i < 5; ++i) {
    EXPECT_NEAR(dense.eigenvalues[i], top[i], 1e-9);
    EXPECT_NEAR(randomized.eigenvalues[i], top[i], 1e-6);
  }
  EXPECT_LT((dense.vectors - randomized.vectors).cwiseAbs().maxCoeff(), 1e-4);
}

// --- content fallback and the document -------------------------------------------

TEST(EmbedItems, ItemsWithoutInteractionsGetAFlaggedContentVector) {
  const auto data = load(grouped_log(3),
                         "item_id,course,activity_type\na1,A,page\na2,A,page\na3,A,quiz\na4,A,quiz\n"
                         "b1,B,page\nnew_a,A,quiz\nlonely,Z,video\n");
  EmbedOptions options;
  options.dim = 6;
  const ItemEmbeddings e = embed_items(data, options);
  std::size_t new_a = 0, lonely = 0, a3 = 0, a4 = 0, b1 = 0;
  for (std::size_t i = 0; i < data.items.size(); ++i) {
    const auto& id = data.items[i].id;
    if (id == "new_a") new_a = i;
    if (id == "lonely") lonely = i;
    if (id == "a3") a3 = i;
    if (id == "a4") a4 = i;
    if (id == "b1") b1 = i;
  }
  EXPECT_EQ(e.sources[new_a], EmbeddingSource::content);
  EXPECT_EQ(e.sources[lonely], EmbeddingSource::content);
  EXPECT_EQ(e.sources[a3], EmbeddingSource::cooccurrence);
  EXPECT_EQ(e.content_items, 2u);
  // new_a shares course A and type quiz with a3/a4: it lands among them, away from group B.
  EXPECT_GT(cosine(e.vectors, new_a, a3), 0.9);
  EXPECT_LT(std::abs(cosine(e.vectors, new_a, b1)), 0.1);
  EXPECT_NEAR(e.vectors.row(lonely).norm(), 1.0, 1e-5);
  (void)a4;
}

TEST(EmbedItems, DocumentIsDeterministicAndIndependentOfRowOrder) {
  const std::string log = grouped_log(4);
  // Same rows, reversed (header kept first).
  std::vector<std::string> lines;
  std::istringstream in(log);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  std::string reversed = lines[0] + "\n";
  for (std::size_t i = lines.size() - 1; i >= 1; --i) reversed += lines[i] + "\n";
  const std::string items = "item_id,course\na1,A\nmissing,A\n";

  EmbedOptions options;
  options.dim = 5;
  const auto d1 = load(log, items);
  const auto d2 = load(reversed, items);
  const std::string j1 = embeddings_to_json(d1, embed_items(d1, options), options);
  const std::string j2 = embeddings_to_json(d1, embed_items(d1, options), options);
  const std::string j3 = embeddings_to_json(d2, embed_items(d2, options), options);
  EXPECT_EQ(j1, j2);
  EXPECT_EQ(j1, j3);

  const auto doc = nlohmann::json::parse(j1);
  EXPECT_EQ(doc["dim"], 5);
  ASSERT_EQ(doc["items"].size(), 13u);
  EXPECT_EQ(doc["items"][0]["id"], "a1");
  EXPECT_EQ(doc["items"][0]["source"], "cooccurrence");
  EXPECT_EQ(doc["items"][0]["vector"].size(), 5u);
  bool saw_missing = false;
  for (const auto& item : doc["items"]) {
    if (item["id"] == "missing") {
      saw_missing = true;
      EXPECT_EQ(item["source"], "content");
    }
  }
  EXPECT_TRUE(saw_missing);
  EXPECT_EQ(doc["meta"]["items_content"], 1);
  EXPECT_EQ(doc["meta"]["window_days"], 7);
  EXPECT_EQ(doc["meta"]["format"], "gradvy-embeddings/1");
}
