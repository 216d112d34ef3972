#include "gradvy_sync/candidates_embeddings.hpp"

#include <sstream>

#include "gradvy_sync/embed_items.hpp"
#include "gradvy_sync/interaction_log.hpp"

namespace gradvy_sync {

EmbeddingRun compute_item_embeddings(const std::string& interactions_csv, const std::string& items_csv, int dim) {
  std::istringstream interactions(interactions_csv);
  std::istringstream items(items_csv);
  CsvReadOptions read_options;
  read_options.skip_bad_rows = true;  // device-sent ids are validated already; never stop the job on one row
  read_options.progress_every = 0;
  CsvReadReport ireport, creport;
  const InteractionData data =
      load_interaction_data(interactions, "stored-interactions", &items, "catalog", read_options, &ireport, &creport);
  EmbeddingRun run;
  run.interactions = data.interactions.size();
  run.items = data.items.size();
  if (data.interactions.empty()) return run;
  EmbedOptions options;
  options.dim = dim;
  const ItemEmbeddings embeddings = embed_items(data, options);
  run.document = embeddings_to_json(data, embeddings, options);
  return run;
}

}  // namespace gradvy_sync
