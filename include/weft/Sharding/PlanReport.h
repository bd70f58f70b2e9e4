//===- PlanReport.h - What the auto-sharder decided, and why -------*- C++ -*-===//
//
// A chosen plan, per op (strategy, compute, communication, memory) and per
// repeated block, written as JSON for tools (`--plan-report`) and as a short
// table for people (`--plan-summary`). docs/sharding.md describes the JSON.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_SHARDING_PLANREPORT_H
#define WEFT_SHARDING_PLANREPORT_H

#include "weft/Sharding/IlpSolver.h"

#include "llvm/Support/raw_ostream.h"

namespace weft::sharding {

struct OpPlan {
  mlir::Operation *op;
  /// The op and what it works on: `xf.linear transformer.h.0.mlp.c_fc.weight`.
  std::string label;
  int64_t layer;
  const ShardingStrategy *strategy;
  double computeTime;
  /// The op's own collectives plus the resharding of its operands.
  double communicationTime;
  llvm::SmallVector<std::string> collectives;
  double parameterBytes;
};

struct Plan {
  std::string function;
  const MeshModel *mesh;
  const ShardingProblem *problem;
  IlpSolution solution;
  PlanCost cost;
  double memoryBudget = 0;
  double buildSeconds = 0;
  std::vector<OpPlan> ops;
};

/// Fills `plan.ops` and `plan.cost` from the solution's choice.
void describePlan(Plan &plan, const CostModel &model);

void writePlanJson(const Plan &plan, llvm::raw_ostream &os);
void writePlanSummary(const Plan &plan, llvm::raw_ostream &os);

/// `80.00 GiB`, `16.09 MiB`, `300.00 KiB`: the unit that keeps the number
/// readable.
std::string formatBytes(double bytes);

} // namespace weft::sharding

#endif // WEFT_SHARDING_PLANREPORT_H
