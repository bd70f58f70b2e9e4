//===- ShardingProblem.cpp - A function's sharding choices as a graph ------===//
//
// Builds the node/edge model of ShardingProblem.h from a function:
//
// 1. Enumerate every op's strategies; user annotations (`mesh.shard`)
//    narrow them to the annotated sharding where some strategy has it.
// 2. One node per op; followers merge into their producer's node, each
//    producer strategy taking the cheapest follower strategy that needs no
//    resharding.
// 3. Edges: the resharding time of every strategy pair along each data
//    dependence (through annotations the solver could not honour exactly),
//    summed per node pair; reshards into the function results go to the
//    producing node's cost.
// 4. Live ranges of the values over program order, for the memory bound.
// 5. Repeated blocks: the longest run of nodes whose signatures repeat
//    with one period; nodes at the same offset share a strategy set.
//
//===----------------------------------------------------------------------===//

#include "weft/Sharding/ShardingProblem.h"

#include "weft/Dialect/Mesh/IR/MeshOps.h"
#include "weft/Dialect/Xf/IR/XfDialect.h"
#include "weft/Sharding/ShardingOpInterface.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/Hashing.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/Support/DebugLog.h"

#define DEBUG_TYPE "xf-auto-shard"

using namespace mlir;
using namespace weft;
using namespace weft::sharding;

namespace {

/// A use seen through the `mesh.shard` annotations on its way.
struct ResolvedValue {
  Value base;
  /// Sharding annotated as produced, nearest the producer.
  std::optional<TensorSharding> produced;
  /// Sharding annotated for the users, nearest the user.
  std::optional<TensorSharding> forUsers;
};

/// Values whose layout is free: arguments (read per device from files),
/// constants, and what pure ops compute from weights and constants alone
/// (e.g. a fused projection's weight split in three), which is done once
/// when the weights are loaded.
class Sources {
public:
  explicit Sources(func::FuncOp func) : func(func) {}

  bool isSource(Value value) {
    return isa<BlockArgument>(value) || isWeightDerived(value);
  }

  /// True for an op that only transforms weights and constants.
  bool isLoadTimeOp(Operation *op) {
    if (op->getNumOperands() == 0 || op->getNumRegions() != 0 || !isPure(op))
      return false;
    return llvm::all_of(op->getOperands(),
                        [&](Value operand) { return isWeightDerived(operand); });
  }

private:
  bool isWeightDerived(Value value) {
    if (auto arg = dyn_cast<BlockArgument>(value)) {
      auto role = func.getArgAttrOfType<StringAttr>(
          arg.getArgNumber(), xf::XfDialect::kRoleAttrName);
      return role && role.getValue() == "weight";
    }
    if (matchPattern(value, m_Constant()))
      return true;
    Operation *op = value.getDefiningOp();
    if (auto it = memo.find(op); it != memo.end())
      return it->second;
    // The recursion inserts into `memo`, so no iterator survives it.
    memo[op] = false;
    bool derived = isa<mesh::ShardOp>(op) ? isWeightDerived(op->getOperand(0))
                                          : isLoadTimeOp(op);
    memo[op] = derived;
    return derived;
  }

