//===- MeshOps.cpp - Operations of the mesh dialect -------------------------===//
//
// The mesh declaration's syntax and checks, and the collectives' result-type
// rules. Collectives and annotations name their mesh by symbol, so their
// checks that need the mesh's sizes run in `verifySymbolUses`.
//
//===----------------------------------------------------------------------===//

#include "weft/Dialect/Mesh/IR/MeshOps.h"
#include "weft/Dialect/Mesh/IR/MeshPresets.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/MathExtras.h"

using namespace mlir;
using namespace weft::mesh;

using EmitErrorFn = function_ref<InFlightDiagnostic()>;

//===----------------------------------------------------------------------===//
// MeshOp
//===----------------------------------------------------------------------===//

static std::string shapeString(ArrayRef<int64_t> shape) {
  std::string text;
  llvm::raw_string_ostream os(text);
  llvm::interleave(shape, os, "x");
  return text;
}

static void setDescription(OperationState &state, Builder &builder,
                           const MeshDescription &mesh) {
  state.addAttribute("shape", builder.getDenseI64ArrayAttr(mesh.shape));
  SmallVector<StringRef> names(mesh.axisNames.begin(), mesh.axisNames.end());
  state.addAttribute("axis_names", builder.getStrArrayAttr(names));
  state.addAttribute("device", mesh.device);
  SmallVector<Attribute> links(mesh.links.begin(), mesh.links.end());
  state.addAttribute("links", builder.getArrayAttr(links));
}

// mesh.mesh @name(shape = 2x8, axes = ["node", "gpu"], device = ..., links = [...])
// mesh.mesh @name(preset = "2x8xH100-IB")
ParseResult MeshOp::parse(OpAsmParser &parser, OperationState &result) {
  Builder &builder = parser.getBuilder();
  StringAttr name;
  if (parser.parseSymbolName(name, getSymNameAttrName(result.name),
                             result.attributes) ||
      parser.parseLParen())
    return failure();

  SMLoc presetLoc = parser.getCurrentLocation();
  if (succeeded(parser.parseOptionalKeyword("preset"))) {
    std::string preset;
    if (parser.parseEqual() || parser.parseString(&preset) ||
        parser.parseRParen())
      return failure();
    FailureOr<MeshDescription> mesh =
        getMeshPreset(parser.getContext(), preset,
                      [&] { return parser.emitError(presetLoc); });
    if (failed(mesh))
      return failure();
    setDescription(result, builder, *mesh);
    return parser.parseOptionalAttrDict(result.attributes);
  }

  SmallVector<int64_t> shape;
  if (parser.parseKeyword("shape") || parser.parseEqual() ||
      parser.parseDimensionList(shape, /*allowDynamic=*/false,
                                /*withTrailingX=*/false))
    return failure();
  result.addAttribute(getShapeAttrName(result.name),
                      builder.getDenseI64ArrayAttr(shape));
  while (succeeded(parser.parseOptionalComma())) {
    StringRef key;
    SMLoc keyLoc = parser.getCurrentLocation();
    if (parser.parseKeyword(&key) || parser.parseEqual())
      return failure();
    if (key == "axes") {
      ArrayAttr names;
      if (parser.parseAttribute(names))
        return failure();
      result.addAttribute(getAxisNamesAttrName(result.name), names);
    } else if (key == "device") {
      DeviceAttr device;
      if (parser.parseCustomAttributeWithFallback(device))
        return failure();
      result.addAttribute(getDeviceAttrName(result.name), device);
    } else if (key == "links") {
      ArrayAttr links;
      if (parser.parseAttribute(links))
        return failure();
      result.addAttribute(getLinksAttrName(result.name), links);
    } else {
      return parser.emitError(keyLoc, "expected 'axes', 'device' or 'links', "
                                      "got '")
             << key << "'";
    }
  }
  if (parser.parseRParen())
    return failure();
  return parser.parseOptionalAttrDict(result.attributes);
}

/// The preset this mesh is an instance of, if any, so that it prints short.
static std::optional<std::string> matchingPreset(MeshOp mesh) {
  if (!mesh.getDevice() || !mesh.getLinks() || !mesh.getAxisNames())
    return std::nullopt;
  for (StringRef family : getMeshPresetFamilies()) {
    std::string name = shapeString(mesh.getShape()) + "x" + family.str();
    FailureOr<MeshDescription> preset = getMeshPreset(
        mesh.getContext(), name, [] { return InFlightDiagnostic(); });
    if (failed(preset) || preset->device != *mesh.getDevice())
      continue;
    SmallVector<Attribute> links(preset->links.begin(), preset->links.end());
    SmallVector<StringRef> axes(preset->axisNames.begin(),
                                preset->axisNames.end());
    Builder b(mesh.getContext());
    if (b.getArrayAttr(links) == *mesh.getLinks() &&
        b.getStrArrayAttr(axes) == *mesh.getAxisNames())
      return name;
  }
  return std::nullopt;
}

