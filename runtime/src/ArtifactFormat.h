//===- ArtifactFormat.h - Layout constants of .weft containers --*- C++ -*-===//
//
// The one definition of the container layout (docs/artifact.md), shared by
// the reader (Artifact.cpp) and the writer (ArtifactWriter.cpp).
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_SRC_ARTIFACTFORMAT_H
#define WEFT_RUNTIME_SRC_ARTIFACTFORMAT_H

#include <cstddef>
#include <cstdint>

namespace weft::runtime::artifact {

/// "WEFTART\0".
constexpr char kMagic[8] = {'W', 'E', 'F', 'T', 'A', 'R', 'T', '\0'};
constexpr uint32_t kVersion = 1;

/// Magic (8), version (u32), section count (u32).
constexpr size_t kHeaderSize = 16;
constexpr size_t kVersionOffset = 8;
constexpr size_t kCountOffset = 12;

/// Name (8, NUL-padded), offset (u64), size (u64), reserved (u64, zero).
constexpr size_t kEntrySize = 32;
constexpr size_t kNameSize = 8;
constexpr size_t kEntryOffsetField = 8;
constexpr size_t kEntrySizeField = 16;
constexpr size_t kEntryReservedField = 24;

constexpr uint32_t kMaxSections = 64;
constexpr uint64_t kSectionAlignment = 64;

constexpr const char *kManifestSection = "manifest";
constexpr const char *kHostLibSection = "hostlib";
/// Target cuda: the kernels as PTX text and as ptxas's cubin.
constexpr const char *kPtxSection = "ptx";
constexpr const char *kCubinSection = "cubin";

} // namespace weft::runtime::artifact

#endif // WEFT_RUNTIME_SRC_ARTIFACTFORMAT_H