  func::FuncOp func;
  DenseMap<Operation *, bool> memo;
};

int64_t rankOf(Value value) {
  return cast<RankedTensorType>(value.getType()).getRank();
}

FailureOr<ResolvedValue> resolve(Value value, FlatSymbolRefAttr meshSymbol) {
  ResolvedValue resolved;
  while (auto shard = value.getDefiningOp<mesh::ShardOp>()) {
    mesh::ShardingAttr attr = shard.getSharding();
    if (attr.getMesh() != meshSymbol) {
      shard.emitOpError("annotates mesh ")
          << attr.getMesh() << " but the function is sharded over "
          << meshSymbol;
      return failure();
    }
    TensorSharding sharding =
        TensorSharding::fromAttr(attr, rankOf(shard.getSrc()));
    if (shard.getAnnotateForUsers()) {
      if (!resolved.forUsers)
        resolved.forUsers = sharding;
    } else {
      resolved.produced = sharding;
    }
    value = shard.getSrc();
  }
  resolved.base = value;
  return resolved;
}

/// The strategy of an op the auto-sharder knows nothing about: everything
/// whole on every device.
ShardingStrategy replicatedStrategy(Operation *op) {
  ShardingStrategy strategy;
  strategy.name = "replicated";
  for (Value operand : op->getOperands())
    strategy.operands.push_back(TensorSharding::replicated(
        isa<RankedTensorType>(operand.getType()) ? rankOf(operand) : 0));
  for (Value result : op->getResults())
    strategy.results.push_back(TensorSharding::replicated(
        isa<RankedTensorType>(result.getType()) ? rankOf(result) : 0));
  return strategy;
}

/// Keeps the strategies for which `matches` holds, when there is one;
/// returns whether there was.
template <typename Pred>
bool narrow(SmallVectorImpl<ShardingStrategy> &list, Pred matches) {
  if (!llvm::any_of(list, matches))
    return false;
  llvm::erase_if(list, [&](const ShardingStrategy &s) { return !matches(s); });
  return true;
}

/// Says that an annotation is priced as a reshard rather than followed.
void warnUnfollowed(Operation *op, StringRef what,
                    const TensorSharding &sharding) {
  op->emitWarning() << "no strategy of this op " << what << " "
                    << sharding.str({})
                    << "; the plan reshards to and from the annotation";
}

bool nearlyEqual(double a, double b) {
  return std::abs(a - b) <= 1e-9 * std::max({1.0, std::abs(a), std::abs(b)});
}

} // namespace

ArrayRef<ShardingStrategy>
ShardingProblem::getStrategies(Operation *op) const {
  auto it = strategies.find(op);
  if (it == strategies.end())
    return {};
  return it->second;
}

unsigned ShardingProblem::getSetSize(unsigned set) const {
  for (const ProblemNode &node : nodes)
    if (node.strategySet == set)
      return node.getNumStrategies();
  return 0;
}

