//===- Artifact.cpp - Reading .weft artifact containers -------------------===//
//
// Validates the container header and section table. Each check reads only
// bytes already known to lie inside the file.
//
//===----------------------------------------------------------------------===//

#include "Artifact.h"
#include "ArtifactFormat.h"
#include "File.h"

#include <algorithm>
#include <cstring>

using namespace weft::runtime;
using namespace weft::runtime::artifact;

namespace {

struct RawEntry {
  std::string name;
  uint64_t offset;
  uint64_t size;
};

/// A NUL-padded name: 1 to 8 printable bytes, then only NULs.
Status readName(const uint8_t *p, std::string &name) {
  size_t length = 0;
  while (length < kNameSize && p[length] != 0)
    ++length;
  name.assign(reinterpret_cast<const char *>(p), length);
  if (length == 0)
    return error("has an empty name");
  for (size_t i = 0; i < length; ++i)
    if (p[i] < 0x21 || p[i] > 0x7e)
      return error("name ", quote(name), " has a non-printable byte");
  for (size_t i = length; i < kNameSize; ++i)
    if (p[i] != 0)
      return error("name ", quote(name), " is not NUL-padded");
  return Status();
}

Status readEntry(const uint8_t *p, uint64_t fileSize, uint64_t tableEnd,
                 RawEntry &entry) {
  WEFT_RETURN_IF_ERROR(readName(p, entry.name));
  entry.offset = loadLE64(p + kEntryOffsetField);
  entry.size = loadLE64(p + kEntrySizeField);
  std::string what = concat("section ", quote(entry.name));
  if (loadLE64(p + kEntryReservedField) != 0)
    return error(what, " has a non-zero reserved field");
  if (entry.offset < tableEnd)
    return error(what, " at offset ", entry.offset,
                 " overlaps the section table (which ends at ", tableEnd, ")");
  if (entry.offset % kSectionAlignment != 0)
    return error(what, " at offset ", entry.offset, " is not ",
                 kSectionAlignment, "-byte aligned");
  if (entry.offset > fileSize || entry.size > fileSize - entry.offset)
    return error(what, " [", entry.offset, ", +", entry.size,
                 ") extends past the end of the ", fileSize,
                 "-byte file (is it truncated?)");
  return Status();
}

Status checkDisjoint(std::vector<RawEntry> entries) {
  for (size_t i = 0; i < entries.size(); ++i)
    for (size_t j = i + 1; j < entries.size(); ++j)
      if (entries[i].name == entries[j].name)
        return error("duplicate section ", quote(entries[i].name));
  std::stable_sort(entries.begin(), entries.end(),
            [](const RawEntry &a, const RawEntry &b) {
              return a.offset < b.offset;
            });
  for (size_t i = 1; i < entries.size(); ++i) {
    const RawEntry &a = entries[i - 1], &b = entries[i];
    // Empty sections occupy no bytes and cannot overlap anything.
    if (a.size && b.size && b.offset < a.offset + a.size)
      return error("section ", quote(b.name), " [", b.offset, ", +", b.size,
                   ") overlaps section ", quote(a.name), " [", a.offset, ", +",
                   a.size, ")");
  }
  return Status();
}

} // namespace

Status weft::runtime::readContainer(std::string_view file,
                                    std::vector<Section> &sections) {
  const auto *p = reinterpret_cast<const uint8_t *>(file.data());
  if (file.size() < kHeaderSize || std::memcmp(p, kMagic, sizeof(kMagic)) != 0)
    return error("not a Weft artifact (missing the WEFTART magic)");
  uint32_t version = loadLE32(p + kVersionOffset);
  if (version != kVersion)
    return error("unsupported container version ", version, " (expected ",
                 kVersion, ")");
  uint32_t count = loadLE32(p + kCountOffset);
  if (count < 1 || count > kMaxSections)
    return error("section count ", count, " is outside [1, ", kMaxSections,
                 "]");
  uint64_t tableEnd = kHeaderSize + uint64_t(count) * kEntrySize;
  if (tableEnd > file.size())
    return error("the table of ", count, " sections needs ", tableEnd,
                 " bytes, but the file has ", file.size(),
                 " (is it truncated?)");
  std::vector<RawEntry> entries(count);
  for (uint32_t i = 0; i < count; ++i) {
    Status s = readEntry(p + kHeaderSize + i * kEntrySize, file.size(),
                         tableEnd, entries[i]);
    if (!s.ok())
      return std::move(s).withPrefix(concat("section table entry ", i, ": "));
  }
  WEFT_RETURN_IF_ERROR(checkDisjoint(entries));
  sections.clear();
  for (const RawEntry &e : entries)
    sections.push_back({e.name, file.substr(e.offset, e.size)});
  return Status();
}

const Section *weft::runtime::findSection(const std::vector<Section> &sections,
                                          std::string_view name) {
  for (const Section &s : sections)
    if (s.name == name)
      return &s;
  return nullptr;
}
