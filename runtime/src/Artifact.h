//===- Artifact.h - Reading .weft artifact containers -----------*- C++ -*-===//
//
// Splits an artifact into its named sections after checking the container
// rules of docs/artifact.md.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_SRC_ARTIFACT_H
#define WEFT_RUNTIME_SRC_ARTIFACT_H

#include "Status.h"

#include <string>
#include <string_view>
#include <vector>

namespace weft::runtime {

struct Section {
  std::string name;
  std::string_view bytes; // Into the caller's buffer.
};

/// Checks the magic, the version, the section table (bounds, alignment, no
/// overlap, unique names, zero reserved fields) and returns the sections in
/// table order.
Status readContainer(std::string_view file, std::vector<Section> &sections);

/// The section named `name`, or null.
const Section *findSection(const std::vector<Section> &sections,
                           std::string_view name);

} // namespace weft::runtime

#endif // WEFT_RUNTIME_SRC_ARTIFACT_H
