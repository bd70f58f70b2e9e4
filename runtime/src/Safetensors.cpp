//===- Safetensors.cpp - Safetensors reader -------------------------------===//
//
// Opens a .safetensors file: an u64 little-endian header length, a JSON
// header mapping tensor names to {"dtype", "shape", "data_offsets"} (plus an
// optional "__metadata__" string map), then the data section. Opening maps
// the file and validates the whole header, as the reference implementation
// does: offsets in bounds and sizes matching shape x dtype, and the tensors
// tiling the data section without overlap or gap (so a truncated or spliced
// file is caught at open, not at first use). Reads copy out of the mapping;
// slice reads copy only the slice's bytes, so that each device of a mesh
// touches only its own part of a weight.
//
//===----------------------------------------------------------------------===//

#include "File.h"
#include "Json.h"
#include "Tensor.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <unordered_map>
#include <vector>

using namespace weft::runtime;

namespace {

/// The reference implementation's limit; real headers are kilobytes.
constexpr uint64_t kMaxHeaderBytes = 100'000'000;

struct Entry {
  std::string name;
  weft_dtype_t dtype = WEFT_DTYPE_F32;
  std::vector<int64_t> shape;
  uint64_t begin = 0;
  uint64_t end = 0;
};

struct DtypeName {
  const char *name;
  weft_dtype_t dtype;
};
constexpr DtypeName kDtypes[] = {
    {"F16", WEFT_DTYPE_F16}, {"BF16", WEFT_DTYPE_BF16},
    {"F32", WEFT_DTYPE_F32}, {"F64", WEFT_DTYPE_F64},
    {"I32", WEFT_DTYPE_I32}, {"I64", WEFT_DTYPE_I64}};

} // namespace

struct weft_safetensors {
  std::string path;
  MappedFile file;
  const uint8_t *data = nullptr; // Start of the data section.
  size_t dataSize = 0;
  std::vector<Entry> entries; // Header order.
  std::unordered_map<std::string, size_t> byName;
  // Bytes copied out by reads; atomic because reads take a const file and
  // may run on several threads at once.
  mutable std::atomic<uint64_t> bytesRead{0};
};

