//===- PlanReport.cpp - What the auto-sharder decided, and why -------------===//
//
// Per-op accounting of a chosen plan and its JSON and text forms.
//
//===----------------------------------------------------------------------===//

#include "weft/Sharding/PlanReport.h"

#include "weft/Dialect/Mesh/IR/MeshOps.h"
#include "weft/Dialect/Xf/IR/XfDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"

using namespace mlir;
using namespace weft;
using namespace weft::sharding;

namespace {

constexpr double kMiB = 1024.0 * 1024.0;
constexpr double kGiB = 1024.0 * kMiB;

Value skipAnnotations(Value value) {
  while (auto shard = value.getDefiningOp<mesh::ShardOp>())
    value = shard.getSrc();
  return value;
}

/// `xf.linear transformer.h.0.mlp.c_fc.weight`: the op and the name of the
/// first named argument it reads.
std::string labelOf(Operation *op, unsigned index) {
  std::string label = op->getName().getStringRef().str();
  for (Value operand : op->getOperands()) {
    auto arg = dyn_cast<BlockArgument>(skipAnnotations(operand));
    if (!arg)
      continue;
    auto func = dyn_cast<func::FuncOp>(arg.getOwner()->getParentOp());
    if (!func)
      continue;
    if (auto name = func.getArgAttrOfType<StringAttr>(
            arg.getArgNumber(), xf::XfDialect::kNameAttrName))
      return label + " " + name.getValue().str();
  }
  return label + " #" + std::to_string(index);
}

std::string layerName(int64_t layer) {
  return layer < 0 ? std::string("other") : std::to_string(layer);
}

} // namespace

void weft::sharding::describePlan(Plan &plan, const CostModel &model) {
  const ShardingProblem &problem = *plan.problem;
  plan.cost = problem.evaluate(plan.solution.setChoice);
  DenseMap<Operation *, const ShardingStrategy *> chosen;
  unsigned index = 0;
  for (const ProblemNode &node : problem.getNodes()) {
    unsigned s = plan.solution.setChoice[node.strategySet];
    for (auto [slot, op] : llvm::enumerate(node.ops))
      chosen[op] = &problem.getStrategies(op)[node.opStrategies[s][slot]];
  }
  const MeshModel &mesh = model.getMesh();
  for (const ProblemNode &node : problem.getNodes()) {
    for (Operation *op : node.ops) {
      const ShardingStrategy *strategy = chosen.lookup(op);
      OpPlan entry{op, labelOf(op, index++), node.layer, strategy,
                   strategy->computeTime, strategy->communicationTime, {}, 0};
      for (const Collective &collective : strategy->collectives)
        entry.collectives.push_back(
            llvm::formatv("{0}({1})", stringifyCollectiveKind(collective.kind),
                          mesh.axisNames[collective.axis]));
      for (auto [i, operand] : llvm::enumerate(op->getOperands())) {
        auto type = dyn_cast<RankedTensorType>(operand.getType());
        if (!type)
          continue;
        Value base = skipAnnotations(operand);
        int64_t bytes = getElementBytes(type);
        const TensorSharding &required = strategy->operands[i];
        auto result = dyn_cast<OpResult>(base);
        if (!result || matchPattern(base, m_Constant()) ||
            !chosen.count(result.getOwner())) {
          entry.parameterBytes +=
              model.getLocalBytes(required, type.getShape(), bytes);
          continue;
        }
        const TensorSharding &produced =
            chosen.lookup(result.getOwner())->results[result.getResultNumber()];
        for (const Collective &collective : model.getReshardCollectives(
                 produced, required, type.getShape(), bytes)) {
          entry.communicationTime += model.getCollectiveTime(collective);
          entry.collectives.push_back(llvm::formatv(
              "{0}({1}) of operand {2}", stringifyCollectiveKind(collective.kind),
              mesh.axisNames[collective.axis], i));
        }
      }
      plan.ops.push_back(std::move(entry));
    }
  }
  // Results leave the function whole: their gathers and reductions are
  // charged to the op producing them.
  DenseMap<Operation *, size_t> entryOf;
  for (auto [i, entry] : llvm::enumerate(plan.ops))
    entryOf[entry.op] = i;
  Operation *parent = plan.ops.empty() ? nullptr : plan.ops.front().op->getParentOp();
  if (auto func = dyn_cast_or_null<func::FuncOp>(parent)) {
    func.walk([&](func::ReturnOp ret) {
      for (Value operand : ret.getOperands()) {
        auto result = dyn_cast<OpResult>(skipAnnotations(operand));
        auto type = dyn_cast<RankedTensorType>(operand.getType());
        if (!result || !type || !entryOf.count(result.getOwner()))
          continue;
        OpPlan &entry = plan.ops[entryOf.lookup(result.getOwner())];
        const TensorSharding &produced =
            entry.strategy->results[result.getResultNumber()];
        for (const Collective &collective : model.getReshardCollectives(
                 produced, TensorSharding::replicated(type.getRank()),
                 type.getShape(), getElementBytes(type))) {
          entry.communicationTime += model.getCollectiveTime(collective);
          entry.collectives.push_back(llvm::formatv(
              "{0}({1}) of the function result",
              stringifyCollectiveKind(collective.kind),
              mesh.axisNames[collective.axis]));
        }
      }
    });
  }
}

