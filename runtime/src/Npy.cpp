//===- Npy.cpp - NumPy .npy reader and writer -----------------------------===//
//
// Reads and writes NumPy's .npy format (versions 1.0 to 3.0): a magic
// string, a version, a header length, then a Python dict literal giving
// 'descr', 'fortran_order' and 'shape', then the raw C-order data. The
// header is parsed with a small grammar for exactly that dict, not by
// pattern matching, and every size is checked against the file before any
// allocation.
//
//===----------------------------------------------------------------------===//

#include "File.h"
#include "Tensor.h"

#include <charconv>
#include <cstring>
#include <vector>

using namespace weft::runtime;

namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicSize = 6;

struct DtypeCode {
  const char *descr;
  weft_dtype_t dtype;
};
constexpr DtypeCode kDtypeCodes[] = {{"<f2", WEFT_DTYPE_F16},
                                     {"<f4", WEFT_DTYPE_F32},
                                     {"<f8", WEFT_DTYPE_F64},
                                     {"<i4", WEFT_DTYPE_I32},
                                     {"<i8", WEFT_DTYPE_I64}};

/// The fields of an .npy header.
struct NpyHeader {
  weft_dtype_t dtype = WEFT_DTYPE_F32;
  std::vector<int64_t> shape;
};

/// Parses the header dict: {'descr': '<f4', 'fortran_order': False,
/// 'shape': (2, 3), } with Python's literal syntax for those three types.
class HeaderParser {
public:
  explicit HeaderParser(std::string_view text) : text(text) {}

  Status parse(NpyHeader &header) {
    bool haveDescr = false, haveOrder = false, haveShape = false;
    skipSpace();
    WEFT_RETURN_IF_ERROR(expect('{'));
    while (true) {
      skipSpace();
      if (consume('}'))
        break;
      std::string key;
      WEFT_RETURN_IF_ERROR(parseString(key));
      skipSpace();
      WEFT_RETURN_IF_ERROR(expect(':'));
      skipSpace();
      if (key == "descr") {
        WEFT_RETURN_IF_ERROR(once(haveDescr, key));
        WEFT_RETURN_IF_ERROR(parseDescr(header.dtype));
      } else if (key == "fortran_order") {
        WEFT_RETURN_IF_ERROR(once(haveOrder, key));
        WEFT_RETURN_IF_ERROR(parseFortranOrder());
      } else if (key == "shape") {
        WEFT_RETURN_IF_ERROR(once(haveShape, key));
        WEFT_RETURN_IF_ERROR(parseShape(header.shape));
      } else {
        return error("unexpected key ", quote(key),
                     " (expected 'descr', 'fortran_order' and 'shape')");
      }
      skipSpace();
      if (consume('}'))
        break;
      WEFT_RETURN_IF_ERROR(expect(','));
    }
    skipSpace();
    if (pos != text.size())
      return fail("unexpected characters after the header dict");
    if (!haveDescr || !haveOrder || !haveShape)
      return error("missing key ",
                   !haveDescr ? "'descr'"
                              : (!haveOrder ? "'fortran_order'" : "'shape'"));
    return Status();
  }

private:
  Status fail(std::string_view what) const {
    return error(what, " at header byte ", pos);
  }
  char peek() const { return pos < text.size() ? text[pos] : '\0'; }
  bool consume(char c) {
    if (pos >= text.size() || text[pos] != c)
      return false;
    ++pos;
    return true;
  }
  Status expect(char c) {
    if (consume(c))
      return Status();
    return fail(concat("expected '", c, "'"));
  }
  void skipSpace() {
    while (pos < text.size() &&
           (text[pos] == ' ' || text[pos] == '\n' || text[pos] == '\t'))
      ++pos;
  }
  static Status once(bool &seen, const std::string &key) {
    if (seen)
      return error("duplicate key ", quote(key));
    seen = true;
    return Status();
  }