void MeshOp::print(OpAsmPrinter &printer) {
  printer << ' ';
  printer.printSymbolName(getSymName());
  SmallVector<StringRef, 5> elided = {getSymNameAttrName(), getShapeAttrName(),
                                      getAxisNamesAttrName(),
                                      getDeviceAttrName(), getLinksAttrName()};
  if (std::optional<std::string> preset = matchingPreset(*this)) {
    printer << "(preset = \"" << *preset << "\")";
    printer.printOptionalAttrDict((*this)->getAttrs(), elided);
    return;
  }
  printer << "(shape = " << shapeString(getShape());
  if (std::optional<ArrayAttr> names = getAxisNames()) {
    printer << ", axes = ";
    printer.printAttribute(*names);
  }
  if (std::optional<DeviceAttr> device = getDevice()) {
    printer << ", device = ";
    printer.printAttribute(*device);
  }
  if (std::optional<ArrayAttr> links = getLinks()) {
    printer << ", links = ";
    printer.printAttribute(*links);
  }
  printer << ")";
  printer.printOptionalAttrDict((*this)->getAttrs(), elided);
}

LogicalResult MeshOp::verify() {
  ArrayRef<int64_t> shape = getShape();
  if (shape.empty())
    return emitOpError("expected a mesh of rank at least 1");
  for (auto [axis, size] : llvm::enumerate(shape))
    if (size <= 0)
      return emitOpError("expected positive axis sizes, got ")
             << size << " for axis " << axis;
  if (!getDeviceCount(shape))
    return emitOpError("expected at most ")
           << kMaxMeshDevices << " devices, got shape " << shapeString(shape);
  int64_t rank = getRank();
  if (std::optional<ArrayAttr> names = getAxisNames()) {
    if (static_cast<int64_t>(names->size()) != rank)
      return emitOpError("expected ")
             << rank << " axis names (the mesh's rank), got " << names->size();
    llvm::StringSet<> seen;
    for (StringRef name : names->getAsValueRange<StringAttr>()) {
      if (name.empty())
        return emitOpError("expected non-empty axis names");
      if (!seen.insert(name).second)
        return emitOpError("expected distinct axis names, got '")
               << name << "' twice";
    }
  }
  if (std::optional<ArrayAttr> links = getLinks())
    if (static_cast<int64_t>(links->size()) != rank)
      return emitOpError("expected ")
             << rank << " links (one per mesh axis), got " << links->size();
  return success();
}

int64_t MeshOp::getNumDevices() {
  // The verifier bounds the count, so the product is known to fit.
  return getDeviceCount(getShape()).value_or(0);
}

std::string MeshOp::getAxisName(int64_t axis) {
  if (std::optional<ArrayAttr> names = getAxisNames())
    return cast<StringAttr>((*names)[axis]).getValue().str();
  return "axis" + std::to_string(axis);
}

int64_t MeshOp::getGroupSize(ArrayRef<int64_t> axes) {
  int64_t size = 1;
  for (int64_t axis : axes)
    size *= getShape()[axis];
  return size;
}

//===----------------------------------------------------------------------===//
// Shared checks
//===----------------------------------------------------------------------===//

/// Resolves the mesh an op refers to.
static FailureOr<MeshOp> lookupMesh(Operation *op, FlatSymbolRefAttr symbol,
                                    SymbolTableCollection &symbolTable) {
  auto mesh = symbolTable.lookupNearestSymbolFrom<MeshOp>(op, symbol);
  if (!mesh)
    return op->emitOpError("expected ")
           << symbol << " to name a mesh.mesh in an enclosing symbol table";
  return mesh;
}

/// Checks that `axes` are distinct axes of `mesh`.
static LogicalResult verifyMeshAxes(EmitErrorFn emitError, MeshOp mesh,
                                    ArrayRef<int64_t> axes) {
  SmallVector<int64_t> seen;
  for (int64_t axis : axes) {
    if (axis >= mesh.getRank())
      return emitError() << "expected mesh axes in [0, " << mesh.getRank()
                         << ") for @" << mesh.getSymName() << ", got " << axis;
    if (llvm::is_contained(seen, axis))
      return emitError() << "expected distinct mesh axes, got axis " << axis
                         << " twice";
    seen.push_back(axis);
  }
  return success();
}

