//===- IlpSolver.h - The sharding ILP, solved with COIN-OR CBC -----*- C++ -*-===//
//
// Alpa's formulation over a ShardingProblem:
//
//   minimise   sum_v c_v . s_v  +  sum_(u,v) R_uv . e_uv
//   subject to sum_k s_v[k] = 1                 s_v binary (one strategy)
//              sum_j e_uv[i,j] = s_u[i]          e_uv in [0,1], linearising
//              sum_i e_uv[i,j] = s_v[j]          s_u[i] * s_v[j]
//              P = sum_v p_v . s_v               parameter bytes
//              P + sum_{x live at t} m_x . s_x <= budget   for every point t
//
// with one s per strategy set (tied blocks share theirs), edges summed per
// pair of sets and dropped when their cost separates into a term per
// endpoint, identical memory rows kept once. Given integral s, the edge
// constraints force e to the product, so e stays continuous.
//
//===----------------------------------------------------------------------===//

#ifndef WEFT_SHARDING_ILPSOLVER_H
#define WEFT_SHARDING_ILPSOLVER_H

#include "weft/Sharding/ShardingProblem.h"

namespace weft::sharding {

struct SolverOptions {
  /// Wall-clock limit of the solve in seconds.
  double timeLimit = 10;
  /// Per-device memory bound in bytes.
  double memoryBudget = 0;
};

enum class SolveStatus {
  Optimal,    ///< proven optimal
  Feasible,   ///< a plan, stopped by the time limit before proving it best
  Infeasible, ///< no plan fits the memory budget
  Unknown,    ///< the time limit passed before any plan was found
};

llvm::StringRef stringifySolveStatus(SolveStatus status);

struct IlpSolution {
  SolveStatus status = SolveStatus::Unknown;
  /// Chosen strategy of each strategy set.
  llvm::SmallVector<unsigned> setChoice;
  /// Objective (seconds) and the solver's best lower bound.
  double objective = 0, bestBound = 0;
  /// Relative gap (objective - bound) / objective; 0 when optimal.
  double gap = 0;
  double solveSeconds = 0;
  unsigned variables = 0, integerVariables = 0, constraints = 0;
  /// When infeasible: the least per-device memory any plan needs (bytes),
  /// if the solver found it within the time limit.
  std::optional<double> leastMemory;
};

/// Builds and solves the ILP of `problem`.
IlpSolution solveShardingIlp(const ShardingProblem &problem,
                             const SolverOptions &options);

} // namespace weft::sharding

#endif // WEFT_SHARDING_ILPSOLVER_H