void weft::sharding::writePlanJson(const Plan &plan, llvm::raw_ostream &os) {
  const MeshModel &mesh = *plan.mesh;
  const ShardingProblem &problem = *plan.problem;
  const IlpSolution &solution = plan.solution;
  llvm::json::Array shape, axes;
  for (int64_t size : mesh.shape)
    shape.push_back(size);
  for (const std::string &name : mesh.axisNames)
    axes.push_back(name);

  double compute = 0, communication = 0;
  llvm::json::Array ops;
  llvm::MapVector<int64_t, std::array<double, 3>> layers;
  for (const OpPlan &entry : plan.ops) {
    compute += entry.computeTime;
    communication += entry.communicationTime;
    std::array<double, 3> &layer = layers[entry.layer];
    layer[0] += entry.computeTime;
    layer[1] += entry.communicationTime;
    layer[2] += entry.parameterBytes;
    llvm::json::Array collectives;
    for (const std::string &c : entry.collectives)
      collectives.push_back(c);
    llvm::json::Array operands, results;
    for (const TensorSharding &s : entry.strategy->operands)
      operands.push_back(s.str(mesh.axisNames));
    for (const TensorSharding &s : entry.strategy->results)
      results.push_back(s.str(mesh.axisNames));
    ops.push_back(llvm::json::Object{
        {"op", entry.label},
        {"layer", entry.layer},
        {"strategy", entry.strategy->name},
        {"operands", std::move(operands)},
        {"results", std::move(results)},
        {"compute_ms", entry.computeTime * 1e3},
        {"communication_ms", entry.communicationTime * 1e3},
        {"collectives", std::move(collectives)},
        {"parameter_bytes", static_cast<int64_t>(entry.parameterBytes)}});
  }
  llvm::json::Array layerArray;
  for (auto &[layer, sums] : layers)
    layerArray.push_back(llvm::json::Object{
        {"layer", layerName(layer)},
        {"compute_ms", sums[0] * 1e3},
        {"communication_ms", sums[1] * 1e3},
        {"parameter_bytes", static_cast<int64_t>(sums[2])}});

  llvm::json::Object root{
      {"function", plan.function},
      {"mesh", llvm::json::Object{{"name", mesh.name},
                                  {"shape", std::move(shape)},
                                  {"axes", std::move(axes)},
                                  {"device", mesh.device.getName().str()},
                                  {"devices", mesh.getNumDevices()}}},
      {"solver",
       llvm::json::Object{
           {"status", stringifySolveStatus(solution.status)},
           {"objective_ms", solution.objective * 1e3},
           {"best_bound_ms", solution.bestBound * 1e3},
           {"gap", solution.gap},
           {"solve_seconds", solution.solveSeconds},
           {"build_seconds", plan.buildSeconds},
           {"variables", static_cast<int64_t>(solution.variables)},
           {"integer_variables", static_cast<int64_t>(solution.integerVariables)},
           {"constraints", static_cast<int64_t>(solution.constraints)}}},
      {"graph", llvm::json::Object{
                    {"ops", static_cast<int64_t>(problem.getNumOps())},
                    {"nodes", static_cast<int64_t>(problem.getNodes().size())},
                    {"edges", static_cast<int64_t>(problem.getEdges().size())},
                    {"strategy_sets",
                     static_cast<int64_t>(problem.getNumStrategySets())},
                    {"layers", static_cast<int64_t>(problem.getNumLayers())},
                    {"tied", problem.isTied()}}},
      {"totals",
       llvm::json::Object{
           {"time_ms", plan.cost.time * 1e3},
           {"compute_ms", compute * 1e3},
           {"communication_ms", communication * 1e3},
           {"peak_memory_bytes", static_cast<int64_t>(plan.cost.peakMemory)},
           {"parameter_bytes", static_cast<int64_t>(plan.cost.parameterBytes)},
           {"memory_budget_bytes", static_cast<int64_t>(plan.memoryBudget)}}},
      {"layers", std::move(layerArray)},
      {"ops", std::move(ops)}};
  os << llvm::formatv("{0:2}", llvm::json::Value(std::move(root))) << "\n";
}

