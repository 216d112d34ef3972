#include "gradvy_sync/embed_items.hpp"

#include <cmath>
#include <cstdio>
#include <map>

#include <nlohmann/json.hpp>

#include "gradvy/random.hpp"
#include "gradvy_sync/ppmi_matrix.hpp"

namespace gradvy_sync {

const char* to_string(EmbeddingSource source) {
  return source == EmbeddingSource::cooccurrence ? "cooccurrence" : "content";
}

namespace {

std::uint64_t fnv1a(const std::string& text) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

// Fills content-fallback rows from learned rows of items sharing features.
void fill_content_fallback(const InteractionData& data, ItemEmbeddings& out) {
  using Key = std::string;
  std::map<Key, Eigen::VectorXd> sums;  // feature key -> sum of learned unit vectors
  auto keys_of = [](const CatalogueItem& item) {
    std::vector<Key> keys;
    if (!item.course.empty() && !item.activity_type.empty()) keys.push_back("ct\x1f" + item.course + "\x1f" + item.activity_type);
    if (!item.course.empty()) keys.push_back("c\x1f" + item.course);
    if (!item.activity_type.empty()) keys.push_back("t\x1f" + item.activity_type);
    return keys;
  };
  for (std::size_t i = 0; i < data.items.size(); ++i) {
    if (out.sources[i] != EmbeddingSource::cooccurrence) continue;
    for (const Key& key : keys_of(data.items[i])) {
      auto [it, inserted] = sums.emplace(key, Eigen::VectorXd::Zero(out.dim));
      it->second += out.vectors.row(static_cast<Eigen::Index>(i)).cast<double>().transpose();
    }
  }
  for (std::size_t i = 0; i < data.items.size(); ++i) {
    if (out.sources[i] == EmbeddingSource::cooccurrence) continue;
    Eigen::VectorXd v = Eigen::VectorXd::Zero(out.dim);
    for (const Key& key : keys_of(data.items[i])) {
      auto it = sums.find(key);
      if (it != sums.end() && it->second.norm() > 1e-9) {
        v = it->second;
        break;
      }
    }
    if (v.norm() <= 1e-9) {
      // No learned neighbour shares a feature: a pseudo-random direction seeded by the features.
      const CatalogueItem& item = data.items[i];
      const std::string seed_text = item.course.empty() && item.activity_type.empty()
                                        ? "id\x1f" + item.id
                                        : item.course + "\x1f" + item.activity_type;
      gradvy::Rng rng(fnv1a(seed_text));
      for (int d = 0; d < out.dim; ++d) v[d] = 2.0 * rng.next_double() - 1.0;
    }
    v.normalize();
    out.vectors.row(static_cast<Eigen::Index>(i)) = v.cast<float>().transpose();
  }
}

}  // namespace

ItemEmbeddings embed_items(const InteractionData& data, const EmbedOptions& options) {
  ItemEmbeddings out;
  out.dim = std::max(1, options.dim);
  const std::size_t n = data.items.size();

  if (options.progress) options.progress("co-occurrence");
  CooccurrenceOptions co;
  co.window_ms = static_cast<std::int64_t>(std::max(0, options.window_days)) * 86400000LL;
  const SparseMatrix counts = cooccurrence_counts(data.interactions, n, co);
  if (options.progress) options.progress("ppmi");
  const SparseMatrix m = ppmi(counts, options.alpha);
  out.nonzero_ppmi = static_cast<std::size_t>(m.nonZeros());
  if (options.progress) options.progress("svd");
  SvdEmbeddingOptions svd = options.svd;
  svd.dim = out.dim;
  SvdEmbedding spectral = svd_embed(m, svd);
  out.vectors = std::move(spectral.vectors);
  out.effective_dim = spectral.effective_dim;
  out.solver = spectral.solver;
  out.sources.assign(n, EmbeddingSource::content);
  for (std::size_t i = 0; i < n; ++i) {
    if (spectral.has_vector[i]) {
      out.sources[i] = EmbeddingSource::cooccurrence;
      ++out.cooccurrence_items;
    }
  }
  out.content_items = n - out.cooccurrence_items;
  if (out.content_items) {
    if (options.progress) options.progress("content fallback");
    fill_content_fallback(data, out);
  }
  return out;
}

std::string embeddings_to_json(const InteractionData& data, const ItemEmbeddings& embeddings,
                               const EmbedOptions& options) {
  nlohmann::json meta = {
      {"format", "gradvy-embeddings/1"},
      {"algorithm", "ppmi-svd"},
      {"window_days", options.window_days},
      {"alpha", options.alpha},
      {"solver", embeddings.solver},
      {"effective_dim", embeddings.effective_dim},
      {"users", data.users.size()},
      {"interactions", data.interactions.size()},
      {"items", data.items.size()},
      {"items_cooccurrence", embeddings.cooccurrence_items},
      {"items_content", embeddings.content_items},
  };
  std::string out;
  out.reserve(data.items.size() * (static_cast<std::size_t>(embeddings.dim) * 11 + 64) + 512);
  out += "{\"dim\":" + std::to_string(embeddings.dim) + ",\"items\":[";
  char number[32];
  for (std::size_t i = 0; i < data.items.size(); ++i) {
    out += i ? ",\n" : "\n";
    out += "{\"id\":" + nlohmann::json(data.items[i].id).dump() + ",\"vector\":[";
    for (int d = 0; d < embeddings.dim; ++d) {
      float v = embeddings.vectors(static_cast<Eigen::Index>(i), d);
      if (v == 0.0f) v = 0.0f;  // no "-0"
      std::snprintf(number, sizeof number, "%.6g", static_cast<double>(v));
      if (d) out += ',';
      out += number;
    }
    out += "],\"source\":\"";
    out += to_string(embeddings.sources[i]);
    out += "\"}";
  }
  out += "\n],\"meta\":" + meta.dump() + "}\n";
  return out;
}

}  // namespace gradvy_sync