namespace {

Status parseDtype(const json::Value &value, weft_dtype_t &dtype) {
  if (!value.isString())
    return error("'dtype' must be a string, found ",
                 json::describe(value.kind()));
  for (const DtypeName &d : kDtypes)
    if (value.getString() == d.name) {
      dtype = d.dtype;
      return Status();
    }
  return error("unsupported dtype ", quote(value.getString()),
               " (supported: F16, BF16, F32, F64, I32, I64)");
}

/// A JSON array of `count` (or, when count < 0, up to WEFT_MAX_RANK)
/// non-negative integers.
Status parseSizes(const json::Value &value, const char *field, int count,
                  std::vector<int64_t> &out) {
  const char *what = count < 0 ? "an array of non-negative integers"
                               : "an array of two non-negative integers";
  if (!value.isArray() || (count >= 0 && value.size() != size_t(count)))
    return error("'", field, "' must be ", what);
  if (count < 0 && value.size() > WEFT_MAX_RANK)
    return error("'", field, "' has ", value.size(), " dimensions, more than ",
                 WEFT_MAX_RANK);
  for (size_t i = 0; i < value.size(); ++i) {
    if (!value[i].isInteger() || value[i].getInteger() < 0)
      return error("'", field, "' must be ", what);
    out.push_back(value[i].getInteger());
  }
  return Status();
}

Status parseEntry(const std::string &name, const json::Value &value,
                  size_t dataSize, Entry &entry) {
  if (!value.isObject())
    return error("expected an object, found ", json::describe(value.kind()));
  for (size_t i = 0; i < value.size(); ++i) {
    const std::string &key = value.key(i);
    if (key != "dtype" && key != "shape" && key != "data_offsets")
      return error("unexpected key ", quote(key),
                   " (expected 'dtype', 'shape', 'data_offsets')");
  }
  for (const char *key : {"dtype", "shape", "data_offsets"})
    if (!value.find(key))
      return error("missing '", key, "'");
  entry.name = name;
  WEFT_RETURN_IF_ERROR(parseDtype(*value.find("dtype"), entry.dtype));
  WEFT_RETURN_IF_ERROR(parseSizes(*value.find("shape"), "shape", -1,
                                  entry.shape));
  std::vector<int64_t> offsets;
  WEFT_RETURN_IF_ERROR(parseSizes(*value.find("data_offsets"), "data_offsets",
                                  2, offsets));
  entry.begin = static_cast<uint64_t>(offsets[0]);
  entry.end = static_cast<uint64_t>(offsets[1]);

  int64_t rank = static_cast<int64_t>(entry.shape.size());
  int64_t count = 0;
  size_t bytes = 0;
  WEFT_RETURN_IF_ERROR(
      checkShape(entry.dtype, entry.shape.data(), rank, &count, &bytes));
  std::string range = concat("data_offsets [", entry.begin, ", ", entry.end,
                             "]");
  if (entry.begin > entry.end)
    return error(range, " are reversed");
  if (entry.end > dataSize)
    return error(range, " exceed the ", dataSize,
                 "-byte data section (is the file truncated?)");
  if (entry.end - entry.begin != bytes)
    return error(range, " hold ", entry.end - entry.begin, " bytes, expected ",
                 bytes, " for ", formatType(entry.dtype, entry.shape.data(),
                                            rank));
  return Status();
}

Status checkMetadata(const json::Value &value) {
  if (!value.isObject())
    return error("'__metadata__' must be an object, found ",
                 json::describe(value.kind()));
  for (size_t i = 0; i < value.size(); ++i)
    if (!value[i].isString())
      return error("'__metadata__' value ", quote(value.key(i)),
                   " must be a string, found ",
                   json::describe(value[i].kind()));
  return Status();
}

/// The tensors, sorted by offset, must tile [0, dataSize) exactly.
Status checkLayout(const std::vector<Entry> &entries, size_t dataSize) {
  std::vector<const Entry *> sorted;
  for (const Entry &e : entries)
    sorted.push_back(&e);
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const Entry *a, const Entry *b) {
                     return a->begin != b->begin ? a->begin < b->begin
                                                 : a->end < b->end;
                   });
  uint64_t covered = 0;
  const Entry *previous = nullptr;
  for (const Entry *e : sorted) {
    if (e->begin < covered)
      return error("tensor ", quote(e->name), " data_offsets [", e->begin,
                   ", ", e->end, "] overlap tensor ", quote(previous->name),
                   " [", previous->begin, ", ", previous->end, "]");
    if (e->begin > covered)
      return error("bytes [", covered, ", ", e->begin,
                   ") of the data section belong to no tensor");
    covered = e->end;
    previous = e;
  }
  if (covered != dataSize)
    return error("bytes [", covered, ", ", dataSize,
                 ") of the data section belong to no tensor");
  return Status();
}

Status parseHeader(weft_safetensors &st) {
  const MappedFile &file = st.file;
  if (file.size() < 8)
    return error("file is ", file.size(),
                 " bytes, too short for the 8-byte header length");
  uint64_t headerSize = loadLE64(file.data());
  if (headerSize > kMaxHeaderBytes)
    return error("header length ", headerSize, " exceeds the ",
                 kMaxHeaderBytes, "-byte limit");
  if (headerSize > file.size() - 8)
    return error("header length ", headerSize, " exceeds the ",
                 file.size() - 8, " bytes after it (is the file truncated?)");
  std::string_view text = file.view().substr(8, headerSize);
  json::Value header;
  json::Limits limits;
  limits.maxBytes = kMaxHeaderBytes;
  // Headers are one object of flat objects; deeper nesting is an attack.
  limits.maxDepth = 4;
  Status parsed = json::parse(text, header, limits);
  if (!parsed.ok())
    return std::move(parsed).withPrefix("invalid JSON header: ");
  if (!header.isObject())
    return error("header must be a JSON object, found ",
                 json::describe(header.kind()));
  st.data = file.data() + 8 + headerSize;
  st.dataSize = file.size() - 8 - headerSize;
  for (size_t i = 0; i < header.size(); ++i) {
    const std::string &name = header.key(i);
    if (name == "__metadata__") {
      WEFT_RETURN_IF_ERROR(checkMetadata(header[i]));
      continue;
    }
    Entry entry;
    Status s = parseEntry(name, header[i], st.dataSize, entry);
    if (!s.ok())
      return std::move(s).withPrefix(concat("tensor ", quote(name), ": "));
    st.byName.emplace(name, st.entries.size());
    st.entries.push_back(std::move(entry));
  }
  return checkLayout(st.entries, st.dataSize);
}

