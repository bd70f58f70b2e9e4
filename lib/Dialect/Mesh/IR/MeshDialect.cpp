//===- MeshDialect.cpp - The mesh dialect and its attributes ----------------===//
//
// Registers the mesh dialect and implements its hand-written attribute
// syntax: the device description and the sharding.
//
//===----------------------------------------------------------------------===//

#include "weft/Dialect/Mesh/IR/MeshDialect.h"
#include "weft/Dialect/Mesh/IR/MeshOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/SmallBitVector.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

using namespace mlir;
using namespace weft::mesh;

#include "weft/Dialect/Mesh/IR/MeshOpsDialect.cpp.inc"
#include "weft/Dialect/Mesh/IR/MeshEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "weft/Dialect/Mesh/IR/MeshAttrs.cpp.inc"

void MeshDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "weft/Dialect/Mesh/IR/MeshOps.cpp.inc"
      >();
  addAttributes<
#define GET_ATTRDEF_LIST
#include "weft/Dialect/Mesh/IR/MeshAttrs.cpp.inc"
      >();
}

//===----------------------------------------------------------------------===//
// Real numbers
//===----------------------------------------------------------------------===//

FailureOr<APFloat> weft::mesh::parsePositiveDouble(AsmParser &parser) {
  SMLoc loc = parser.getCurrentLocation();
  double value;
  if (parser.parseFloat(value))
    return failure();
  if (!(value > 0) || !std::isfinite(value))
    return parser.emitError(loc, "expected a positive finite number, got ")
           << value;
  return APFloat(value);
}

void weft::mesh::printDouble(llvm::raw_ostream &os, double value) {
  // Fewest significant digits that read back exactly.
  std::string text;
  for (int precision = 0; precision <= 17; ++precision) {
    char buffer[32];
    std::snprintf(buffer, sizeof(buffer), "%.*e", precision, value);
    text = buffer;
    if (std::strtod(text.c_str(), nullptr) == value)
      break;
  }
  // MLIR's lexer needs a '.' to read a float: "3e-06" becomes "3.0e-06".
  size_t exponent = text.find('e');
  if (text.find('.') == std::string::npos && exponent != std::string::npos)
    text.insert(exponent, ".0");
  os << text;
}

//===----------------------------------------------------------------------===//
// DeviceAttr
//===----------------------------------------------------------------------===//

// #mesh.device<"name", peak_flops = {f16 = 9.89e+14, ...},
//              memory_bandwidth = 3.35e+12, memory_capacity = 8.0e+10>
Attribute DeviceAttr::parse(AsmParser &parser, Type) {
  std::string name;
  SmallVector<NamedAttribute> peaks;
  FailureOr<APFloat> bandwidth = failure(), capacity = failure();
  auto parsePeak = [&]() -> ParseResult {
    std::string typeName;
    SMLoc keyLoc = parser.getCurrentLocation();
    if (parser.parseKeywordOrString(&typeName) || parser.parseEqual())
      return failure();
    if (llvm::any_of(peaks, [&](NamedAttribute entry) {
          return entry.getName() == typeName;
        }))
      return parser.emitError(keyLoc, "duplicate peak_flops entry '")
             << typeName << "'";
    FailureOr<APFloat> peak = parsePositiveDouble(parser);
    if (failed(peak))
      return failure();
    peaks.emplace_back(StringAttr::get(parser.getContext(), typeName),
                       FloatAttr::get(Float64Type::get(parser.getContext()),
                                      peak->convertToDouble()));
    return success();
  };
  if (parser.parseLess() || parser.parseString(&name) || parser.parseComma() ||
      parser.parseKeyword("peak_flops") || parser.parseEqual() ||
      parser.parseCommaSeparatedList(AsmParser::Delimiter::Braces, parsePeak) ||
      parser.parseComma() || parser.parseKeyword("memory_bandwidth") ||
      parser.parseEqual() ||
      failed(bandwidth = parsePositiveDouble(parser)) || parser.parseComma() ||
      parser.parseKeyword("memory_capacity") || parser.parseEqual() ||
      failed(capacity = parsePositiveDouble(parser)) || parser.parseGreater())
    return {};
  return parser.getChecked<DeviceAttr>(
      parser.getContext(), name,
      DictionaryAttr::get(parser.getContext(), peaks), *bandwidth, *capacity);
}