void weft::sharding::writePlanSummary(const Plan &plan, llvm::raw_ostream &os) {
  const MeshModel &mesh = *plan.mesh;
  const IlpSolution &solution = plan.solution;
  os << llvm::formatv("sharding plan for @{0} on mesh @{1} (", plan.function,
                      mesh.name);
  llvm::interleave(
      llvm::seq<size_t>(0, mesh.shape.size()), os,
      [&](size_t axis) { os << mesh.axisNames[axis] << "=" << mesh.shape[axis]; },
      " x ");
  os << llvm::formatv(", {0})\n", mesh.device.getName());
  os << llvm::formatv(
      "solver: {0}, objective {1:f3} ms, gap {2:f2}%, {3:f2} s, {4} variables, "
      "{5} constraints\n",
      stringifySolveStatus(solution.status), solution.objective * 1e3,
      solution.gap * 100, solution.solveSeconds, solution.variables,
      solution.constraints);
  os << llvm::formatv("per device: peak memory {0} of {1} (parameters {2})\n",
                      formatBytes(plan.cost.peakMemory),
                      formatBytes(plan.memoryBudget),
                      formatBytes(plan.cost.parameterBytes));

  // One block of lines per layer; consecutive identical layers print once.
  struct LayerSummary {
    std::string strategies;
    double compute = 0, communication = 0, parameters = 0;
  };
  llvm::MapVector<int64_t, LayerSummary> layers;
  llvm::MapVector<int64_t, llvm::MapVector<std::string, unsigned, llvm::StringMap<unsigned>>> counts;
  for (const OpPlan &entry : plan.ops) {
    LayerSummary &layer = layers[entry.layer];
    layer.compute += entry.computeTime;
    layer.communication += entry.communicationTime;
    layer.parameters += entry.parameterBytes;
    std::string kind = entry.op->getName().getStringRef().str();
    ++counts[entry.layer][kind + " " + entry.strategy->name];
  }
  for (auto &[layer, summary] : layers) {
    llvm::raw_string_ostream text(summary.strategies);
    for (auto &[what, count] : counts[layer]) {
      text << "    " << what;
      if (count > 1)
        text << " (x" << count << ")";
      text << "\n";
    }
  }
  os << llvm::formatv("{0,-12} {1,12} {2,12} {3,14}\n", "layer", "compute ms",
                      "comm ms", "params MiB");
  auto it = layers.begin();
  while (it != layers.end()) {
    auto last = it;
    while (std::next(last) != layers.end() && it->first >= 0 &&
           std::next(last)->first >= 0 &&
           std::next(last)->second.strategies == it->second.strategies &&
           std::abs(std::next(last)->second.compute - it->second.compute) <=
               1e-12 + 1e-9 * it->second.compute)
      ++last;
    std::string name = layerName(it->first);
    if (last != it)
      name += "-" + layerName(last->first) + " each";
    const LayerSummary &s = it->second;
    os << llvm::formatv("{0,-12} {1,12:f4} {2,12:f4} {3,14:f2}\n", name,
                        s.compute * 1e3, s.communication * 1e3,
                        s.parameters / kMiB);
    os << s.strategies;
    it = std::next(last);
  }
  double compute = 0, communication = 0;
  for (const OpPlan &entry : plan.ops) {
    compute += entry.computeTime;
    communication += entry.communicationTime;
  }
  os << llvm::formatv("{0,-12} {1,12:f4} {2,12:f4} {3,14:f2}\n", "total",
                      compute * 1e3, communication * 1e3,
                      plan.cost.parameterBytes / kMiB);
}

std::string weft::sharding::formatBytes(double bytes) {
  if (bytes >= kGiB)
    return llvm::formatv("{0:f2} GiB", bytes / kGiB).str();
  if (bytes >= kMiB)
    return llvm::formatv("{0:f2} MiB", bytes / kMiB).str();
  return llvm::formatv("{0:f2} KiB", bytes / 1024.0).str();
}