/// The entry named `name`, or an error naming the file's lack of it.
Status findEntry(const weft_safetensors &file, const char *name,
                 const Entry *&entry) {
  auto it = file.byName.find(name);
  if (it == file.byName.end())
    return error("no tensor named ", quote(name));
  entry = &file.entries[it->second];
  return Status();
}

/// "safetensors file 'w.safetensors': tensor 'w': ", the prefix of messages
/// about `entry` (or about the file, when there is no entry).
std::string describe(const weft_safetensors &file, const Entry *entry) {
  std::string out = concat("safetensors file ", quote(file.path), ": ");
  return entry ? concat(out, "tensor ", quote(entry->name), ": ") : out;
}

} // namespace

extern "C" {

weft_status_t weft_safetensors_open(const char *path,
                                    weft_safetensors_t **file) {
  WEFT_CHECK_ARG(path);
  WEFT_CHECK_ARG(file);
  std::unique_ptr<weft_safetensors> st(new weft_safetensors);
  st->path = path;
  Status s = MappedFile::open(path, st->file);
  if (s.ok())
    s = parseHeader(*st);
  if (!s.ok())
    return std::move(s)
        .withPrefix(concat("safetensors file ", quote(path), ": "))
        .release();
  *file = st.release();
  return nullptr;
}

void weft_safetensors_close(weft_safetensors_t *file) { delete file; }

size_t weft_safetensors_count(const weft_safetensors_t *file) {
  return file->entries.size();
}

const char *weft_safetensors_name(const weft_safetensors_t *file, size_t i) {
  return i < file->entries.size() ? file->entries[i].name.c_str() : nullptr;
}

weft_status_t weft_safetensors_tensor_type(const weft_safetensors_t *file,
                                           const char *name,
                                           weft_dtype_t *dtype, int64_t *rank,
                                           const int64_t **shape) {
  WEFT_CHECK_ARG(file);
  WEFT_CHECK_ARG(name);
  WEFT_CHECK_ARG(dtype);
  WEFT_CHECK_ARG(rank);
  WEFT_CHECK_ARG(shape);
  const Entry *entry = nullptr;
  Status s = findEntry(*file, name, entry);
  if (!s.ok())
    return std::move(s).withPrefix(describe(*file, nullptr)).release();
  *dtype = entry->dtype;
  *rank = static_cast<int64_t>(entry->shape.size());
  *shape = entry->shape.data();
  return nullptr;
}

weft_status_t weft_safetensors_read(const weft_safetensors_t *file,
                                    const char *name, weft_tensor_t *tensor) {
  WEFT_CHECK_ARG(file);
  WEFT_CHECK_ARG(name);
  WEFT_CHECK_ARG(tensor);
  const Entry *entry = nullptr;
  Status s = findEntry(*file, name, entry);
  if (s.ok())
    s = checkType(tensor->dtype, tensor->shape, tensor->rank, entry->dtype,
                  entry->shape.data(),
                  static_cast<int64_t>(entry->shape.size()));
  if (!s.ok())
    return std::move(s).withPrefix(describe(*file, entry)).release();
  if (tensor->numBytes)
    std::memcpy(tensor->data, file->data + entry->begin, tensor->numBytes);
  file->bytesRead.fetch_add(tensor->numBytes, std::memory_order_relaxed);
  return nullptr;
}

weft_status_t weft_safetensors_read_slice(const weft_safetensors_t *file,
                                          const char *name,
                                          const int64_t *offsets,
                                          weft_tensor_t *tensor) {
  WEFT_CHECK_ARG(file);
  WEFT_CHECK_ARG(name);
  WEFT_CHECK_ARG(tensor);
  const Entry *entry = nullptr;
  Status s = findEntry(*file, name, entry);
  const int64_t rank = entry ? static_cast<int64_t>(entry->shape.size()) : 0;
  if (s.ok())
    s = checkSlice(entry->dtype, entry->shape.data(), rank, offsets,
                   tensor->dtype, tensor->shape, tensor->rank);
  if (!s.ok())
    return std::move(s).withPrefix(describe(*file, entry)).release();
  size_t copied = copySlice(weft_dtype_size(entry->dtype),
                            file->data + entry->begin, entry->shape.data(),
                            rank, offsets, tensor->shape, tensor->data);
  file->bytesRead.fetch_add(copied, std::memory_order_relaxed);
  return nullptr;
}

uint64_t weft_safetensors_bytes_read(const weft_safetensors_t *file) {
  return file ? file->bytesRead.load(std::memory_order_relaxed) : 0;
}

} // extern "C"