  Status parseString(std::string &out) {
    char q = peek();
    if (q != '\'' && q != '"')
      return fail("expected a quoted string");
    size_t end = text.find(q, pos + 1);
    if (end == std::string_view::npos)
      return fail("unterminated string");
    out = std::string(text.substr(pos + 1, end - pos - 1));
    if (out.find('\\') != std::string::npos)
      return fail("escape sequences are not supported");
    pos = end + 1;
    return Status();
  }

  Status parseDescr(weft_dtype_t &dtype) {
    if (peek() == '[')
      return error("structured dtypes are not supported");
    std::string descr;
    WEFT_RETURN_IF_ERROR(parseString(descr));
    for (const DtypeCode &code : kDtypeCodes)
      if (descr == code.descr) {
        dtype = code.dtype;
        return Status();
      }
    if (descr == "<V2" || descr == "|V2")
      return error("dtype ", quote(descr),
                   " (raw 2-byte values, as bfloat16 arrays are saved) is not "
                   "supported; read bf16 tensors from safetensors");
    if (!descr.empty() && descr[0] == '>')
      return error("dtype ", quote(descr),
                   " is big-endian; save the array as little-endian "
                   "(arr.astype(arr.dtype.newbyteorder('<')))");
    return error("unsupported dtype ", quote(descr),
                 " (expected <f2, <f4, <f8, <i4 or <i8)");
  }

  Status parseFortranOrder() {
    if (text.substr(pos, 5) == "False") {
      pos += 5;
      return Status();
    }
    if (text.substr(pos, 4) == "True")
      return error("Fortran-order arrays are not supported; save a C-order "
                   "array (np.ascontiguousarray)");
    return fail("expected True or False for 'fortran_order'");
  }

  Status parseShape(std::vector<int64_t> &shape) {
    WEFT_RETURN_IF_ERROR(expect('('));
    bool trailingComma = false;
    while (true) {
      skipSpace();
      if (consume(')'))
        break;
      if (shape.size() == WEFT_MAX_RANK)
        return error("shape has more than ", WEFT_MAX_RANK, " dimensions");
      int64_t size = 0;
      WEFT_RETURN_IF_ERROR(parseSize(size));
      shape.push_back(size);
      skipSpace();
      trailingComma = consume(',');
      if (!trailingComma) {
        skipSpace();
        WEFT_RETURN_IF_ERROR(expect(')'));
        break;
      }
    }
    // Python reads "(3)" as the integer 3, which NumPy rejects as a shape.
    if (shape.size() == 1 && !trailingComma)
      return error("'shape' (", shape[0], ") is not a tuple; expected (",
                   shape[0], ",)");
    return Status();
  }

  Status parseSize(int64_t &size) {
    const char *first = text.data() + pos;
    const char *last = text.data() + text.size();
    auto [end, ec] = std::from_chars(first, last, size);
    if (ec == std::errc::result_out_of_range)
      return fail("dimension does not fit in 64 bits");
    if (ec != std::errc() || size < 0)
      return fail("expected a non-negative dimension");
    pos += static_cast<size_t>(end - first);
    consume('L'); // Python 2 long literals, written by old NumPy.
    return Status();
  }

  std::string_view text;
  size_t pos = 0;
};

/// Splits the file into header text and data. Returns the data offset.
Status readPrelude(const MappedFile &file, std::string_view &header,
                   size_t &dataOffset) {
  const uint8_t *p = file.data();
  size_t size = file.size();
  if (size < kMagicSize + 2 || std::memcmp(p, kMagic, kMagicSize) != 0)
    return error("not a .npy file (missing the \\x93NUMPY magic)");
  int major = p[6], minor = p[7];
  if (major < 1 || major > 3 || minor != 0)
    return error("unsupported .npy format version ", major, ".", minor,
                 " (expected 1.0, 2.0 or 3.0)");
  size_t lengthBytes = major == 1 ? 2 : 4;
  size_t prelude = kMagicSize + 2 + lengthBytes;
  if (size < prelude)
    return error("file is ", size, " bytes, too short for the header length");
  uint64_t headerLength =
      major == 1 ? loadLE16(p + 8) : static_cast<uint64_t>(loadLE32(p + 8));
  if (headerLength > size - prelude)
    return error("header length ", headerLength, " exceeds the ",
                 size - prelude, " bytes after the prelude");
  header = file.view().substr(prelude, headerLength);
  dataOffset = prelude + headerLength;
  return Status();
}