void DeviceAttr::print(AsmPrinter &printer) const {
  raw_ostream &os = printer.getStream();
  os << "<";
  printer.printString(getName());
  os << ", peak_flops = {";
  llvm::interleaveComma(getPeakFlops(), os, [&](NamedAttribute entry) {
    printer.printKeywordOrString(entry.getName().getValue());
    os << " = ";
    printDouble(os, cast<FloatAttr>(entry.getValue()).getValueAsDouble());
  });
  os << "}, memory_bandwidth = ";
  printDouble(os, getMemoryBandwidth());
  os << ", memory_capacity = ";
  printDouble(os, getMemoryCapacity());
  os << ">";
}

LogicalResult DeviceAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                 StringRef name, DictionaryAttr peakFlops,
                                 APFloat memoryBandwidth,
                                 APFloat memoryCapacity) {
  if (name.empty())
    return emitError() << "expected a non-empty device name";
  for (NamedAttribute entry : peakFlops) {
    auto peak = dyn_cast<FloatAttr>(entry.getValue());
    if (!peak || !(peak.getValueAsDouble() > 0))
      return emitError() << "expected peak_flops entry '"
                         << entry.getName().getValue()
                         << "' to be a positive number, got "
                         << entry.getValue();
  }
  double bandwidth = memoryBandwidth.convertToDouble();
  double capacity = memoryCapacity.convertToDouble();
  if (!(bandwidth > 0) || !(capacity > 0))
    return emitError() << "expected positive memory bandwidth and capacity, got "
                       << bandwidth << " and " << capacity;
  return success();
}

std::optional<double> DeviceAttr::getPeakFlops(Type elementType) const {
  std::string key;
  llvm::raw_string_ostream os(key);
  elementType.print(os);
  if (auto peak = getPeakFlops().getAs<FloatAttr>(key))
    return peak.getValueAsDouble();
  return std::nullopt;
}

//===----------------------------------------------------------------------===//
// ShardingAttr
//===----------------------------------------------------------------------===//

/// Drops trailing unsplit dimensions: `[[0], []]` and `[[0]]` say the same,
/// so they must be the same attribute for CSE and comparisons to see it.
static void trimTrailingUnsplitDims(SmallVectorImpl<DenseI64ArrayAttr> &axes) {
  while (!axes.empty() && axes.back().empty())
    axes.pop_back();
}

ShardingAttr ShardingAttr::get(MLIRContext *context, FlatSymbolRefAttr mesh,
                               ArrayRef<SmallVector<int64_t>> splitAxes,
                               ArrayRef<int64_t> partialAxes,
                               ReductionKind partialKind) {
  SmallVector<DenseI64ArrayAttr> axes;
  for (const SmallVector<int64_t> &dimAxes : splitAxes)
    axes.push_back(DenseI64ArrayAttr::get(context, dimAxes));
  trimTrailingUnsplitDims(axes);
  return Base::get(context, mesh, axes, partialAxes, partialKind);
}

static ParseResult parseAxisList(AsmParser &parser,
                                 SmallVectorImpl<int64_t> &axes) {
  return parser.parseCommaSeparatedList(
      AsmParser::Delimiter::Square, [&]() -> ParseResult {
        int64_t axis;
        if (parser.parseInteger(axis))
          return failure();
        axes.push_back(axis);
        return success();
      });
}

