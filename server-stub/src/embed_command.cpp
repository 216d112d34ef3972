// `gradvy-sync embed`: item embeddings from co-occurrence in learners'
// histories, written as the JSON document described in embed_items.hpp.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>

#include "gradvy_sync/command.hpp"
#include "gradvy_sync/embed_cli_args.hpp"
#include "gradvy_sync/embed_items.hpp"
#include "gradvy_sync/interaction_log.hpp"

namespace gradvy_sync {
namespace {

constexpr const char* kEmbedUsage =
    "usage: gradvy-sync embed --interactions CSV [--items CSV] --out FILE [options]\n"
    "\n"
    "Item embeddings from co-occurrence in learners' histories: PPMI (alpha-smoothed)\n"
    "over items touched by the same learner within a time window, then truncated SVD.\n"
    "Items listed in --items without co-occurrence get a content fallback vector.\n"
    "\n"
    "  --interactions CSV  columns user_id,item_id,ts[,weight] (ts = epoch ms)\n"
    "  --items CSV         columns item_id[,course][,activity_type]\n"
    "  --out FILE          JSON output ('-' = stdout); written atomically\n"
    "  --dim N             vector length, 1..1024 (default 32)\n"
    "  --window-days N     co-occurrence window in days, 0 = whole history (default 7)\n"
    "  --alpha A           context-distribution smoothing, 0..1 (default 0.75)\n"
    "  --skip-bad-rows     skip malformed CSV rows (counted) instead of failing\n"
    "  --quiet             no progress on stderr\n"
    "\n"
    "exit codes: 0 ok, 1 bad input or I/O error, 2 bad command line\n";

int run_embed(const std::vector<std::string>& raw_args) {
  const auto started = std::chrono::steady_clock::now();
  std::string out_path;
  EmbedOptions options;
  CsvReadOptions read_options;
  std::string interactions_path, items_path;
  bool quiet = false;
  try {
    const CliArgs args(raw_args, {"interactions", "items", "out", "dim", "window-days", "alpha"},
                       {"skip-bad-rows", "quiet", "help"});
    if (args.has("help")) {
      std::fputs(kEmbedUsage, stdout);
      return 0;
    }
    interactions_path = args.required("interactions");
    items_path = args.text("items", "");
    out_path = args.required("out");
    options.dim = static_cast<int>(args.integer("dim", 32, 1, 1024));
    options.window_days = static_cast<int>(args.integer("window-days", 7, 0, 36500));
    options.alpha = args.number("alpha", 0.75, 1e-6, 1.0);
    read_options.skip_bad_rows = args.has("skip-bad-rows");
    quiet = args.has("quiet");
  } catch (const UsageError& e) {
    std::fprintf(stderr, "gradvy-sync embed: %s\n\n%s", e.what(), kEmbedUsage);
    return 2;
  }

  auto say = [&](const std::string& line) {
    if (!quiet) std::fprintf(stderr, "embed: %s\n", line.c_str());
  };
  read_options.progress = [&](std::size_t rows) { say("read " + std::to_string(rows) + " interaction rows"); };
  options.progress = [&](const std::string& phase) { say("phase: " + phase); };

  try {
    say("reading " + interactions_path + (items_path.empty() ? "" : " and " + items_path));
    CsvReadReport ireport, creport;
    const InteractionData data =
        load_interaction_files(interactions_path, items_path, read_options, &ireport, &creport);
    for (const auto* report : {&creport, &ireport}) {
      for (const auto& w : report->warnings) say("skipped: " + w);
      if (report->skipped_rows > report->warnings.size()) {
        say("skipped " + std::to_string(report->skipped_rows - report->warnings.size()) + " more malformed rows");
      }
    }
    say(std::to_string(ireport.rows) + " interactions, " + std::to_string(data.users.size()) + " users, " +
        std::to_string(data.items.size()) + " items");
    if (data.interactions.empty()) {
      std::fprintf(stderr, "gradvy-sync embed: %s: no interaction rows\n", interactions_path.c_str());
      return 1;
    }
    const ItemEmbeddings embeddings = embed_items(data, options);
    const std::string json = embeddings_to_json(data, embeddings, options);
    if (out_path == "-") {
      std::fwrite(json.data(), 1, json.size(), stdout);
    } else {
      const std::string tmp = out_path + ".tmp";
      {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        out.write(json.data(), static_cast<std::streamsize>(json.size()));
        out.close();
        if (!out) {
          std::remove(tmp.c_str());
          std::fprintf(stderr, "gradvy-sync embed: %s: cannot write output\n", out_path.c_str());
          return 1;
        }
      }
      if (std::rename(tmp.c_str(), out_path.c_str()) != 0) {
        std::remove(tmp.c_str());
        std::fprintf(stderr, "gradvy-sync embed: %s: cannot write output\n", out_path.c_str());
        return 1;
      }
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    char done[256];
    std::snprintf(done, sizeof done, "%zu items (%zu cooccurrence, %zu content), dim %d (effective %d), %s solver, %.2f s",
                  data.items.size(), embeddings.cooccurrence_items, embeddings.content_items, embeddings.dim,
                  embeddings.effective_dim, embeddings.solver.c_str(), seconds);
    say(done);
    return 0;
  } catch (const CsvError& e) {
    std::fprintf(stderr, "gradvy-sync embed: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gradvy-sync embed: %s\n", e.what());
    return 1;
  }
}

}  // namespace

GRADVY_SYNC_COMMAND(embed, "embed", "item embeddings (PPMI + SVD) from interaction logs", run_embed);

}  // namespace gradvy_sync
