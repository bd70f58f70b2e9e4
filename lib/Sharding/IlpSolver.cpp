//===- IlpSolver.cpp - The sharding ILP, solved with COIN-OR CBC -----------===//
//
// Builds the formulation stated in IlpSolver.h as a column-major matrix and
// hands it to CBC through its C interface. Times enter the objective in
// microseconds and bytes the rows in GiB, so that coefficients stay within a
// few orders of magnitude of one.
//
//===----------------------------------------------------------------------===//

#include "weft/Sharding/IlpSolver.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/Support/DebugLog.h"

#include <Cbc_C_Interface.h>

#include <chrono>
#include <map>
#include <set>

#define DEBUG_TYPE "xf-auto-shard"

using namespace mlir;
using namespace weft;
using namespace weft::sharding;

namespace {
constexpr double kTimeScale = 1e6;                     // seconds -> us
constexpr double kBytesScale = 1.0 / (1024.0 * 1024.0 * 1024.0); // -> GiB

/// The model as rows of (column, coefficient), bounds and objective.
struct IlpModel {
  std::vector<double> objective, columnLower, columnUpper;
  std::vector<bool> integer;
  std::vector<std::vector<std::pair<int, double>>> rows;
  std::vector<double> rowLower, rowUpper;

  int addColumn(double cost, double lower, double upper, bool isInteger) {
    objective.push_back(cost);
    columnLower.push_back(lower);
    columnUpper.push_back(upper);
    integer.push_back(isInteger);
    return objective.size() - 1;
  }
  void addRow(std::vector<std::pair<int, double>> row, double lower,
              double upper) {
    rows.push_back(std::move(row));
    rowLower.push_back(lower);
    rowUpper.push_back(upper);
  }
};

/// The columns and rows shared by the time and the memory objectives.
struct Formulation {
  IlpModel model;
  std::vector<int> setBase; ///< first s column of each strategy set
  int parameters = -1;      ///< the P column
  /// Memory rows without P, kept once each.
  std::set<std::vector<std::pair<int, double>>> memoryRows;
};

Formulation formulate(const ShardingProblem &problem) {
  Formulation f;
  unsigned numSets = problem.getNumStrategySets();
  ArrayRef<ProblemNode> nodes = problem.getNodes();
  std::vector<std::vector<double>> setCost(numSets);
  std::vector<std::vector<double>> setParameters(numSets);
  for (unsigned set = 0; set < numSets; ++set) {
    setCost[set].assign(problem.getSetSize(set), 0.0);
    setParameters[set].assign(problem.getSetSize(set), 0.0);
  }
  for (const ProblemNode &node : nodes)
    for (unsigned k = 0; k < node.getNumStrategies(); ++k) {
      setCost[node.strategySet][k] += node.cost[k];
      setParameters[node.strategySet][k] += node.parameterBytes[k];
    }

  // Edges summed per pair of strategy sets, with the copies they make.
  struct SetPair {
    std::vector<double> cost;
    std::vector<std::pair<unsigned, std::vector<double>>> copies;
  };
  std::map<std::pair<unsigned, unsigned>, SetPair> pairs;
  // Copies on edges inside one set count on the diagonal, per point.
  std::vector<std::map<int, double>> points(problem.getNumPoints());
  std::vector<int> setBase(numSets);
  for (unsigned set = 0, next = 0; set < numSets; ++set) {
    setBase[set] = next;
    next += setCost[set].size();
  }
  for (const ProblemEdge &edge : problem.getEdges()) {
    unsigned from = nodes[edge.from].strategySet, to = nodes[edge.to].strategySet;
    unsigned kv = nodes[edge.to].getNumStrategies();
    if (from == to) {
      for (unsigned k = 0; k < kv; ++k)
        setCost[from][k] += edge.cost[k * kv + k];
      for (const auto &[point, bytes] : edge.copies)
        for (unsigned k = 0; k < kv; ++k)
          if (bytes[k * kv + k] != 0)
            points[point][setBase[from] + k] += bytes[k * kv + k] * kBytesScale;
      continue;
    }
    SetPair &pair = pairs[{from, to}];
    pair.cost.resize(edge.cost.size(), 0.0);
    for (size_t i = 0; i < edge.cost.size(); ++i)
      pair.cost[i] += edge.cost[i];
    for (const auto &[point, bytes] : edge.copies)
      pair.copies.push_back({point, std::vector<double>(bytes.begin(), bytes.end())});
  }

  // Edge costs a_i + b_j move into the node costs; edge variables remain
  // where the cost couples the two choices or the consumer holds copies.
  struct Coupled {
    unsigned from, to;
    std::vector<double> cost;
    std::vector<std::pair<unsigned, std::vector<double>>> copies;
  };
  std::vector<Coupled> coupled;
  for (auto &[key, pair] : pairs) {
    auto [from, to] = key;
    std::vector<double> &matrix = pair.cost;
    unsigned ku = setCost[from].size(), kv = setCost[to].size();
    double scale = 0;
    for (double c : matrix)
      scale = std::max(scale, std::abs(c));
    bool separable = true;
    for (unsigned i = 0; i < ku && separable; ++i)
      for (unsigned j = 0; j < kv && separable; ++j)
        separable = std::abs(matrix[i * kv + j] - matrix[i * kv] -
                             matrix[j] + matrix[0]) <= 1e-12 * scale;
    if (separable) {
      for (unsigned i = 0; i < ku; ++i)
        setCost[from][i] += matrix[i * kv];
      for (unsigned j = 0; j < kv; ++j)
        setCost[to][j] += matrix[j] - matrix[0];
      std::fill(matrix.begin(), matrix.end(), 0.0);
      if (pair.copies.empty())
        continue;
    }
    coupled.push_back({from, to, std::move(matrix), std::move(pair.copies)});
  }

  IlpModel &m = f.model;
  for (unsigned set = 0; set < numSets; ++set) {
    f.setBase.push_back(m.objective.size());
    std::vector<std::pair<int, double>> oneHot;
    for (unsigned k = 0; k < setCost[set].size(); ++k)
      oneHot.push_back(
          {m.addColumn(setCost[set][k] * kTimeScale, 0, 1, true), 1.0});
    m.addRow(std::move(oneHot), 1, 1);
  }
  for (Coupled &edge : coupled) {
    unsigned from = edge.from, to = edge.to;
    unsigned ku = setCost[from].size(), kv = setCost[to].size();
    int base = m.objective.size();
    for (unsigned i = 0; i < ku; ++i)
      for (unsigned j = 0; j < kv; ++j)
        m.addColumn(edge.cost[i * kv + j] * kTimeScale, 0, 1, false);
    for (const auto &[point, bytes] : edge.copies)
      for (unsigned k = 0; k < ku * kv; ++k)
        if (bytes[k] != 0)
          points[point][base + k] += bytes[k] * kBytesScale;
    for (unsigned i = 0; i < ku; ++i) {
      std::vector<std::pair<int, double>> row;
      for (unsigned j = 0; j < kv; ++j)
        row.push_back({base + static_cast<int>(i * kv + j), 1.0});
      row.push_back({f.setBase[from] + static_cast<int>(i), -1.0});
      m.addRow(std::move(row), 0, 0);
    }
    for (unsigned j = 0; j < kv; ++j) {
      std::vector<std::pair<int, double>> row;
      for (unsigned i = 0; i < ku; ++i)
        row.push_back({base + static_cast<int>(i * kv + j), 1.0});
      row.push_back({f.setBase[to] + static_cast<int>(j), -1.0});
      m.addRow(std::move(row), 0, 0);
    }
  }

  // Parameters: P = sum p . s.
  f.parameters = m.addColumn(0, 0, 1e30, false);
  std::vector<std::pair<int, double>> parameterRow = {{f.parameters, 1.0}};
  for (unsigned set = 0; set < numSets; ++set)
    for (unsigned k = 0; k < setParameters[set].size(); ++k)
      if (setParameters[set][k] != 0)
        parameterRow.push_back({f.setBase[set] + static_cast<int>(k),
                                -setParameters[set][k] * kBytesScale});
  m.addRow(std::move(parameterRow), 0, 0);

  // Live bytes at each program point, once per distinct row.
  for (const LiveRange &range : problem.getLiveRanges()) {
    int base = f.setBase[nodes[range.node].strategySet];
    for (unsigned t = range.begin; t <= range.end; ++t)
      for (unsigned k = 0; k < range.bytes.size(); ++k)
        if (range.bytes[k] != 0)
          points[t][base + k] += range.bytes[k] * kBytesScale;
  }
  for (const auto &point : points)
    if (!point.empty())
      f.memoryRows.insert(
          std::vector<std::pair<int, double>>(point.begin(), point.end()));
  return f;
}

struct CbcResult {
  bool haveSolution = false, optimal = false, infeasible = false;
  std::vector<double> columns;
  double objective = 0, bestBound = 0, seconds = 0;
  unsigned variables = 0, integers = 0, constraints = 0;
};

CbcResult runCbc(const IlpModel &m, double timeLimit) {
  CbcResult result;
  int numCols = m.objective.size(), numRows = m.rows.size();
  std::vector<std::vector<std::pair<int, double>>> columns(numCols);
  for (int r = 0; r < numRows; ++r)
    for (auto [col, value] : m.rows[r])
      columns[col].push_back({r, value});
  std::vector<CoinBigIndex> start = {0};
  std::vector<int> index;
  std::vector<double> value;
  for (const auto &column : columns) {
    for (auto [row, coefficient] : column) {
      index.push_back(row);
      value.push_back(coefficient);
    }
    start.push_back(index.size());
  }
  Cbc_Model *model = Cbc_newModel();
  Cbc_loadProblem(model, numCols, numRows, start.data(), index.data(),
                  value.data(), m.columnLower.data(), m.columnUpper.data(),
                  m.objective.data(), m.rowLower.data(), m.rowUpper.data());
  for (int col = 0; col < numCols; ++col)
    if (m.integer[col]) {
      Cbc_setInteger(model, col);
      ++result.integers;
    }
  Cbc_setLogLevel(model, 0);
  Cbc_setMaximumSeconds(model, timeLimit);
  auto begin = std::chrono::steady_clock::now();
  Cbc_solve(model);
  result.seconds = std::chrono::duration<double>(
                       std::chrono::steady_clock::now() - begin)
                       .count();
  result.variables = numCols;
  result.constraints = numRows;
  result.optimal = Cbc_isProvenOptimal(model);
  result.infeasible = Cbc_isProvenInfeasible(model);
  if (const double *solution = Cbc_bestSolution(model)) {
    result.haveSolution = true;
    result.columns.assign(solution, solution + numCols);
    result.objective = Cbc_getObjValue(model);
    result.bestBound = Cbc_getBestPossibleObjValue(model);
  }
  Cbc_deleteModel(model);
  return result;
}

} // namespace