Status readNpy(const std::string &path, TensorPtr &out) {
  MappedFile file;
  WEFT_RETURN_IF_ERROR(MappedFile::open(path, file));
  std::string_view headerText;
  size_t dataOffset = 0;
  WEFT_RETURN_IF_ERROR(readPrelude(file, headerText, dataOffset));
  NpyHeader header;
  WEFT_RETURN_IF_ERROR(HeaderParser(headerText).parse(header));
  int64_t rank = static_cast<int64_t>(header.shape.size());
  int64_t count = 0;
  size_t bytes = 0;
  WEFT_RETURN_IF_ERROR(
      checkShape(header.dtype, header.shape.data(), rank, &count, &bytes));
  // Compare before allocating: a corrupt shape must not cost memory.
  size_t available = file.size() - dataOffset;
  if (available != bytes)
    return error("data is ", available, " bytes, expected ", bytes, " for ",
                 formatType(header.dtype, header.shape.data(), rank));
  TensorPtr tensor;
  WEFT_RETURN_IF_ERROR(
      createTensor(header.dtype, header.shape.data(), rank, tensor));
  if (bytes)
    std::memcpy(tensor->data, file.data() + dataOffset, bytes);
  out = std::move(tensor);
  return Status();
}

const char *descrOf(weft_dtype_t dtype) {
  for (const DtypeCode &code : kDtypeCodes)
    if (code.dtype == dtype)
      return code.descr;
  return nullptr;
}

/// The magic, version, length and padded dict, ready to precede the data.
std::string buildHeader(const weft_tensor &tensor) {
  std::string dict =
      concat("{'descr': '", descrOf(tensor.dtype),
             "', 'fortran_order': False, 'shape': (");
  for (int64_t i = 0; i < tensor.rank; ++i)
    dict += concat(i ? ", " : "", tensor.shape[i]);
  dict += tensor.rank == 1 ? ",), }" : "), }";
  // NumPy pads the header with spaces and a newline so that the data starts
  // at a multiple of 64 bytes; version 2.0 only when 1.0's u16 is too small.
  auto paddedLength = [&](size_t prelude) {
    return (prelude + dict.size() + 1 + 63) / 64 * 64 - prelude;
  };
  bool v1 = paddedLength(kMagicSize + 4) <= 0xffff;
  size_t length = paddedLength(kMagicSize + (v1 ? 4 : 6));
  dict.append(length - dict.size() - 1, ' ');
  dict += '\n';

  std::string out(kMagic, kMagicSize);
  out += static_cast<char>(v1 ? 1 : 2);
  out += '\0';
  uint8_t lengthBytes[4];
  storeLE32(lengthBytes, static_cast<uint32_t>(dict.size()));
  out.append(reinterpret_cast<char *>(lengthBytes), v1 ? 2 : 4);
  return out + dict;
}

} // namespace

extern "C" {

weft_status_t weft_tensor_read_npy(const char *path, weft_tensor_t **tensor) {
  WEFT_CHECK_ARG(path);
  WEFT_CHECK_ARG(tensor);
  TensorPtr result;
  Status s = readNpy(path, result);
  if (!s.ok())
    return std::move(s).withPrefix(concat("npy file ", quote(path), ": "))
        .release();
  *tensor = result.release();
  return nullptr;
}

weft_status_t weft_tensor_write_npy(const weft_tensor_t *tensor,
                                    const char *path) {
  WEFT_CHECK_ARG(tensor);
  WEFT_CHECK_ARG(path);
  if (!descrOf(tensor->dtype))
    return error("cannot write ", weft_dtype_name(tensor->dtype),
                 " tensor to ", quote(path),
                 ": .npy has no standard type for it")
        .release();
  std::string header = buildHeader(*tensor);
  FileChunk chunks[] = {{header.data(), header.size()},
                        {tensor->data, tensor->numBytes}};
  return writeFileAtomically(path, chunks, 2).release();
}

} // extern "C"
