//===- ArtifactWriter.h - Writing .weft artifact containers -----*- C++ -*-===//
//
// The compiler's side of the container described in docs/artifact.md: a
// magic, a version and a table of named sections, each section 64-byte
// aligned. The reader (weft_module_open) shares the format constants.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_RUNTIME_ARTIFACTWRITER_H
#define WEFT_RUNTIME_ARTIFACTWRITER_H

#include <string>
#include <vector>

namespace weft::runtime {

/// One named section: `name` is 1 to 8 bytes without NUL ("manifest",
/// "hostlib"), `bytes` its raw contents.
struct ArtifactSection {
  std::string name;
  std::string bytes;
};

/// Writes the container atomically (temporary file + rename). Returns an
/// empty string on success, else a message naming the path and the failure.
/// Checks the container's own rules (1 to 64 sections, valid unique names);
/// the contents, the manifest included, are the caller's. Thread-safe.
std::string writeArtifact(const std::string &path,
                          const std::vector<ArtifactSection> &sections);

} // namespace weft::runtime

#endif // WEFT_RUNTIME_ARTIFACTWRITER_H
