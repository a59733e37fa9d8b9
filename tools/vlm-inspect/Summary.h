// What vlm-inspect reports about an artifact, as one ordered JSON document:
// --json prints it, the text report is rendered from it, so the two never
// disagree.
#pragma once

#include "vlmc/artifact/Artifact.h"

#include <nlohmann/json.hpp>

#include <ostream>

namespace vlmc::inspect {

using Json = nlohmann::ordered_json;

Json summarize(const artifact::Artifact &a);
void printText(const Json &summary, std::ostream &out);

} // namespace vlmc::inspect
