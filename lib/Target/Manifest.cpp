//===- Manifest.cpp - The artifact manifest of a compiled module ----------===//
//
// See Manifest.h and docs/artifact.md.
//
//===----------------------------------------------------------------------===//

#include "weft/Target/Manifest.h"

#include "weft/Dialect/Mesh/IR/MeshOps.h"
#include "weft/Dialect/Xf/IR/XfDialect.h"
#include "weft/Dialect/Xf/IR/XfOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/StringSet.h"

using namespace mlir;

namespace weft {

StringRef getManifestDtype(Type type) {
  if (type.isF16())
    return "f16";
  if (type.isBF16())
    return "bf16";
  if (type.isF32())
    return "f32";
  if (type.isF64())
    return "f64";
  if (type.isSignlessInteger(32))
    return "i32";
  if (type.isSignlessInteger(64))
    return "i64";
  return {};
}

/// The smallest table an integer argument indexes directly through
/// xf.embedding, or -1 when it is not used as ids.
static int64_t getIndexBound(BlockArgument arg) {
  int64_t bound = -1;
  for (OpOperand &use : arg.getUses()) {
    auto embedding = dyn_cast<xf::EmbeddingOp>(use.getOwner());
    if (!embedding || use.get() != embedding.getIds())
      continue;
    int64_t vocab = embedding.getTable().getType().getDimSize(0);
    bound = bound < 0 ? vocab : std::min(bound, vocab);
  }
  return bound;
}

/// The manifest entry of one value; fails on types the runtime cannot hold.
static FailureOr<llvm::json::Object>
describeValue(func::FuncOp func, Type type, StringRef what, StringRef name) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  StringRef dtype = tensor ? getManifestDtype(tensor.getElementType()) : "";
  if (!tensor || !tensor.hasStaticShape() || dtype.empty()) {
    func.emitError("entry function '")
        << func.getSymName() << "' " << what << " '" << name
        << "' has type " << type
        << "; expected a static tensor of f16, bf16, f32, f64, i32 or i64";
    return failure();
  }
  llvm::json::Array shape;
  for (int64_t size : tensor.getShape())
    shape.push_back(size);
  return llvm::json::Object{{"name", name.str()},
                            {"dtype", dtype.str()},
                            {"shape", std::move(shape)}};
}

static StringRef getNameAttr(DictionaryAttr attrs) {
  if (!attrs)
    return {};
  if (auto name = attrs.getAs<StringAttr>(xf::XfDialect::kNameAttrName))
    return name.getValue();
  return {};
}

/// The mesh the arguments of a partitioned function are sharded over (their
/// `mesh.sharding` attributes, which xf-partition sets on every argument),
/// or null for a single-device function.
static FailureOr<mesh::MeshOp> getPartitionMesh(func::FuncOp func) {
  mesh::MeshOp found;
  for (unsigned i = 0, e = func.getNumArguments(); i < e; ++i) {
    auto sharding = func.getArgAttrOfType<mesh::ShardingAttr>(
        i, mesh::MeshDialect::kShardingAttrName);
    if (!sharding)
      continue;
    auto meshOp = SymbolTable::lookupNearestSymbolFrom<mesh::MeshOp>(
        func, sharding.getMesh());
    if (!meshOp)
      return func.emitError("argument ")
             << i << " of '" << func.getSymName() << "' is sharded over "
             << sharding.getMesh() << ", which is not a mesh of the module";
    if (found && found != meshOp)
      return func.emitError("entry function '")
             << func.getSymName() << "' has arguments on two meshes, @"
             << found.getSymName() << " and @" << meshOp.getSymName();
    found = meshOp;
  }
  return found;
}