FailureOr<ShardingProblem>
ShardingProblem::build(func::FuncOp func, const StrategyContext &context,
                       const ProblemOptions &options) {
  ShardingProblem problem;
  const CostModel &model = context.costModel;
  const MeshModel &mesh = context.getMesh();
  FlatSymbolRefAttr meshSymbol =
      FlatSymbolRefAttr::get(func.getContext(), mesh.name);
  Block &body = func.getBody().front();
  Sources sources(func);
  auto isSource = [&](Value value) { return sources.isSource(value); };

  auto reshard = [&](const TensorSharding &from, const TensorSharding &to,
                     Value value) {
    auto type = cast<RankedTensorType>(value.getType());
    return model.getReshardTime(from, to, type.getShape(),
                                getElementBytes(type));
  };
  auto localBytes = [&](const TensorSharding &sharding, Value value) {
    auto type = cast<RankedTensorType>(value.getType());
    return model.getLocalBytes(sharding, type.getShape(),
                               getElementBytes(type));
  };

  // 1. Strategies, narrowed by annotations.
  SmallVector<Operation *> ops;
  DenseMap<Operation *, unsigned> position;
  func::ReturnOp returnOp;
  for (Operation &op : body) {
    if (isa<mesh::ShardOp>(op) || op.hasTrait<OpTrait::ConstantLike>() ||
        sources.isLoadTimeOp(&op))
      continue;
    if (auto ret = dyn_cast<func::ReturnOp>(op)) {
      returnOp = ret;
      continue;
    }
    position[&op] = ops.size();
    ops.push_back(&op);
    SmallVector<ShardingStrategy, 0> &list = problem.strategies[&op];
    if (auto iface = dyn_cast<ShardingStrategyOpInterface>(op))
      iface.getShardingStrategies(context, list);
    if (list.empty())
      list.push_back(replicatedStrategy(&op));
  }
  problem.numOps = ops.size();
  problem.numPoints = ops.size() + 1; // the last point is the return

  for (Operation *op : ops) {
    SmallVector<ShardingStrategy, 0> &list = problem.strategies[op];
    for (auto [index, operand] : llvm::enumerate(op->getOperands())) {
      FailureOr<ResolvedValue> resolved = resolve(operand, meshSymbol);
      if (failed(resolved))
        return failure();
      if (resolved->forUsers &&
          !narrow(list, [&](const ShardingStrategy &s) {
            return s.operands[index] == *resolved->forUsers;
          }))
        warnUnfollowed(op, "takes operand #" + std::to_string(index) + " as",
                       *resolved->forUsers);
    }
    // An as-produced annotation on a use of this op's result.
    for (auto [index, result] : llvm::enumerate(op->getResults()))
      for (Operation *user : result.getUsers())
        if (auto shard = dyn_cast<mesh::ShardOp>(user);
            shard && !shard.getAnnotateForUsers()) {
          TensorSharding pinned = TensorSharding::fromAttr(
              shard.getSharding(), rankOf(result));
          if (!narrow(list, [&](const ShardingStrategy &s) {
                return s.results[index] == pinned;
              }))
            warnUnfollowed(op,
                           "produces result #" + std::to_string(index) + " as",
                           pinned);
        }
  }

  // 2. Nodes, with followers merged into their producers.
  DenseMap<Operation *, std::pair<unsigned, unsigned>> nodeOf; // node, slot
  auto sourceBytes = [&](Operation *op, const ShardingStrategy &strategy) {
    double bytes = 0;
    for (auto [index, operand] : llvm::enumerate(op->getOperands())) {
      FailureOr<ResolvedValue> resolved = resolve(operand, meshSymbol);
      if (succeeded(resolved) && isSource(resolved->base) &&
          isa<RankedTensorType>(operand.getType()))
        bytes += localBytes(strategy.operands[index], operand);
    }
    return bytes;
  };
  auto producedSharding = [&](OpResult result, unsigned nodeStrategy)
      -> const TensorSharding & {
    auto [node, slot] = nodeOf.lookup(result.getOwner());
    unsigned s = problem.nodes[node].opStrategies[nodeStrategy][slot];
    return problem.strategies[result.getOwner()][s]
        .results[result.getResultNumber()];
  };

  for (Operation *op : ops) {
    ArrayRef<ShardingStrategy> list = problem.strategies[op];
    // A follower: one non-source operand from another node, and a strategy
    // taking each of that node's shardings as it comes.
    auto iface = dyn_cast<ShardingStrategyOpInterface>(op);
    if (options.mergeFollowers && iface && iface.followsOperand()) {
      std::optional<std::pair<unsigned, OpResult>> data;
      bool single = true;
      for (auto [index, operand] : llvm::enumerate(op->getOperands())) {
        Value base = resolve(operand, meshSymbol)->base;
        if (isSource(base))
          continue;
        if (data) {
          single = false;
          break;
        }
        data = {static_cast<unsigned>(index), cast<OpResult>(base)};
      }
      if (single && data && nodeOf.count(data->second.getOwner())) {
        unsigned producer = nodeOf.lookup(data->second.getOwner()).first;
        ProblemNode &node = problem.nodes[producer];
        SmallVector<unsigned> picks;
        for (unsigned s = 0; s < node.getNumStrategies(); ++s) {
          const TensorSharding &given = producedSharding(data->second, s);
          std::optional<unsigned> best;
          for (auto [t, strategy] : llvm::enumerate(list))
            if (strategy.operands[data->first] == given &&
                (!best || strategy.getTime() < list[*best].getTime()))
              best = t;
          if (!best)
            break;
          picks.push_back(*best);
        }
        if (picks.size() == node.getNumStrategies()) {
          nodeOf[op] = {producer, static_cast<unsigned>(node.ops.size())};
          node.ops.push_back(op);
          for (auto [s, t] : llvm::enumerate(picks)) {
            node.opStrategies[s].push_back(t);
            node.cost[s] += list[t].getTime();
            node.parameterBytes[s] += sourceBytes(op, list[t]);
          }
          continue;
        }
      }
    }
    ProblemNode node;
    node.ops.push_back(op);
    for (auto [s, strategy] : llvm::enumerate(list)) {
      node.opStrategies.push_back({static_cast<unsigned>(s)});
      node.cost.push_back(strategy.getTime());
      node.parameterBytes.push_back(sourceBytes(op, strategy));
    }
    nodeOf[op] = {static_cast<unsigned>(problem.nodes.size()), 0};
    problem.nodes.push_back(std::move(node));
  }

  // 3. Edges and the reshards into the results. A use that needs another
  //    layout than produced also holds the resharded copy at its program
  //    point (a gathered activation is larger than its slices).
  llvm::MapVector<std::pair<unsigned, unsigned>, ProblemEdge> edgeMap;
  auto useCost = [&](const ResolvedValue &use, const TensorSharding &from,
                     const TensorSharding &required) {
    double time = 0;
    const TensorSharding *current = &from;
    for (const std::optional<TensorSharding> *pin :
         {&use.produced, &use.forUsers}) {
      if (*pin) {
        time += reshard(*current, **pin, use.base);
        current = &**pin;
      }
    }
    return time + reshard(*current, required, use.base);
  };
  auto copyBytes = [&](const TensorSharding &from, const TensorSharding &to,
                       Value value) {
    return from == to ? 0.0 : localBytes(to, value);
  };
  // Copies a node holds at one point, per strategy of the node.
  auto addCopies = [&](unsigned node, unsigned point,
                       SmallVector<double> bytes) {
    if (llvm::any_of(bytes, [](double b) { return b != 0; }))
      problem.liveRanges.push_back({node, std::move(bytes), point, point});
  };
  for (auto [v, node] : llvm::enumerate(problem.nodes)) {
    for (auto [slot, op] : llvm::enumerate(node.ops)) {
      unsigned point = position.lookup(op);
      for (auto [index, operand] : llvm::enumerate(op->getOperands())) {
        ResolvedValue use = *resolve(operand, meshSymbol);
        if (isSource(use.base) || !isa<RankedTensorType>(operand.getType()))
          continue;
        auto result = cast<OpResult>(use.base);
        unsigned u = nodeOf.lookup(result.getOwner()).first;
        auto required = [&, op = op, slot = slot, index = index](unsigned j)
            -> const TensorSharding & {
          unsigned t = problem.nodes[v].opStrategies[j][slot];
          return problem.strategies[op][t].operands[index];
        };
        if (u == v) {
          SmallVector<double> copies;
          for (unsigned j = 0; j < node.getNumStrategies(); ++j) {
            const TensorSharding &given = producedSharding(result, j);
            node.cost[j] += useCost(use, given, required(j));
            copies.push_back(copyBytes(given, required(j), use.base));
          }
          addCopies(v, point, std::move(copies));
          continue;
        }
        unsigned ku = problem.nodes[u].getNumStrategies();
        unsigned kv = node.getNumStrategies();
        ProblemEdge &edge = edgeMap[{u, static_cast<unsigned>(v)}];
        edge.from = u;
        edge.to = v;
        edge.cost.resize(ku * kv, 0.0);
        SmallVector<double> copies(ku * kv, 0.0);
        for (unsigned i = 0; i < ku; ++i) {
          const TensorSharding &given = producedSharding(result, i);
          for (unsigned j = 0; j < kv; ++j) {
            edge.cost[i * kv + j] += useCost(use, given, required(j));
            copies[i * kv + j] = copyBytes(given, required(j), use.base);
          }
        }
        if (llvm::any_of(copies, [](double b) { return b != 0; }))
          edge.copies.push_back({point, std::move(copies)});
      }
    }
  }
  if (returnOp) {
    for (Value operand : returnOp.getOperands()) {
      ResolvedValue use = *resolve(operand, meshSymbol);
      if (isSource(use.base) || !isa<RankedTensorType>(operand.getType()))
        continue;
      auto result = cast<OpResult>(use.base);
      unsigned u = nodeOf.lookup(result.getOwner()).first;
      ProblemNode &node = problem.nodes[u];
      node.resultCost.resize(node.getNumStrategies(), 0.0);
      TensorSharding whole = TensorSharding::replicated(rankOf(result));
      SmallVector<double> copies;
      for (unsigned i = 0; i < node.getNumStrategies(); ++i) {
        const TensorSharding &given = producedSharding(result, i);
        double time = useCost(use, given, whole);
        node.cost[i] += time;
        node.resultCost[i] += time;
        copies.push_back(copyBytes(given, whole, use.base));
      }
      addCopies(u, problem.numPoints - 1, std::move(copies));
    }
  }
  for (auto &[pair, edge] : edgeMap)
    problem.edges.push_back(std::move(edge));

  // 4. Live ranges: from the producing op to the last use.
  for (Operation *op : ops) {
    for (OpResult result : op->getResults()) {
      if (!isa<RankedTensorType>(result.getType()))
        continue;
      unsigned begin = position.lookup(op), end = begin;
      SmallVector<Value> worklist = {result};
      while (!worklist.empty()) {
        Value value = worklist.pop_back_val();
        for (Operation *user : value.getUsers()) {
          if (auto shard = dyn_cast<mesh::ShardOp>(user))
            worklist.push_back(shard.getResult());
          else if (isa<func::ReturnOp>(user))
            end = problem.numPoints - 1;
          else if (position.count(user))
            end = std::max(end, position.lookup(user));
        }
      }
      auto [node, slot] = nodeOf.lookup(op);
      LiveRange range{node, {}, begin, end};
      for (unsigned s = 0; s < problem.nodes[node].getNumStrategies(); ++s)
        range.bytes.push_back(localBytes(producedSharding(result, s), result));
      problem.liveRanges.push_back(std::move(range));
    }
  }

  // 5. Repeated blocks. A node's signature covers its ops (name,
  // attributes, types), where its operands come from (a source of some
  // type, or the op so many places earlier) and its strategy count.
  unsigned numNodes = problem.nodes.size();
  SmallVector<llvm::hash_code> signature;
  for (auto [v, node] : llvm::enumerate(problem.nodes)) {
    llvm::hash_code hash = llvm::hash_value(node.getNumStrategies());
    for (Operation *op : node.ops) {
      hash = llvm::hash_combine(hash, op->getName().getStringRef(),
                                op->getRawDictionaryAttrs().getAsOpaquePointer());
      for (Type type : op->getResultTypes())
        hash = llvm::hash_combine(hash, type.getAsOpaquePointer());
      for (Value operand : op->getOperands()) {
        Value base = resolve(operand, meshSymbol)->base;
        hash = llvm::hash_combine(hash, operand.getType().getAsOpaquePointer());
        if (isSource(base)) {
          hash = llvm::hash_combine(hash, -1);
          continue;
        }
        // Distances in ops, not nodes: a follower merged into its producer
        // in one block and not in another must not shift the others.
        auto result = cast<OpResult>(base);
        int64_t distance = static_cast<int64_t>(position.lookup(op)) -
                           position.lookup(result.getOwner());
        hash = llvm::hash_combine(hash, distance, result.getResultNumber());
      }
    }
    signature.push_back(hash);
  }
  // The period and start covering most nodes: a run where every node
  // equals the node one period later.
  unsigned bestPeriod = 0, bestStart = 0, bestRepeats = 0, bestCover = 0;
  // A period of one node would tie neighbours that merely look alike (the
  // key and value projections of grouped-query attention).
  for (unsigned period = 2; period * 2 <= numNodes; ++period) {
    unsigned runStart = 0;
    for (unsigned i = 0; i + period <= numNodes; ++i) {
      bool same = i + period < numNodes && signature[i] == signature[i + period];
      if (same)
        continue;
      // [runStart, i) all match one period ahead: repeats of the block
      // starting at runStart.
      unsigned repeats = (i - runStart) / period + 1;
      if (repeats >= 2 && repeats * period > bestCover) {
        bestCover = repeats * period;
        bestPeriod = period;
        bestStart = runStart;
        bestRepeats = repeats;
      }
      runStart = i + 1;
    }
  }
  // Tied nodes must also cost the same; they do unless shapes differ in a
  // way the signature cannot see.
  bool tieable = bestRepeats >= 2;
  for (unsigned i = bestStart; tieable && i < bestStart + bestCover; ++i) {
    const ProblemNode &node = problem.nodes[i];
    const ProblemNode &first =
        problem.nodes[bestStart + (i - bestStart) % bestPeriod];
    // The last block may also feed the function result; that reshard is
    // its own, not the block's.
    auto blockCost = [](const ProblemNode &n, unsigned s) {
      return n.cost[s] - (n.resultCost.empty() ? 0.0 : n.resultCost[s]);
    };
    for (unsigned s = 0; tieable && s < node.getNumStrategies(); ++s)
      tieable = nearlyEqual(blockCost(node, s), blockCost(first, s)) &&
                nearlyEqual(node.parameterBytes[s], first.parameterBytes[s]);
  }
  problem.numLayers = tieable ? bestRepeats : 0;
  problem.tied = tieable && options.tieLayers;
  unsigned nextSet = 0;
  for (unsigned v = 0; v < numNodes; ++v) {
    ProblemNode &node = problem.nodes[v];
    bool inBlocks = tieable && v >= bestStart && v < bestStart + bestCover;
    if (inBlocks)
      node.layer = (v - bestStart) / bestPeriod;
    if (inBlocks && problem.tied && node.layer > 0)
      node.strategySet = problem.nodes[v - bestPeriod].strategySet;
    else
      node.strategySet = nextSet++;
  }
  problem.numStrategySets = nextSet;
  LDBG() << "ops " << problem.numOps << ", nodes " << numNodes << ", edges "
              << problem.edges.size() << ", layers " << problem.numLayers
              << " of " << bestPeriod << " nodes, strategy sets " << nextSet;
  return problem;
}