StringRef weft::sharding::stringifySolveStatus(SolveStatus status) {
  switch (status) {
  case SolveStatus::Optimal:
    return "optimal";
  case SolveStatus::Feasible:
    return "feasible";
  case SolveStatus::Infeasible:
    return "infeasible";
  case SolveStatus::Unknown:
    return "unknown";
  }
  return "unknown";
}

IlpSolution weft::sharding::solveShardingIlp(const ShardingProblem &problem,
                                             const SolverOptions &options) {
  Formulation f = formulate(problem);
  IlpModel timeModel = f.model;
  for (const auto &row : f.memoryRows) {
    std::vector<std::pair<int, double>> full = row;
    full.push_back({f.parameters, 1.0});
    timeModel.addRow(std::move(full), -1e30,
                     options.memoryBudget * kBytesScale);
  }
  LDBG() << "ILP: " << timeModel.objective.size() << " columns, "
               << timeModel.rows.size() << " rows, " << f.memoryRows.size()
               << " memory rows";
  CbcResult run = runCbc(timeModel, options.timeLimit);

  IlpSolution solution;
  solution.solveSeconds = run.seconds;
  solution.variables = run.variables;
  solution.integerVariables = run.integers;
  solution.constraints = run.constraints;
  if (!run.haveSolution) {
    solution.status =
        run.infeasible ? SolveStatus::Infeasible : SolveStatus::Unknown;
    if (!run.infeasible)
      return solution;
    // The least memory any plan needs: minimise the largest row.
    IlpModel memoryModel = f.model;
    std::fill(memoryModel.objective.begin(), memoryModel.objective.end(), 0.0);
    int peak = memoryModel.addColumn(1.0, 0, 1e30, false);
    for (const auto &row : f.memoryRows) {
      std::vector<std::pair<int, double>> full = row;
      full.push_back({f.parameters, 1.0});
      full.push_back({peak, -1.0});
      memoryModel.addRow(std::move(full), -1e30, 0);
    }
    CbcResult least = runCbc(memoryModel, options.timeLimit);
    solution.solveSeconds += least.seconds;
    if (least.haveSolution && least.optimal)
      solution.leastMemory = least.columns[peak] / kBytesScale;
    return solution;
  }
  solution.status = run.optimal ? SolveStatus::Optimal : SolveStatus::Feasible;
  for (unsigned set = 0; set < problem.getNumStrategySets(); ++set) {
    unsigned size = problem.getSetSize(set), best = 0;
    for (unsigned k = 1; k < size; ++k)
      if (run.columns[f.setBase[set] + k] > run.columns[f.setBase[set] + best])
        best = k;
    solution.setChoice.push_back(best);
  }
  solution.objective = run.objective / kTimeScale;
  solution.bestBound =
      run.optimal ? solution.objective
                  : std::min(run.bestBound, run.objective) / kTimeScale;
  solution.gap = solution.objective > 0
                     ? (solution.objective - solution.bestBound) /
                           solution.objective
                     : 0;
  return solution;
}
