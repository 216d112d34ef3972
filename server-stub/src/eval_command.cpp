// `gradvy-sync eval`: the offline evaluation (eval_run.hpp) from CSV files,
// printed as name=value lines on stdout; progress on stderr.
#include <chrono>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "gradvy_sync/command.hpp"
#include "gradvy_sync/embed_cli_args.hpp"
#include "gradvy_sync/eval_run.hpp"
#include "gradvy_sync/interaction_log.hpp"

namespace gradvy_sync {
namespace {

constexpr const char* kEvalUsage =
    "usage: gradvy-sync eval --interactions CSV --items CSV [--k 10] [options]\n"
    "\n"
    "Offline evaluation: per-user temporal split (users with >= min-items distinct items,\n"
    "last test-fraction of them by first touch held out), candidates = the user's course\n"
    "items not seen in training, embeddings from the training part only; compares the\n"
    "popularity baseline with the real on-device profile + reranker.\n"
    "Prints NDCG@k, Recall@k (hits / held-out items) and catalogue coverage as name=value.\n"
    "\n"
    "  --interactions CSV    columns user_id,item_id,ts[,weight]\n"
    "  --items CSV           columns item_id,course[,activity_type]\n"
    "  --k N                 cut-off, 1..1000 (default 10)\n"
    "  --min-items N         distinct items a user needs to be evaluated (default 10)\n"
    "  --test-fraction F     share of distinct items held out, 0.01..0.9 (default 0.2)\n"
    "  --dim N               embedding dimension, 1..512 (default 32)\n"
    "  --window-days N       co-occurrence window, 0 = whole history (default 7)\n"
    "  --alpha A             PPMI context smoothing (default 0.75)\n"
    "  --profile-config JSON partial ProfileConfig (e.g. {\"half_life_days\":3})\n"
    "  --rerank-options JSON partial RerankOptions (e.g. {\"diversity\":0.6})\n"
    "  --product-defaults    start from the shipped profile/reranker defaults; the eval\n"
    "                        uses them anyway now (kept for old scripts)\n"
    "  --skip-bad-rows       skip malformed CSV rows (counted) instead of failing\n"
    "  --quiet               no progress on stderr\n"
    "\n"
    "exit codes: 0 ok, 1 bad input or I/O error, 2 bad command line\n";

nlohmann::json parse_object(const std::string& option, const std::string& text) {
  auto doc = nlohmann::json::parse(text, nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) throw UsageError("--" + option + ": expected a JSON object, got '" + text + "'");
  return doc;
}

int run_eval(const std::vector<std::string>& raw_args) {
  const auto started = std::chrono::steady_clock::now();
  EvalConfig config = EvalConfig::defaults();
  CsvReadOptions read_options;
  std::string interactions_path, items_path;
  bool quiet = false;
  nlohmann::json profile_doc, rerank_doc;
  try {
    const CliArgs args(raw_args,
                       {"interactions", "items", "k", "min-items", "test-fraction", "dim", "window-days", "alpha",
                        "profile-config", "rerank-options"},
                       {"product-defaults", "skip-bad-rows", "quiet", "help"});
    if (args.has("help")) {
      std::fputs(kEvalUsage, stdout);
      return 0;
    }
    interactions_path = args.required("interactions");
    items_path = args.required("items");
    config.k = static_cast<std::size_t>(args.integer("k", 10, 1, 1000));
    config.split.min_items = static_cast<std::size_t>(args.integer("min-items", 10, 2, 1000000));
    config.split.test_fraction = args.number("test-fraction", 0.2, 0.01, 0.9);
    config.embed.dim = static_cast<int>(args.integer("dim", 32, 1, 512));
    config.embed.window_days = static_cast<int>(args.integer("window-days", 7, 0, 36500));
    config.embed.alpha = args.number("alpha", 0.75, 1e-6, 1.0);
    read_options.skip_bad_rows = args.has("skip-bad-rows");
    quiet = args.has("quiet");

    // Layer: (eval defaults unless --product-defaults) <- the user's JSON, then the public from_json APIs.
    const bool product = args.has("product-defaults");
    profile_doc = product ? nlohmann::json::object() : nlohmann::json::parse(eval_default_profile_json());
    rerank_doc = product ? nlohmann::json::object() : nlohmann::json::parse(eval_default_rerank_json());
    if (args.has("profile-config")) profile_doc.merge_patch(parse_object("profile-config", args.required("profile-config")));
    if (args.has("rerank-options")) rerank_doc.merge_patch(parse_object("rerank-options", args.required("rerank-options")));
    auto profile = gradvy::ProfileConfig::from_json(profile_doc);
    if (!profile.ok()) throw UsageError("--profile-config: " + profile.message());
    auto rerank = gradvy::RerankOptions::from_json(rerank_doc);
    if (!rerank.ok()) throw UsageError("--rerank-options: " + rerank.message());
    config.profile = profile.value();
    config.rerank = rerank.value();
  } catch (const UsageError& e) {
    std::fprintf(stderr, "gradvy-sync eval: %s\n\n%s", e.what(), kEvalUsage);
    return 2;
  }

  auto say = [&](const std::string& line) {
    if (!quiet) std::fprintf(stderr, "eval: %s\n", line.c_str());
  };
  read_options.progress = [&](std::size_t rows) { say("read " + std::to_string(rows) + " interaction rows"); };
  config.progress = say;
  config.embed.progress = [&](const std::string& phase) { say("embed phase: " + phase); };

  try {
    say("reading " + interactions_path + " and " + items_path);
    CsvReadReport ireport, creport;
    const InteractionData data = load_interaction_files(interactions_path, items_path, read_options, &ireport, &creport);
    for (const auto* report : {&creport, &ireport}) {
      for (const auto& w : report->warnings) say("skipped: " + w);
    }
    if (!data.has_course) say("warning: " + items_path + " has no course column; candidates = the whole catalogue");
    const EvalReport report = run_evaluation(data, config);
    if (report.users == 0) {
      std::fprintf(stderr, "gradvy-sync eval: no user has %zu or more distinct items; nothing to evaluate\n",
                   config.split.min_items);
      return 1;
    }
    std::fputs(format_eval_report(report, config).c_str(), stdout);
    std::printf("config.window_days=%d\nconfig.dim=%d\n", config.embed.window_days, config.embed.dim);
    std::printf("config.profile=%s\nconfig.rerank=%s\n", profile_doc.dump().c_str(), rerank_doc.dump().c_str());
    std::printf("seconds=%.2f\n",
                std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gradvy-sync eval: %s\n", e.what());
    return 1;
  }
}

}  // namespace

GRADVY_SYNC_COMMAND(eval, "eval", "offline evaluation: popularity vs the on-device reranker", run_eval);

}  // namespace gradvy_sync