PlanCost ShardingProblem::evaluate(ArrayRef<unsigned> setChoice) const {
  PlanCost cost;
  auto choice = [&](unsigned node) {
    return setChoice[nodes[node].strategySet];
  };
  for (auto [v, node] : llvm::enumerate(nodes)) {
    cost.time += node.cost[choice(v)];
    cost.parameterBytes += node.parameterBytes[choice(v)];
  }
  for (const ProblemEdge &edge : edges)
    cost.time += edge.cost[choice(edge.from) * nodes[edge.to].getNumStrategies() +
                           choice(edge.to)];
  SmallVector<double> live(numPoints, 0.0);
  for (const LiveRange &range : liveRanges)
    for (unsigned t = range.begin; t <= range.end; ++t)
      live[t] += range.bytes[choice(range.node)];
  for (const ProblemEdge &edge : edges)
    for (const auto &[point, bytes] : edge.copies)
      live[point] += bytes[choice(edge.from) * nodes[edge.to].getNumStrategies() +
                           choice(edge.to)];
  double peak = 0;
  for (double bytes : live)
    peak = std::max(peak, bytes);
  cost.peakMemory = cost.parameterBytes + peak;
  return cost;
}

std::optional<std::pair<SmallVector<unsigned>, PlanCost>>
ShardingProblem::solveByEnumeration(double memoryBudget, uint64_t limit) const {
  SmallVector<unsigned> sizes;
  uint64_t combinations = 1;
  for (unsigned set = 0; set < numStrategySets; ++set) {
    sizes.push_back(getSetSize(set));
    if (combinations > limit / std::max(1u, sizes.back()))
      return std::nullopt;
    combinations *= sizes.back();
  }
  SmallVector<unsigned> choice(numStrategySets, 0);
  std::optional<std::pair<SmallVector<unsigned>, PlanCost>> best;
  for (uint64_t n = 0; n < combinations; ++n) {
    PlanCost cost = evaluate(choice);
    if (cost.peakMemory <= memoryBudget &&
        (!best || cost.time < best->second.time))
      best = {choice, cost};
    for (unsigned set = 0; set < numStrategySets; ++set) {
      if (++choice[set] < sizes[set])
        break;
      choice[set] = 0;
    }
  }
  return best;
}
