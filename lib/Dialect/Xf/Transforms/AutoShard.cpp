//===- AutoShard.cpp - Choose a sharding for every value ------------------===//
//
// The `xf-auto-shard` pass: builds the sharding problem of each function
// (lib/Sharding), solves its ILP with CBC and writes the chosen shardings as
// `mesh.shard` annotations, with a plan report on request.
//
//===----------------------------------------------------------------------===//

#include "weft/Dialect/Xf/Transforms/Passes.h"

#include "weft/Dialect/Mesh/IR/MeshOps.h"
#include "weft/Dialect/Mesh/IR/MeshPresets.h"
#include "weft/Dialect/Xf/IR/XfDialect.h"
#include "weft/Sharding/PlanReport.h"
#include "weft/Sharding/ShardingOpInterface.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/Support/DebugLog.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/ToolOutputFile.h"

#include <chrono>

namespace weft::xf {
#define GEN_PASS_DEF_XFAUTOSHARD
#include "weft/Dialect/Xf/Transforms/Passes.h.inc"
} // namespace weft::xf

#define DEBUG_TYPE "xf-auto-shard"

using namespace mlir;
using namespace weft;
using namespace weft::sharding;

namespace {

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

/// Parses "80GiB", "512 MiB", "1e9" into bytes.
std::optional<double> parseBytes(StringRef text) {
  text = text.trim();
  static const std::pair<StringRef, double> units[] = {
      {"TiB", 1024.0 * kGiB}, {"GiB", kGiB}, {"MiB", 1024.0 * 1024.0},
      {"KiB", 1024.0},        {"B", 1.0}};
  double scale = 1;
  for (auto [suffix, factor] : units)
    if (text.consume_back(suffix)) {
      scale = factor;
      break;
    }
  double value;
  if (text.trim().getAsDouble(value) || !(value > 0))
    return std::nullopt;
  return value * scale;
}

/// Writes `write`'s output to `path` ("-": stdout), kept only on success.
LogicalResult writeFile(Operation *op, StringRef path, StringRef what,
                        function_ref<void(raw_ostream &)> write) {
  if (path == "-") {
    write(llvm::outs());
    llvm::outs().flush();
    return success();
  }
  std::error_code error;
  llvm::ToolOutputFile file(path, error, llvm::sys::fs::OF_Text);
  if (error)
    return op->emitError() << "cannot write the " << what << " to '" << path
                           << "': " << error.message();
  write(file.os());
  file.os().flush();
  if (file.os().has_error())
    return op->emitError() << "cannot write the " << what << " to '" << path
                           << "'";
  file.keep();
  return success();
}

struct XfAutoShardPass : weft::xf::impl::XfAutoShardBase<XfAutoShardPass> {
  using Base::Base;
  void getDependentDialects(DialectRegistry &registry) const final {
    Base::getDependentDialects(registry);
    registerXfShardingStrategies(registry);
  }
  void runOnOperation() final;

private:
  FailureOr<mesh::MeshOp> resolveMesh(ModuleOp module);
  void annotate(func::FuncOp func, const Plan &plan, FlatSymbolRefAttr mesh);
};

FailureOr<mesh::MeshOp> XfAutoShardPass::resolveMesh(ModuleOp module) {
  SmallVector<mesh::MeshOp> meshes(module.getOps<mesh::MeshOp>());
  if (meshName.empty()) {
    if (meshes.size() == 1)
      return meshes.front();
    return module.emitError()
           << "expected one mesh.mesh in the module or a mesh=<preset> option, "
              "found "
           << meshes.size() << " meshes";
  }
  for (mesh::MeshOp meshOp : meshes)
    if (meshOp.getSymName() == StringRef(meshName).ltrim('@'))
      return meshOp;
  FailureOr<mesh::MeshDescription> preset = mesh::getMeshPreset(
      &getContext(), meshName, [&] { return module.emitError(); });
  if (failed(preset))
    return failure();
  // A mesh already declared with exactly this hardware is the preset.
  for (mesh::MeshOp meshOp : meshes)
    if (meshOp.getShape() == ArrayRef<int64_t>(preset->shape) &&
        meshOp.getDevice() == preset->device && meshOp.getLinks() &&
        llvm::equal(meshOp.getLinks()->getValue(), preset->links))
      return meshOp;
  // A preset becomes a mesh.mesh named @mesh (or @mesh_<n> if taken).
  SymbolTable symbols(module);
  std::string name = "mesh";
  for (unsigned n = 1; symbols.lookup(name); ++n)
    name = "mesh_" + std::to_string(n);
  OpBuilder builder = OpBuilder::atBlockBegin(module.getBody());
  SmallVector<StringRef> axisNames(preset->axisNames.begin(),
                                   preset->axisNames.end());
  SmallVector<Attribute> links(preset->links.begin(), preset->links.end());
  return mesh::MeshOp::create(
      builder, module.getLoc(), name, builder.getDenseI64ArrayAttr(preset->shape),
      builder.getStrArrayAttr(axisNames), preset->device,
      builder.getArrayAttr(links));
}

void XfAutoShardPass::annotate(func::FuncOp func, const Plan &plan,
                               FlatSymbolRefAttr meshSymbol) {
  // 1. Earlier annotations have been honoured where they could be; the
  //    plan's own replace them.
  func.walk([](mesh::ShardOp shard) {
    shard.getResult().replaceAllUsesWith(shard.getSrc());
    shard.erase();
  });
  OpBuilder builder(func.getContext());
  DenseMap<Value, TensorSharding> produced;
  auto shardTo = [&](Value value, const TensorSharding &sharding,
                     bool forUsers) {
    return mesh::ShardOp::create(
        builder, value.getLoc(), value, sharding.toAttr(meshSymbol), forUsers);
  };
  // 2. Operands needing another sharding than produced; arguments and
  //    constants always (each use reads its own slice). Program order, so
  //    that producers are annotated before their users.
  DenseMap<Operation *, const OpPlan *> entries;
  for (const OpPlan &entry : plan.ops)
    entries[entry.op] = &entry;
  for (Operation &bodyOp : llvm::make_early_inc_range(func.getBody().front())) {
    const OpPlan *found = entries.lookup(&bodyOp);
    if (!found)
      continue;
    const OpPlan &entry = *found;
    Operation *op = entry.op;
    builder.setInsertionPoint(op);
    for (OpOperand &operand : op->getOpOperands()) {
      if (!isa<RankedTensorType>(operand.get().getType()))
        continue;
      const TensorSharding &required =
          entry.strategy->operands[operand.getOperandNumber()];
      auto it = produced.find(operand.get());
      if (it != produced.end() && it->second == required)
        continue;
      operand.set(shardTo(operand.get(), required, true));
    }
    // 3. Results as produced.
    builder.setInsertionPointAfter(op);
    for (OpResult result : op->getResults()) {
      if (!isa<RankedTensorType>(result.getType()))
        continue;
      const TensorSharding &sharding =
          entry.strategy->results[result.getResultNumber()];
      mesh::ShardOp shard = shardTo(result, sharding, false);
      result.replaceAllUsesExcept(shard.getResult(), shard);
      produced[shard.getResult()] = sharding;
    }
  }
  // 4. Function results whole.
  func.walk([&](func::ReturnOp ret) {
    builder.setInsertionPoint(ret);
    for (OpOperand &operand : ret->getOpOperands()) {
      auto type = dyn_cast<RankedTensorType>(operand.get().getType());
      if (!type)
        continue;
      TensorSharding whole = TensorSharding::replicated(type.getRank());
      auto it = produced.find(operand.get());
      if (it == produced.end() || it->second != whole)
        operand.set(shardTo(operand.get(), whole, true));
    }
  });
}

void XfAutoShardPass::runOnOperation() {
  ModuleOp module = getOperation();
  SmallVector<func::FuncOp> funcs;
  for (func::FuncOp func : module.getOps<func::FuncOp>())
    if (!func.isExternal() &&
        func.walk([](Operation *op) {
              return isa<xf::XfDialect>(op->getDialect())
                         ? WalkResult::interrupt()
                         : WalkResult::advance();
            }).wasInterrupted())
      funcs.push_back(func);
  if (funcs.empty())
    return;
  // 0. Fused projections, one linear per piece.
  {
    RewritePatternSet patterns(&getContext());
    xf::populateSplitFusedProjectionPatterns(patterns);
    FrozenRewritePatternSet frozen(std::move(patterns));
    for (func::FuncOp func : funcs)
      if (failed(applyPatternsGreedily(func, frozen)))
        return signalPassFailure();
  }
  if (funcs.size() > 1 && (!planReport.empty() || !planSummary.empty())) {
    module.emitError() << "a plan report covers one function; the module has "
                       << funcs.size() << " functions with xf ops";
    return signalPassFailure();
  }
  for (func::FuncOp func : funcs)
    if (!func.getBody().hasOneBlock()) {
      func.emitOpError("expected a function of one block to shard, found ")
          << func.getBody().getBlocks().size();
      return signalPassFailure();
    }

  // 1. The mesh and its cost model.
  FailureOr<mesh::MeshOp> meshOp = resolveMesh(module);
  if (failed(meshOp))
    return signalPassFailure();
  FailureOr<MeshModel> mesh =
      MeshModel::fromOp(*meshOp, [&] { return meshOp->emitError(); });
  if (failed(mesh))
    return signalPassFailure();
  double budget = mesh->getMemoryCapacity();
  if (!memoryBudget.empty()) {
    std::optional<double> bytes = parseBytes(memoryBudget);
    if (!bytes) {
      module.emitError() << "expected memory-budget to be a positive size "
                            "such as 80GiB or 1e9, got '"
                         << memoryBudget << "'";
      return signalPassFailure();
    }
    budget = *bytes;
  }
  if (!(timeLimit > 0)) {
    module.emitError() << llvm::formatv(
        "expected a positive time-limit in seconds, got {0}", timeLimit);
    return signalPassFailure();
  }
  CostModel model(*mesh);
  StrategyContext context{model};
  FlatSymbolRefAttr meshSymbol =
      FlatSymbolRefAttr::get(&getContext(), meshOp->getSymName());

  for (func::FuncOp func : funcs) {
    // 2. The problem, 3. the ILP.
    auto begin = std::chrono::steady_clock::now();
    ProblemOptions options;
    options.tieLayers = tieLayers;
    FailureOr<ShardingProblem> problem =
        ShardingProblem::build(func, context, options);
    if (failed(problem))
      return signalPassFailure();
    double buildSeconds = std::chrono::duration<double>(
                              std::chrono::steady_clock::now() - begin)
                              .count();
    IlpSolution solution =
        solveShardingIlp(*problem, SolverOptions{timeLimit, budget});
    if (solution.status == SolveStatus::Infeasible) {
      InFlightDiagnostic diag = func.emitError();
      diag << llvm::formatv("no sharding of @{0} on mesh @{1} fits the "
                            "per-device memory budget of {2}",
                            func.getSymName(), mesh->name, formatBytes(budget));
      if (solution.leastMemory)
        diag << "; the least any plan needs is "
             << formatBytes(*solution.leastMemory) << " per device";
      else
        diag << "; the least memory a plan needs was not found within the "
                "time limit";
      return signalPassFailure();
    }
    if (solution.status == SolveStatus::Unknown) {
      func.emitError() << llvm::formatv(
          "the solver found no sharding of @{0} within the time limit of "
          "{1} s; raise time-limit or keep tie-layers on",
          func.getSymName(), timeLimit);
      return signalPassFailure();
    }

    // 4. The plan, its report and the annotations.
    Plan plan;
    plan.function = func.getSymName().str();
    plan.mesh = &*mesh;
    plan.problem = &*problem;
    plan.solution = solution;
    plan.memoryBudget = budget;
    plan.buildSeconds = buildSeconds;
    describePlan(plan, model);
    LDBG() << "@" << plan.function << ": " << stringifySolveStatus(solution.status)
             << ", " << plan.cost.time * 1e3 << " ms";
    if (!planReport.empty() &&
        failed(writeFile(module, planReport, "plan report",
                         [&](raw_ostream &os) { writePlanJson(plan, os); })))
      return signalPassFailure();
    if (!planSummary.empty() &&
        failed(writeFile(module, planSummary, "plan summary",
                         [&](raw_ostream &os) { writePlanSummary(plan, os); })))
      return signalPassFailure();
    annotate(func, plan, meshSymbol);
  }
}

} // namespace
