//===- LayerName.h - The checkpoint layer an op comes from ------*- C++ -*-===//
//
// The importer gives each op the name location of the checkpoint prefix it
// was built from (`loc("model.layers.0.mlp.up_proj")`), possibly fused with a
// source position. Passes and the artifact writer name layers with it in
// messages and profiles.
//
//===----------------------------------------------------------------------===//
#ifndef VLMC_DIALECTS_VLM_IR_LAYERNAME_H
#define VLMC_DIALECTS_VLM_IR_LAYERNAME_H

#include "mlir/IR/Location.h"
#include "mlir/IR/Operation.h"

#include <optional>
#include <string>

namespace mlir::vlm {

inline std::optional<std::string> layerNameOf(Operation *op) {
  Location loc = op->getLoc();
  if (auto fused = dyn_cast<FusedLoc>(loc))
    for (Location inner : fused.getLocations())
      if (auto name = dyn_cast<NameLoc>(inner))
        return name.getName().str();
  if (auto name = dyn_cast<NameLoc>(loc))
    return name.getName().str();
  return std::nullopt;
}

} // namespace mlir::vlm

#endif // VLMC_DIALECTS_VLM_IR_LAYERNAME_H
