#include "gradvy_sync/svd_embedding.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include <Eigen/Eigenvalues>

#include "gradvy/random.hpp"

namespace gradvy_sync {

namespace {

// Picks the `dim` largest positive eigenpairs (values ascending in `values`).
void keep_top_positive(const Eigen::VectorXd& values, const Eigen::MatrixXd& vectors, int dim,
                       SvdEmbedding& out, Eigen::MatrixXd& kept) {
  std::vector<Eigen::Index> order(static_cast<std::size_t>(values.size()));
  std::iota(order.begin(), order.end(), Eigen::Index{0});
  std::stable_sort(order.begin(), order.end(), [&](Eigen::Index a, Eigen::Index b) { return values[a] > values[b]; });
  const double scale = values.size() ? std::max(std::abs(values.maxCoeff()), std::abs(values.minCoeff())) : 0.0;
  const double floor = std::max(1e-12, scale * 1e-10);  // numerically zero otherwise
  kept.resize(vectors.rows(), 0);
  for (Eigen::Index idx : order) {
    if (static_cast<int>(out.eigenvalues.size()) >= dim || values[idx] <= floor) break;
    out.eigenvalues.push_back(values[idx]);
    kept.conservativeResize(Eigen::NoChange, kept.cols() + 1);
    kept.col(kept.cols() - 1) = vectors.col(idx);
  }
}

Eigen::MatrixXd orthonormal_basis(const Eigen::MatrixXd& a) {
  Eigen::HouseholderQR<Eigen::MatrixXd> qr(a);
  return qr.householderQ() * Eigen::MatrixXd::Identity(a.rows(), a.cols());
}

}  // namespace

SvdEmbedding svd_embed(const SparseMatrix& symmetric, const SvdEmbeddingOptions& options) {
  SvdEmbedding out;
  const Eigen::Index n = symmetric.rows();
  const int dim = std::max(1, options.dim);
  out.vectors = Eigen::MatrixXf::Zero(n, dim);
  out.has_vector.assign(static_cast<std::size_t>(n), false);
  if (n == 0) {
    out.solver = "dense";
    return out;
  }

  const bool dense = options.solver == SvdSolver::dense ||
                     (options.solver == SvdSolver::automatic && n <= options.dense_max_items);
  Eigen::MatrixXd kept;
  if (dense) {
    out.solver = "dense";
    const Eigen::MatrixXd m = Eigen::MatrixXd(symmetric);
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver(m);
    keep_top_positive(solver.eigenvalues(), solver.eigenvectors(), dim, out, kept);
  } else {
    out.solver = "randomized";
    // Subspace iteration converges to the largest-|λ| subspace; a block of
    // 2·dim + oversample leaves room for negative eigenvalues among them.
    const Eigen::Index block = std::min<Eigen::Index>(n, 2 * dim + options.oversample);
    gradvy::Rng rng(options.seed);
    Eigen::MatrixXd omega(n, block);
    for (Eigen::Index j = 0; j < block; ++j) {
      for (Eigen::Index i = 0; i < n; ++i) omega(i, j) = 2.0 * rng.next_double() - 1.0;
    }
    Eigen::MatrixXd q = orthonormal_basis(symmetric * omega);
    for (int it = 0; it < options.power_iterations; ++it) q = orthonormal_basis(symmetric * q);
    const Eigen::MatrixXd b = q.transpose() * (symmetric * q);
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver(0.5 * (b + b.transpose()));
    const Eigen::MatrixXd ritz = q * solver.eigenvectors();
    keep_top_positive(solver.eigenvalues(), ritz, dim, out, kept);
  }
  out.effective_dim = static_cast<int>(out.eigenvalues.size());

  for (Eigen::Index c = 0; c < kept.cols(); ++c) {
    // Sign convention: the largest-magnitude entry is positive (first one on ties).
    Eigen::Index arg = 0;
    for (Eigen::Index i = 1; i < n; ++i) {
      if (std::abs(kept(i, c)) > std::abs(kept(arg, c)) + 1e-12) arg = i;
    }
    if (kept(arg, c) < 0) kept.col(c) = -kept.col(c);
    kept.col(c) *= std::sqrt(out.eigenvalues[static_cast<std::size_t>(c)]);
  }
  for (Eigen::Index i = 0; i < n; ++i) {
    const double norm = kept.cols() ? kept.row(i).norm() : 0.0;
    if (norm < 1e-9) continue;
    for (Eigen::Index c = 0; c < kept.cols(); ++c) out.vectors(i, c) = static_cast<float>(kept(i, c) / norm);
    out.has_vector[static_cast<std::size_t>(i)] = true;
  }
  return out;
}

}  // namespace gradvy_sync