/// Checks device coordinates within the group spanned by `axes`.
static LogicalResult verifyCoordinates(EmitErrorFn emitError, MeshOp mesh,
                                       ArrayRef<int64_t> axes,
                                       ArrayRef<int64_t> coordinates,
                                       StringRef what) {
  if (coordinates.size() != axes.size())
    return emitError() << "expected " << axes.size() << " " << what
                       << " coordinates (one per mesh axis), got "
                       << coordinates.size();
  for (auto [axis, coordinate] : llvm::zip_equal(axes, coordinates)) {
    int64_t size = mesh.getShape()[axis];
    if (coordinate < 0 || coordinate >= size)
      return emitError() << "expected " << what << " coordinate along mesh axis "
                         << axis << " in [0, " << size << "), got "
                         << coordinate;
  }
  return success();
}

static LogicalResult verifyTensorDim(EmitErrorFn emitError, StringRef name,
                                     int64_t dim, RankedTensorType type) {
  if (dim >= 0 && dim < type.getRank())
    return success();
  return emitError() << "expected " << name << " in [0, " << type.getRank()
                     << ") (the operand's rank), got " << dim;
}

/// Checks that the group size divides dimension `dim` so it can be cut
/// evenly.
static LogicalResult verifyDivisible(EmitErrorFn emitError, StringRef name,
                                     RankedTensorType type, int64_t dim,
                                     int64_t groupSize) {
  int64_t size = type.getDimSize(dim);
  if (ShapedType::isDynamic(size) || size % groupSize == 0)
    return success();
  return emitError() << "expected " << name << " dim " << dim << " of size "
                     << size << " to be divisible by the group size "
                     << groupSize;
}

/// `type` with dimension `dim` multiplied by `multiply` and divided by
/// `divide`, or an error when the new size overflows.
static FailureOr<RankedTensorType> withDimScaled(EmitErrorFn emitError,
                                                 RankedTensorType type,
                                                 int64_t dim, int64_t multiply,
                                                 int64_t divide) {
  SmallVector<int64_t> shape(type.getShape());
  if (ShapedType::isDynamic(shape[dim]))
    return type;
  int64_t scaled;
  if (llvm::MulOverflow(shape[dim], multiply, scaled))
    return emitError() << "expected dim " << dim << " of size " << shape[dim]
                       << " times the group size " << multiply
                       << " to fit in 64 bits";
  shape[dim] = scaled / divide;
  return type.clone(shape);
}

/// Resolves the mesh, checks the axes and compares the declared result type
/// with the one the op's rule infers.
template <typename OpT>
static LogicalResult verifyCollective(OpT op,
                                      SymbolTableCollection &symbolTable) {
  FailureOr<MeshOp> mesh = lookupMesh(op, op.getMeshAttr(), symbolTable);
  if (failed(mesh))
    return failure();
  auto emitError = [&] { return op.emitOpError(); };
  if (failed(verifyMeshAxes(emitError, *mesh, op.getMeshAxes())))
    return failure();
  FailureOr<RankedTensorType> expected = op.inferResultType(*mesh, emitError);
  if (failed(expected))
    return failure();
  Type actual = op.getResult().getType();
  if (*expected != actual)
    return op.emitOpError("expected result type ")
           << *expected << " (from operand type " << op.getInput().getType()
           << " over a group of " << mesh->getGroupSize(op.getMeshAxes())
           << " devices), got " << actual;
  return success();
}

//===----------------------------------------------------------------------===//
// ShardOp
//===----------------------------------------------------------------------===//

LogicalResult ShardOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  ShardingAttr sharding = getSharding();
  FailureOr<MeshOp> mesh = lookupMesh(*this, sharding.getMesh(), symbolTable);
  if (failed(mesh))
    return failure();
  return sharding.verifyFor([&] { return emitOpError(); }, mesh->getRank(),
                            getSrc().getType().getRank());
}

//===----------------------------------------------------------------------===//
// ProcessIndexOp
//===----------------------------------------------------------------------===//