// <@mesh, [[0], [], [1]], partial = sum[1]>
Attribute ShardingAttr::parse(AsmParser &parser, Type) {
  MLIRContext *context = parser.getContext();
  FlatSymbolRefAttr mesh;
  SmallVector<DenseI64ArrayAttr> splitAxes;
  SmallVector<int64_t> partialAxes;
  ReductionKind kind = ReductionKind::Sum;
  auto parseDim = [&]() -> ParseResult {
    SmallVector<int64_t> axes;
    if (parseAxisList(parser, axes))
      return failure();
    splitAxes.push_back(DenseI64ArrayAttr::get(context, axes));
    return success();
  };
  if (parser.parseLess() || parser.parseAttribute(mesh) ||
      parser.parseComma() ||
      parser.parseCommaSeparatedList(AsmParser::Delimiter::Square, parseDim))
    return {};
  if (succeeded(parser.parseOptionalComma())) {
    std::string kindName;
    SMLoc kindLoc;
    if (parser.parseKeyword("partial") || parser.parseEqual() ||
        (kindLoc = parser.getCurrentLocation(),
         parser.parseKeywordOrString(&kindName)))
      return {};
    std::optional<ReductionKind> parsedKind = symbolizeReductionKind(kindName);
    if (!parsedKind) {
      parser.emitError(kindLoc, "expected a reduction kind (sum, max, min, "
                                "prod), got '")
          << kindName << "'";
      return {};
    }
    kind = *parsedKind;
    SMLoc axesLoc = parser.getCurrentLocation();
    if (parseAxisList(parser, partialAxes))
      return {};
    if (partialAxes.empty()) {
      parser.emitError(axesLoc, "expected at least one partial mesh axis; "
                                "omit the partial clause when nothing is "
                                "partial");
      return {};
    }
  }
  if (parser.parseGreater())
    return {};
  trimTrailingUnsplitDims(splitAxes);
  return parser.getChecked<ShardingAttr>(context, mesh, splitAxes, partialAxes,
                                         kind);
}

void ShardingAttr::print(AsmPrinter &printer) const {
  raw_ostream &os = printer.getStream();
  os << "<";
  printer.printAttributeWithoutType(getMesh());
  os << ", [";
  llvm::interleaveComma(getSplitAxes(), os, [&](DenseI64ArrayAttr axes) {
    os << "[";
    llvm::interleaveComma(axes.asArrayRef(), os);
    os << "]";
  });
  os << "]";
  if (!getPartialAxes().empty()) {
    os << ", partial = " << stringifyReductionKind(getPartialKind()) << "[";
    llvm::interleaveComma(getPartialAxes(), os);
    os << "]";
  }
  os << ">";
}

LogicalResult ShardingAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                   FlatSymbolRefAttr mesh,
                                   ArrayRef<DenseI64ArrayAttr> splitAxes,
                                   ArrayRef<int64_t> partialAxes,
                                   ReductionKind) {
  if (!mesh)
    return emitError() << "expected a mesh symbol";
  SmallVector<int64_t> seen;
  auto check = [&](int64_t axis) -> LogicalResult {
    if (axis < 0)
      return emitError() << "expected non-negative mesh axes, got " << axis;
    if (llvm::is_contained(seen, axis))
      return emitError() << "expected each mesh axis at most once, got axis "
                         << axis << " twice";
    seen.push_back(axis);
    return success();
  };
  for (DenseI64ArrayAttr dimAxes : splitAxes)
    for (int64_t axis : dimAxes.asArrayRef())
      if (failed(check(axis)))
        return failure();
  for (int64_t axis : partialAxes)
    if (failed(check(axis)))
      return failure();
  return success();
}

LogicalResult
ShardingAttr::verifyFor(function_ref<InFlightDiagnostic()> emitError,
                        int64_t meshRank, int64_t tensorRank) const {
  if (static_cast<int64_t>(getSplitAxes().size()) > tensorRank)
    return emitError() << "expected at most " << tensorRank
                       << " split dims (the tensor's rank), got "
                       << getSplitAxes().size();
  auto inRange = [&](int64_t axis) -> LogicalResult {
    if (axis < meshRank)
      return success();
    return emitError() << "expected mesh axes in [0, " << meshRank << ") for "
                       << getMesh() << ", got " << axis;
  };
  for (DenseI64ArrayAttr dimAxes : getSplitAxes())
    for (int64_t axis : dimAxes.asArrayRef())
      if (failed(inRange(axis)))
        return failure();
  for (int64_t axis : getPartialAxes())
    if (failed(inRange(axis)))
      return failure();
  return success();
}

bool ShardingAttr::isFullyReplicated() const {
  return getPartialAxes().empty() &&
         llvm::all_of(getSplitAxes(),
                      [](DenseI64ArrayAttr axes) { return axes.empty(); });
}