/// The whole shape of a partitioned argument and its "sharding" entry (one
/// list of mesh axes per leading dimension, trailing whole ones dropped).
static LogicalResult describeSharding(func::FuncOp func, unsigned i,
                                      mesh::MeshOp meshOp,
                                      llvm::json::Object &value) {
  auto sharding = func.getArgAttrOfType<mesh::ShardingAttr>(
      i, mesh::MeshDialect::kShardingAttrName);
  if (!sharding)
    return func.emitError("argument ")
           << i << " of the partitioned function '" << func.getSymName()
           << "' has no mesh.sharding attribute";
  if (!sharding.getPartialAxes().empty())
    return func.emitError("argument ")
           << i << " of '" << func.getSymName()
           << "' holds partial values; entry arguments must be whole or split";
  llvm::json::Array *shape = value.getArray("shape");
  llvm::json::Array dims;
  for (auto [dim, axes] : llvm::enumerate(sharding.getSplitAxes())) {
    llvm::json::Array list;
    for (int64_t axis : axes.asArrayRef())
      list.push_back(axis);
    dims.push_back(std::move(list));
    if (dim < shape->size())
      (*shape)[dim] = *(*shape)[dim].getAsInteger() *
                      meshOp.getGroupSize(axes.asArrayRef());
  }
  if (!dims.empty())
    value["sharding"] = std::move(dims);
  return success();
}

static llvm::json::Value describeMesh(mesh::MeshOp meshOp) {
  if (!meshOp)
    return nullptr;
  llvm::json::Array shape, axes;
  for (int64_t axis = 0; axis < meshOp.getRank(); ++axis) {
    shape.push_back(meshOp.getShape()[axis]);
    axes.push_back(meshOp.getAxisName(axis));
  }
  return llvm::json::Object{{"name", meshOp.getSymName().str()},
                            {"shape", std::move(shape)},
                            {"axes", std::move(axes)}};
}

FailureOr<llvm::json::Object>
buildManifest(ModuleOp module, StringRef target,
              SmallVectorImpl<EntryFunction> &entries) {
  llvm::json::Array functions;
  mesh::MeshOp moduleMesh;
  for (auto func : module.getOps<func::FuncOp>()) {
    if (!func.isPublic() || func.isExternal())
      continue;
    FailureOr<mesh::MeshOp> meshOp = getPartitionMesh(func);
    if (failed(meshOp))
      return failure();
    if (!functions.empty() && *meshOp != moduleMesh)
      return func.emitError("entry function '")
             << func.getSymName()
             << "' runs on another mesh than the module's first entry "
                "function; one artifact runs on one mesh";
    moduleMesh = *meshOp;
    llvm::StringSet<> seen;
    auto checkUnique = [&](StringRef name) -> LogicalResult {
      if (seen.insert(name).second)
        return success();
      return func.emitError("entry function '")
             << func.getSymName() << "' names two values '" << name << "'";
    };

    llvm::json::Array arguments;
    for (BlockArgument arg : func.getArguments()) {
      unsigned i = arg.getArgNumber();
      DictionaryAttr attrs = func.getArgAttrDict(i);
      std::string name = getNameAttr(attrs).str();
      if (name.empty())
        name = "arg" + std::to_string(i);
      StringRef role = "input";
      if (attrs)
        if (auto r = attrs.getAs<StringAttr>(xf::XfDialect::kRoleAttrName))
          role = r.getValue();
      FailureOr<llvm::json::Object> value =
          describeValue(func, arg.getType(), "argument", name);
      if (failed(value) || failed(checkUnique(name)))
        return failure();
      (*value)["role"] = role.str();
      if (moduleMesh && failed(describeSharding(func, i, moduleMesh, *value)))
        return failure();
      int64_t bound = getIndexBound(arg);
      if (bound >= 0)
        (*value)["index_bound"] = bound;
      arguments.push_back(std::move(*value));
    }

    llvm::json::Array results;
    for (auto [i, type] : llvm::enumerate(func.getResultTypes())) {
      std::string name = getNameAttr(func.getResultAttrDict(i)).str();
      if (name.empty())
        name = "result" + std::to_string(i);
      FailureOr<llvm::json::Object> value =
          describeValue(func, type, "result", name);
      if (failed(value) || failed(checkUnique(name)))
        return failure();
      results.push_back(std::move(*value));
    }

    entries.push_back({func.getSymName().str(), func.getNumArguments(),
                       func.getNumResults()});
    functions.push_back(llvm::json::Object{
        {"name", func.getSymName().str()},
        {"symbol", "weft_entry_" + func.getSymName().str()},
        {"arguments", std::move(arguments)},
        {"results", std::move(results)}});
  }
  if (functions.empty()) {
    module.emitError("module has no public function to compile");
    return failure();
  }
  return llvm::json::Object{{"format", "weft-artifact"},
                            {"version", 1},
                            {"target", target.str()},
                            {"mesh", describeMesh(moduleMesh)},
                            {"functions", std::move(functions)}};
}

} // namespace weft