LogicalResult ProcessIndexOp::verifySymbolUses(SymbolTableCollection &table) {
  FailureOr<MeshOp> mesh = lookupMesh(*this, getMeshAttr(), table);
  if (failed(mesh))
    return failure();
  return verifyMeshAxes([&] { return emitOpError(); }, *mesh, getMeshAxes());
}

//===----------------------------------------------------------------------===//
// Collectives
//===----------------------------------------------------------------------===//

FailureOr<RankedTensorType> AllReduceOp::inferResultType(MeshOp, EmitErrorFn) {
  return cast<RankedTensorType>(getInput().getType());
}

LogicalResult AllReduceOp::verifySymbolUses(SymbolTableCollection &table) {
  return verifyCollective(*this, table);
}

FailureOr<RankedTensorType> AllGatherOp::inferResultType(MeshOp mesh,
                                                         EmitErrorFn emitError) {
  auto type = cast<RankedTensorType>(getInput().getType());
  int64_t dim = getGatherAxis();
  if (failed(verifyTensorDim(emitError, "gather_axis", dim, type)))
    return failure();
  return withDimScaled(emitError, type, dim, mesh.getGroupSize(getMeshAxes()),
                       1);
}

LogicalResult AllGatherOp::verifySymbolUses(SymbolTableCollection &table) {
  return verifyCollective(*this, table);
}

FailureOr<RankedTensorType>
ReduceScatterOp::inferResultType(MeshOp mesh, EmitErrorFn emitError) {
  auto type = cast<RankedTensorType>(getInput().getType());
  int64_t dim = getScatterAxis();
  int64_t group = mesh.getGroupSize(getMeshAxes());
  if (failed(verifyTensorDim(emitError, "scatter_axis", dim, type)) ||
      failed(verifyDivisible(emitError, "scatter_axis", type, dim, group)))
    return failure();
  return withDimScaled(emitError, type, dim, 1, group);
}

LogicalResult ReduceScatterOp::verifySymbolUses(SymbolTableCollection &table) {
  return verifyCollective(*this, table);
}

FailureOr<RankedTensorType> AllToAllOp::inferResultType(MeshOp mesh,
                                                        EmitErrorFn emitError) {
  auto type = cast<RankedTensorType>(getInput().getType());
  int64_t split = getSplitAxis(), concat = getConcatAxis();
  int64_t group = mesh.getGroupSize(getMeshAxes());
  if (failed(verifyTensorDim(emitError, "split_axis", split, type)) ||
      failed(verifyTensorDim(emitError, "concat_axis", concat, type)) ||
      failed(verifyDivisible(emitError, "split_axis", type, split, group)))
    return failure();
  FailureOr<RankedTensorType> scattered =
      withDimScaled(emitError, type, split, 1, group);
  if (failed(scattered))
    return failure();
  return withDimScaled(emitError, *scattered, concat, group, 1);
}

LogicalResult AllToAllOp::verifySymbolUses(SymbolTableCollection &table) {
  return verifyCollective(*this, table);
}

FailureOr<RankedTensorType> BroadcastOp::inferResultType(MeshOp mesh,
                                                         EmitErrorFn emitError) {
  if (failed(verifyCoordinates(emitError, mesh, getMeshAxes(), getRoot(),
                               "root")))
    return failure();
  return cast<RankedTensorType>(getInput().getType());
}

LogicalResult BroadcastOp::verifySymbolUses(SymbolTableCollection &table) {
  return verifyCollective(*this, table);
}

/// Point-to-point ops have no result rule; they check the mesh, the axes and
/// the peer's coordinates.
template <typename OpT>
static LogicalResult verifyPointToPoint(OpT op, ArrayRef<int64_t> peer,
                                        StringRef what,
                                        SymbolTableCollection &table) {
  FailureOr<MeshOp> mesh = lookupMesh(op, op.getMeshAttr(), table);
  if (failed(mesh))
    return failure();
  auto emitError = [&] { return op.emitOpError(); };
  if (failed(verifyMeshAxes(emitError, *mesh, op.getMeshAxes())))
    return failure();
  return verifyCoordinates(emitError, *mesh, op.getMeshAxes(), peer, what);
}

LogicalResult SendOp::verifySymbolUses(SymbolTableCollection &table) {
  return verifyPointToPoint(*this, getDestination(), "destination", table);
}

LogicalResult RecvOp::verifySymbolUses(SymbolTableCollection &table) {
  return verifyPointToPoint(*this, getSource(), "source", table);
}

#define GET_OP_CLASSES
#include "weft/Dialect/Mesh/IR/MeshOps.cpp.inc"
