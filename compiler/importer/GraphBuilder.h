#ifndef VLMC_COMPILER_IMPORTER_GRAPHBUILDER_H
#define VLMC_COMPILER_IMPORTER_GRAPHBUILDER_H

// The blocks every model family is built from (linear layers, norms,
// attention, MLPs), emitting `vlm` ops over named parameters. Shape checks
// against the checkpoint happen here, so a missing or mis-shaped tensor is an
// error naming it, reported at the op being built.

#include "compiler/importer/WeightCatalog.h"
#include "dialects/vlm/IR/VlmOps.h"

#include "mlir/IR/Builders.h"

#include <optional>
#include <utility>

namespace vlmc::compiler {

using RowRange = std::pair<int64_t, int64_t>;

class GraphBuilder {
public:
  GraphBuilder(mlir::OpBuilder &builder, const WeightCatalog &weights,
               const model::ModelConfig &config, mlir::FloatType computeType)
      : b(builder), weights(weights), config(config), compute(computeType) {}

  mlir::FloatType computeType() const { return compute; }
  mlir::MLIRContext *context() const { return b.getContext(); }
  mlir::Location loc(llvm::StringRef layer) const;

  /// The leading dim of activations: dynamic for prefill and vision, 1 for
  /// the decode step.
  void setSequenceLength(int64_t length) { sequence = length; }
  int64_t sequenceLength() const { return sequence; }

  /// tensor<S x dims x compute>: one row per token/patch.
  mlir::RankedTensorType rows(llvm::ArrayRef<int64_t> dims) const;
  mlir::RankedTensorType tensor(llvm::ArrayRef<int64_t> shape,
                                mlir::Type element = {}) const;

  /// A float parameter of the declared shape (compute type). `rows` selects a
  /// row range of the stored tensor.
  mlir::FailureOr<mlir::Value> param(const std::string &key,
                                     llvm::ArrayRef<int64_t> shape,
                                     std::optional<RowRange> rows = std::nullopt);

  /// x · Wᵀ (+ b) for the Linear module at `path` ([out, in] weight): a
  /// vlm.qmatmul when the checkpoint holds it pre-quantized (MLX format),
  /// else a vlm.matmul. `rows` takes output rows [begin, end) of a fused
  /// weight (and its bias).
  mlir::FailureOr<mlir::Value> linear(mlir::Value x, const std::string &path,
                                      int64_t out, int64_t in, bool bias,
                                      std::optional<RowRange> rows = std::nullopt);

  /// Gathers rows of the embedding at `path` ([vocab, width]); quantized
  /// tables become vlm.qembedding.
  mlir::FailureOr<mlir::Value> embedding(mlir::Value ids, const std::string &path,
                                         int64_t vocab, int64_t width);

  mlir::FailureOr<mlir::Value> rmsNorm(mlir::Value x, const std::string &path,
                                       int64_t dim, double eps);
  mlir::FailureOr<mlir::Value> layerNorm(mlir::Value x, const std::string &path,
                                         int64_t dim, double eps);

  mlir::Value reshape(mlir::Value x, llvm::ArrayRef<int64_t> shape);
  mlir::Value add(mlir::Value a, mlir::Value b);
  mlir::Value mul(mlir::Value a, mlir::Value b);
  mlir::FailureOr<mlir::Value> activation(mlir::Value x, llvm::StringRef hfName);

  /// Reports an error at the current insertion point's function.
  mlir::InFlightDiagnostic error(llvm::StringRef layer) const;

  mlir::OpBuilder &b;

private:
  mlir::FailureOr<StoredTensor> lookup(const std::string &key,
                                       llvm::ArrayRef<int64_t> declared,
                                       std::optional<RowRange> rows,
                                       bool exactShape);
  mlir::FailureOr<mlir::Value> parameterOp(const std::string &key,
                                           const StoredTensor &stored,
                                           mlir::RankedTensorType type,
                                           std::optional<RowRange> rows);
  mlir::FailureOr<mlir::vlm::QuantSpecAttr> checkpointQuantSpec(const std::string &path);

  const WeightCatalog &weights;
  const model::ModelConfig &config;
  mlir::FloatType compute;
  int64_t sequence = mlir::ShapedType::kDynamic;
};

} // namespace vlmc::compiler

#endif
