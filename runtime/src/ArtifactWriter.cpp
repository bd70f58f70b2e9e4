//===- ArtifactWriter.cpp - Writing .weft artifact containers -------------===//
//
// Lays out the header, the section table and the 64-byte aligned sections,
// and writes them with one atomic rename.
//
//===----------------------------------------------------------------------===//

#include "weft/runtime/ArtifactWriter.h"

#include "ArtifactFormat.h"
#include "File.h"

#include <cstring>

using namespace weft::runtime;
using namespace weft::runtime::artifact;

namespace {

Status checkSections(const std::vector<ArtifactSection> &sections) {
  if (sections.empty() || sections.size() > kMaxSections)
    return error(sections.size(), " sections, expected 1 to ", kMaxSections);
  for (size_t i = 0; i < sections.size(); ++i) {
    const std::string &name = sections[i].name;
    if (name.empty() || name.size() > kNameSize)
      return error("section name ", quote(name), " must have 1 to ",
                   kNameSize, " bytes");
    for (char c : name)
      if (c < 0x21 || c > 0x7e)
        return error("section name ", quote(name),
                     " must be printable ASCII");
    for (size_t j = 0; j < i; ++j)
      if (sections[j].name == name)
        return error("duplicate section ", quote(name));
  }
  return Status();
}

uint64_t alignUp(uint64_t value) {
  return (value + kSectionAlignment - 1) / kSectionAlignment *
         kSectionAlignment;
}

/// The header and table, and each section's padded placement.
void layout(const std::vector<ArtifactSection> &sections, std::string &head,
            std::vector<uint64_t> &offsets) {
  head.assign(kHeaderSize + sections.size() * kEntrySize, '\0');
  auto *p = reinterpret_cast<uint8_t *>(head.data());
  std::memcpy(p, kMagic, sizeof(kMagic));
  storeLE32(p + kVersionOffset, kVersion);
  storeLE32(p + kCountOffset, static_cast<uint32_t>(sections.size()));
  uint64_t offset = alignUp(head.size());
  for (size_t i = 0; i < sections.size(); ++i) {
    uint8_t *entry = p + kHeaderSize + i * kEntrySize;
    std::memcpy(entry, sections[i].name.data(), sections[i].name.size());
    storeLE64(entry + kEntryOffsetField, offset);
    storeLE64(entry + kEntrySizeField, sections[i].bytes.size());
    offsets.push_back(offset);
    offset = alignUp(offset + sections[i].bytes.size());
  }
}

} // namespace

std::string weft::runtime::writeArtifact(
    const std::string &path, const std::vector<ArtifactSection> &sections) {
  Status s = checkSections(sections);
  if (!s.ok())
    return concat("cannot write artifact ", quote(path), ": ", s.message());
  std::string head;
  std::vector<uint64_t> offsets;
  layout(sections, head, offsets);

  static const char kZeros[kSectionAlignment] = {};
  std::vector<FileChunk> chunks{{head.data(), head.size()}};
  uint64_t written = head.size();
  for (size_t i = 0; i < sections.size(); ++i) {
    chunks.push_back({kZeros, offsets[i] - written});
    chunks.push_back({sections[i].bytes.data(), sections[i].bytes.size()});
    written = offsets[i] + sections[i].bytes.size();
  }
  Status w = writeFileAtomically(path, chunks.data(), chunks.size());
  return w.ok() ? std::string() : w.message();
}
