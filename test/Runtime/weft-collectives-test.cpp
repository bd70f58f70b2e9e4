//===- weft-collectives-test.cpp - Collectives checked across ranks -------===//
//
// Runs under mpirun, one process per device of --mesh, and checks every
// collective over every list of mesh axes (each subset in each order, the
// empty one included) against a reference each rank computes on its own:
// inputs are fresh seeded random data, different on every rank, and every
// rank regenerates the others' inputs from the seed to build the expected
// result, so nothing in the check goes through the collectives under test.
// A few all_reduce and reduce_scatter cases of several MiB reach the MPI
// back end's ring algorithms (CollectiveMpi.cpp) at their default
// thresholds, in several chunks; the ctest entries that set
// WEFT_MPI_RING_THRESHOLD_BYTES=0 send every case through them.
//
// Tolerances (u: unit roundoff of the type, n: group size <= 4):
//   * gather, scatter, all_to_all, broadcast, send/recv, max, min and
//     integer reductions: bit-exact;
//   * f32/f64 sum: |r - s| <= gamma(n-1) * sum |x_i|, s the exact sum
//     (computed in long double), gamma(k) = k u / (1 - k u): the
//     classical bound of recursive summation in any order (u = 2^-24 or
//     2^-53);
//   * f32/f64 prod: |r - p| <= gamma(n-1) * |p|, the bound of n-1 rounded
//     multiplications;
//   * f16/bf16 sum and prod, accumulated in f32: within one unit in the
//     last place (of the 16-bit type) of the correctly rounded exact result,
//     and equal to it for at least 99% of the elements. f32 accumulation of
//     at most four 16-bit values errs by at most 3 * 2^-24 relative, far
//     below half a 16-bit ulp (2^-11 or 2^-8), so the one final rounding can
//     only land on the neighbour when the exact value lies within that
//     error of a rounding boundary (probability ~2^-10 per element); a
//     16-bit pairwise reduction would miss the 99% by far.
//
// --dead-rank=R makes rank R leave after a first collective instead of
// calling the second: with --dead-mode=exit it releases its communicator
// and returns from main (MPI is finalized at exit), with hang it sleeps,
// with crash it _exit()s without finalizing MPI. The others must fail the
// second collective within --timeout seconds and abort the run: the test
// driver (run-collectives-test.py) checks the exit code and the message.
//
//===----------------------------------------------------------------------===//

#include "weft/collectives.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

namespace {

struct Options {
  std::vector<int64_t> mesh;
  uint64_t seed = 1;
  double timeout = 60;
  int deadRank = -1;
  std::string deadMode = "exit";
  /// The axes of the dead-rank collectives; all when empty.
  std::vector<int64_t> deadAxes;
  /// --benchmark: time the collectives instead (f32, 1 KiB to this many
  /// bytes, each size repeated for about --benchmark-seconds).
  int64_t benchmarkMaxBytes = 0;
  double benchmarkSeconds = 0.2;
};

[[noreturn]] void usage(const char *message) {
  std::fprintf(stderr,
               "weft-collectives-test: %s\nusage: mpirun -np N "
               "weft-collectives-test --mesh=AxB [--seed=S] [--timeout=T] "
               "[--dead-rank=R [--dead-mode=exit|hang|crash] "
               "[--dead-axes=A,B]] [--benchmark=MAX_BYTES "
               "[--benchmark-seconds=S]]\n",
               message);
  std::exit(2);
}

Options parseOptions(int argc, char **argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](const char *flag) -> const char * {
      size_t n = std::strlen(flag);
      return arg.compare(0, n, flag) == 0 ? arg.c_str() + n : nullptr;
    };
    if (const char *v = value("--mesh=")) {
      for (const char *p = v; *p;) {
        char *end = nullptr;
        long long size = std::strtoll(p, &end, 10);
        if (end == p || size < 1)
          usage("bad --mesh");
        o.mesh.push_back(size);
        p = *end == 'x' ? end + 1 : end;
        if (*end && *end != 'x')
          usage("bad --mesh");
      }
    } else if (const char *v = value("--seed=")) {
      o.seed = std::strtoull(v, nullptr, 10);
    } else if (const char *v = value("--timeout=")) {
      o.timeout = std::strtod(v, nullptr);
    } else if (const char *v = value("--dead-rank=")) {
      o.deadRank = std::atoi(v);
    } else if (const char *v = value("--dead-mode=")) {
      o.deadMode = v;
    } else if (const char *v = value("--benchmark=")) {
      o.benchmarkMaxBytes = std::strtoll(v, nullptr, 10);
    } else if (const char *v = value("--benchmark-seconds=")) {
      o.benchmarkSeconds = std::strtod(v, nullptr);
    } else if (const char *v = value("--dead-axes=")) {
      for (const char *p = v; *p; p += *p == ',') {
        char *end = nullptr;
        o.deadAxes.push_back(std::strtoll(p, &end, 10));
        if (end == p)
          usage("bad --dead-axes");
        p = end;
      }
    } else {
      usage(("unknown argument " + arg).c_str());
    }
  }
  if (o.mesh.empty())
    usage("--mesh is required");
  return o;
}

std::string formatList(const std::vector<int64_t> &values) {
  std::string out = "[";
  for (size_t i = 0; i < values.size(); ++i)
    out += (i ? ", " : "") + std::to_string(values[i]);
  return out + "]";
}

/// Fails the process with the status's message: setup must not fail.
void check(weft_status_t status, const char *what) {
  if (!status)
    return;
  std::fprintf(stderr, "weft-collectives-test: %s: %s\n", what,
               weft_status_message(status));
  weft_status_free(status);
  std::exit(1);
}

//===----------------------------------------------------------------------===//
// Element encodings, written here independently of the runtime's
//===----------------------------------------------------------------------===//

size_t elementSize(weft_dtype_t dtype) { return weft_dtype_size(dtype); }

bool isHalf(weft_dtype_t dtype) {
  return dtype == WEFT_DTYPE_F16 || dtype == WEFT_DTYPE_BF16;
}
bool isInteger(weft_dtype_t dtype) {
  return dtype == WEFT_DTYPE_I32 || dtype == WEFT_DTYPE_I64;
}

/// Exponent and mantissa widths of the 16-bit formats.
int mantissaBits(weft_dtype_t dtype) {
  return dtype == WEFT_DTYPE_F16 ? 10 : 7;
}
int exponentBias(weft_dtype_t dtype) {
  return dtype == WEFT_DTYPE_F16 ? 15 : 127;
}

/// Decodes the normal and zero 16-bit values the test generates and the
/// results they sum to.
double decodeHalf(weft_dtype_t dtype, uint16_t bits) {
  int m = mantissaBits(dtype);
  int expBits = 15 - m;
  int e = (bits >> m) & ((1 << expBits) - 1);
  double mantissa = bits & ((1 << m) - 1);
  double magnitude =
      e == 0 ? std::ldexp(mantissa, 1 - exponentBias(dtype) - m)
             : std::ldexp(mantissa + (1 << m), e - exponentBias(dtype) - m);
  return (bits >> 15) ? -magnitude : magnitude;
}

/// `value` rounded to the 16-bit format (normal range), ties to even.
double roundHalf(weft_dtype_t dtype, double value) {
  if (value == 0)
    return 0;
  int exponent = 0;
  double fraction = std::frexp(value, &exponent); // [0.5, 1)
  int bits = mantissaBits(dtype) + 1;
  return std::ldexp(std::nearbyint(std::ldexp(fraction, bits)),
                    exponent - bits);
}

/// One unit in the last place of the 16-bit format at `value`.
double ulpHalf(weft_dtype_t dtype, double value) {
  int exponent = 0;
  std::frexp(value == 0 ? 1e-30 : value, &exponent);
  return std::ldexp(1.0, exponent - 1 - mantissaBits(dtype));
}

double load(weft_dtype_t dtype, const std::vector<unsigned char> &buffer,
            int64_t i) {
  const unsigned char *p = buffer.data() + i * elementSize(dtype);
  switch (dtype) {
  case WEFT_DTYPE_F16:
  case WEFT_DTYPE_BF16: {
    uint16_t bits;
    std::memcpy(&bits, p, 2);
    return decodeHalf(dtype, bits);
  }
  case WEFT_DTYPE_F32: {
    float v;
    std::memcpy(&v, p, 4);
    return v;
  }
  case WEFT_DTYPE_F64: {
    double v;
    std::memcpy(&v, p, 8);
    return v;
  }
  case WEFT_DTYPE_I32: {
    int32_t v;
    std::memcpy(&v, p, 4);
    return v;
  }
  case WEFT_DTYPE_I64: {
    int64_t v;
    std::memcpy(&v, p, 8);
    return static_cast<double>(v);
  }
  }
  return NAN;
}

int64_t loadInteger(weft_dtype_t dtype, const std::vector<unsigned char> &b,
                    int64_t i) {
  if (dtype == WEFT_DTYPE_I32) {
    int32_t v;
    std::memcpy(&v, b.data() + i * 4, 4);
    return v;
  }
  int64_t v;
  std::memcpy(&v, b.data() + i * 8, 8);
  return v;
}

/// `exact` combined with `x` by `reduction`, in the reference's type.
template <typename T> T combine(weft_reduction_t reduction, T exact, T x) {
  switch (reduction) {
  case WEFT_REDUCTION_SUM:
    return exact + x;
  case WEFT_REDUCTION_PROD:
    return exact * x;
  case WEFT_REDUCTION_MAX:
    return std::max(exact, x);
  case WEFT_REDUCTION_MIN:
    return std::min(exact, x);
  }
  return exact;
}

//===----------------------------------------------------------------------===//
// Inputs
//===----------------------------------------------------------------------===//

/// What the values are for: products need magnitudes near 1.
enum class Range { Sum, Prod };

/// The input of world rank `rank` for case `caseId`: what every rank
/// regenerates to build references.
std::vector<unsigned char> makeInput(uint64_t seed, int64_t caseId,
                                     int64_t rank, weft_dtype_t dtype,
                                     int64_t count, Range range) {
  std::seed_seq sequence{
      static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32),
      static_cast<uint32_t>(caseId), static_cast<uint32_t>(rank)};
  std::mt19937_64 random(sequence);
  std::vector<unsigned char> out(count * elementSize(dtype));
  for (int64_t i = 0; i < count; ++i) {
    unsigned char *p = out.data() + i * elementSize(dtype);
    uint64_t r = random();
    switch (dtype) {
    case WEFT_DTYPE_F16:
    case WEFT_DTYPE_BF16: {
      // Normal values: |x| in [2^-5, 1) for sums, [0.5, 2) for products.
      int m = mantissaBits(dtype);
      int bias = exponentBias(dtype);
      int e = range == Range::Sum ? bias - 5 + static_cast<int>(r % 5)
                                  : bias - 1 + static_cast<int>(r % 2);
      uint16_t bits = static_cast<uint16_t>(((r >> 8) & 1) << 15 | e << m |
                                            ((r >> 16) & ((1u << m) - 1)));
      std::memcpy(p, &bits, 2);
      break;
    }
    case WEFT_DTYPE_F32:
    case WEFT_DTYPE_F64: {
      double unit = static_cast<double>(r >> 11) * 0x1p-53; // [0, 1)
      double v = range == Range::Sum ? 2 * unit - 1 : 0.5 + 1.5 * unit;
      if (range == Range::Prod && (r & 1))
        v = -v;
      if (dtype == WEFT_DTYPE_F32) {
        float f = static_cast<float>(v);
        std::memcpy(p, &f, 4);
      } else {
        std::memcpy(p, &v, 8);
      }
      break;
    }
    case WEFT_DTYPE_I32: {
      int32_t v = range == Range::Sum ? static_cast<int32_t>(r % 2001) - 1000
                                      : static_cast<int32_t>(r % 7) - 3;
      std::memcpy(p, &v, 4);
      break;
    }
    case WEFT_DTYPE_I64: {
      // Sums beyond 32 bits.
      int64_t v = range == Range::Sum
                      ? static_cast<int64_t>(r % (int64_t(1) << 41)) -
                            (int64_t(1) << 40)
                      : static_cast<int64_t>(r % 7) - 3;
      std::memcpy(p, &v, 8);
      break;
    }
    }
  }
  return out;
}

//===----------------------------------------------------------------------===//
// The test
//===----------------------------------------------------------------------===//

class Tester {
public:
  Tester(const Options &options, weft_communicator_t *comm)
      : options(options), comm(comm), rank(weft_communicator_rank(comm)),
        mesh(options.mesh),
        coordinates(weft_communicator_coordinates(comm),
                    weft_communicator_coordinates(comm) + mesh.size()) {}

  int64_t passed = 0;
  int64_t failed = 0;

  /// Every list of distinct axes, each subset in each order.
  std::vector<std::vector<int64_t>> axisLists() const {
    std::vector<std::vector<int64_t>> lists{{}};
    for (size_t length = 1; length <= mesh.size(); ++length) {
      std::vector<std::vector<int64_t>> next;
      for (const auto &list : lists) {
        if (list.size() != length - 1)
          continue;
        for (int64_t axis = 0; axis < static_cast<int64_t>(mesh.size());
             ++axis) {
          bool used = false;
          for (int64_t a : list)
            used |= a == axis;
          if (used)
            continue;
          auto extended = list;
          extended.push_back(axis);
          next.push_back(extended);
        }
      }
      lists.insert(lists.end(), next.begin(), next.end());
    }
    return lists;
  }

  void runAll() {
    for (const auto &axes : axisLists()) {
      setGroup(axes);
      for (weft_dtype_t dtype : kDtypes)
        for (weft_reduction_t reduction : kReductions)
          allReduce(dtype, reduction, /*inPlace=*/false);
      allReduce(WEFT_DTYPE_F32, WEFT_REDUCTION_SUM, /*inPlace=*/true);
      allReduce(WEFT_DTYPE_BF16, WEFT_REDUCTION_SUM, /*inPlace=*/true);
      for (int64_t dim = 0; dim < 3; ++dim) {
        allGather(WEFT_DTYPE_F32, dim);
        allGather(WEFT_DTYPE_F16, dim);
        reduceScatter(WEFT_DTYPE_F32, WEFT_REDUCTION_SUM, dim);
        reduceScatter(WEFT_DTYPE_F32, WEFT_REDUCTION_MAX, dim);
        reduceScatter(WEFT_DTYPE_I32, WEFT_REDUCTION_SUM, dim);
        reduceScatter(WEFT_DTYPE_F16, WEFT_REDUCTION_SUM, dim);
        reduceScatter(WEFT_DTYPE_BF16, WEFT_REDUCTION_SUM, dim);
        for (int64_t concat = 0; concat < 3; ++concat)
          allToAll(WEFT_DTYPE_F32, dim, concat);
        allToAll(WEFT_DTYPE_I64, dim, 2 - dim);
      }
      for (int64_t root = 0; root < groupSize; ++root) {
        broadcast(root, /*inPlace=*/false);
        broadcast(root, /*inPlace=*/true);
      }
      if (groupSize > 1)
        sendRecv();
      tableAllReduce();
      // Blocks of unequal length for the MPI back end's ring all-reduce.
      allReduce(WEFT_DTYPE_F16, WEFT_REDUCTION_SUM, /*inPlace=*/true,
                kOddCount);
      // Above the ring's default thresholds, in several of its default
      // chunks with a short last one. Over the whole mesh only, as the
      // references are costly.
      if (axes.size() == mesh.size() &&
          std::is_sorted(axes.begin(), axes.end())) {
        allReduce(WEFT_DTYPE_F32, WEFT_REDUCTION_SUM, /*inPlace=*/false,
                  kLargeCount);
        largeReduceScatter(WEFT_DTYPE_F32, WEFT_REDUCTION_SUM);
        largeReduceScatter(WEFT_DTYPE_BF16, WEFT_REDUCTION_SUM);
      }
    }
  }

  /// Fails the case `what` with a message (20 printed at most).
  void fail(const std::string &what, const std::string &message) {
    if (++failed <= 20)
      std::fprintf(stderr, "rank %lld: FAILED %s over axes %s: %s\n",
                   static_cast<long long>(rank), what.c_str(),
                   formatList(axes).c_str(), message.c_str());
  }

private:
  static constexpr weft_dtype_t kDtypes[] = {WEFT_DTYPE_F16, WEFT_DTYPE_BF16,
                                             WEFT_DTYPE_F32, WEFT_DTYPE_F64,
                                             WEFT_DTYPE_I32, WEFT_DTYPE_I64};
  static constexpr weft_reduction_t kReductions[] = {
      WEFT_REDUCTION_SUM, WEFT_REDUCTION_MAX, WEFT_REDUCTION_MIN,
      WEFT_REDUCTION_PROD};
  /// The tensor shape of the layout cases, before scaling one dim by n.
  static constexpr int64_t kShape[3] = {3, 4, 5};
  static constexpr int64_t kCount = 1000;
  /// A prime count: all_reduce's blocks differ in length.
  static constexpr int64_t kOddCount = 10007;
  /// The large cases: all_reduce's buffer (prime, and over 4 MiB as f32)
  /// and each device's reduce_scatter block (over 1 MiB as f32, and no
  /// multiple of it).
  static constexpr int64_t kLargeCount = 1048583;
  static constexpr int64_t kLargeBlock = 300007;

  /// The group of `list` as the mesh dialect numbers it: row-major over
  /// the listed axes in the order listed.
  void setGroup(const std::vector<int64_t> &list) {
    axes = list;
    groupSize = 1;
    for (int64_t a : axes)
      groupSize *= mesh[a];
    members.clear();
    for (int64_t i = 0; i < groupSize; ++i)
      members.push_back(worldRank(groupCoordinates(i)));
    myIndex = 0;
    for (int64_t a : axes)
      myIndex = myIndex * mesh[a] + coordinates[a];
  }

  std::vector<int64_t> groupCoordinates(int64_t index) const {
    std::vector<int64_t> out(axes.size());
    for (size_t k = axes.size(); k-- > 0;) {
      out[k] = index % mesh[axes[k]];
      index /= mesh[axes[k]];
    }
    return out;
  }

  int64_t worldRank(const std::vector<int64_t> &groupCoords) const {
    std::vector<int64_t> device = coordinates;
    for (size_t k = 0; k < axes.size(); ++k)
      device[axes[k]] = groupCoords[k];
    int64_t r = 0;
    for (size_t a = 0; a < mesh.size(); ++a)
      r = r * mesh[a] + device[a];
    return r;
  }

  std::vector<unsigned char> input(int64_t worldRank, weft_dtype_t dtype,
                                   int64_t count,
                                   Range range = Range::Sum) const {
    return makeInput(options.seed, caseId, worldRank, dtype, count, range);
  }

  bool expectOk(const std::string &what, weft_status_t status) {
    if (!status)
      return true;
    fail(what, weft_status_message(status));
    weft_status_free(status);
    return false;
  }

  void compareBytes(const std::string &what,
                    const std::vector<unsigned char> &result,
                    const std::vector<unsigned char> &expected) {
    if (result == expected) {
      ++passed;
      return;
    }
    size_t i = 0;
    while (i < result.size() && result[i] == expected[i])
      ++i;
    fail(what, "first differing byte " + std::to_string(i) + " of " +
                   std::to_string(expected.size()));
  }

  /// Checks `result` against the reduction of the members' inputs, with
  /// the tolerance of the header comment. `index(i)` maps result element
  /// i to the element of the inputs it reduces.
  template <typename Index>
  void compareReduction(const std::string &what, weft_dtype_t dtype,
                        weft_reduction_t reduction,
                        const std::vector<std::vector<unsigned char>> &inputs,
                        const std::vector<unsigned char> &result, int64_t count,
                        Index &&index) {
    const double u = dtype == WEFT_DTYPE_F64 ? 0x1p-53 : 0x1p-24;
    const double k = static_cast<double>(groupSize - 1);
    const double gamma = k * u / (1 - k * u);
    int64_t notCorrectlyRounded = 0;
    for (int64_t i = 0; i < count; ++i) {
      const int64_t j = index(i);
      if (isInteger(dtype)) {
        int64_t exact = loadInteger(dtype, inputs[0], j);
        for (size_t m = 1; m < inputs.size(); ++m) {
          int64_t x = loadInteger(dtype, inputs[m], j);
          exact = combine(reduction, exact, x);
        }
        int64_t got = loadInteger(dtype, result, i);
        if (got != exact)
          return fail(what, "element " + std::to_string(i) + ": " +
                                std::to_string(got) + ", expected " +
                                std::to_string(exact));
        continue;
      }
      // In long double: exact for f32 and 16-bit inputs, and within 2^-11
      // of the tolerance for f64.
      long double exact = load(dtype, inputs[0], j);
      long double magnitude = std::fabs(exact);
      for (size_t m = 1; m < inputs.size(); ++m) {
        long double x = load(dtype, inputs[m], j);
        magnitude += std::fabs(x);
        exact = combine(reduction, exact, x);
      }
      const double got = load(dtype, result, i);
      bool ok;
      std::string allowed;
      if (reduction == WEFT_REDUCTION_MAX || reduction == WEFT_REDUCTION_MIN ||
          groupSize == 1) {
        ok = got == static_cast<double>(exact);
        allowed = "exact";
      } else if (isHalf(dtype)) {
        double rounded = roundHalf(dtype, static_cast<double>(exact));
        double ulp = ulpHalf(dtype, rounded);
        notCorrectlyRounded += got != rounded;
        ok = std::fabs(got - rounded) <= ulp;
        allowed = "1 ulp of " + std::to_string(rounded);
      } else {
        long double bound =
            gamma *
            (reduction == WEFT_REDUCTION_SUM ? magnitude : std::fabs(exact));
        ok = std::fabs(got - exact) <= bound;
        allowed = "|difference| <= " + std::to_string(double(bound));
      }
      if (!ok) {
        char text[160];
        std::snprintf(text, sizeof(text), "element %lld: %.17g, exact %.17g",
                      static_cast<long long>(i), got, double(exact));
        return fail(what, text + (", allowed " + allowed));
      }
    }
    if (notCorrectlyRounded * 100 > count)
      return fail(what, std::to_string(notCorrectlyRounded) + " of " +
                            std::to_string(count) +
                            " elements are not the correctly rounded "
                            "result (at most 1% may be)");
    ++passed;
  }

  void allReduce(weft_dtype_t dtype, weft_reduction_t reduction, bool inPlace,
                 int64_t count = kCount) {
    ++caseId;
    std::string what = std::string("all_reduce ") + weft_dtype_name(dtype) +
                       " " + weft_reduction_name(reduction) +
                       (inPlace ? " in place" : "") +
                       (count != kCount ? " of " + std::to_string(count) : "");
    Range range = reduction == WEFT_REDUCTION_PROD ? Range::Prod : Range::Sum;
    std::vector<std::vector<unsigned char>> inputs;
    for (int64_t member : members)
      inputs.push_back(input(member, dtype, count, range));
    std::vector<unsigned char> send = input(rank, dtype, count, range);
    std::vector<unsigned char> recv(send.size(), 0xAB);
    if (inPlace)
      recv = send;
    if (!expectOk(what,
                  weft_communicator_all_reduce(
                      comm, axes.data(), axes.size(), reduction, dtype, count,
                      inPlace ? recv.data() : send.data(), recv.data())))
      return;
    compareReduction(what, dtype, reduction, inputs, recv, count,
                     [](int64_t i) { return i; });
  }

  /// Row-major strides of `shape`.
  static std::vector<int64_t> strides(const std::vector<int64_t> &shape) {
    std::vector<int64_t> s(shape.size(), 1);
    for (size_t d = shape.size(); d-- > 1;)
      s[d - 1] = s[d] * shape[d];
    return s;
  }

  /// Multi-index of element `i` of `shape`.
  static std::vector<int64_t> unravel(int64_t i,
                                      const std::vector<int64_t> &shape) {
    std::vector<int64_t> index(shape.size());
    for (size_t d = shape.size(); d-- > 0;) {
      index[d] = i % shape[d];
      i /= shape[d];
    }
    return index;
  }

  static int64_t ravel(const std::vector<int64_t> &index,
                       const std::vector<int64_t> &shape) {
    int64_t i = 0;
    for (size_t d = 0; d < shape.size(); ++d)
      i = i * shape[d] + index[d];
    return i;
  }

  static int64_t numElements(const std::vector<int64_t> &shape) {
    int64_t n = 1;
    for (int64_t s : shape)
      n *= s;
    return n;
  }

  void allGather(weft_dtype_t dtype, int64_t dim) {
    ++caseId;
    std::string what = std::string("all_gather ") + weft_dtype_name(dtype) +
                       " gather_dim " + std::to_string(dim);
    std::vector<int64_t> shape(kShape, kShape + 3);
    std::vector<int64_t> out = shape;
    out[dim] *= groupSize;
    const size_t size = elementSize(dtype);
    std::vector<unsigned char> send = input(rank, dtype, numElements(shape));
    std::vector<unsigned char> recv(numElements(out) * size, 0xAB);
    if (!expectOk(what, weft_communicator_all_gather(
                            comm, axes.data(), axes.size(), dtype, 3,
                            shape.data(), dim, send.data(), recv.data())))
      return;
    // Element o of the result is element o' of member o[dim] / shape[dim].
    std::vector<unsigned char> expected(recv.size());
    std::vector<std::vector<unsigned char>> inputs;
    for (int64_t member : members)
      inputs.push_back(input(member, dtype, numElements(shape)));
    for (int64_t o = 0; o < numElements(out); ++o) {
      std::vector<int64_t> index = unravel(o, out);
      int64_t member = index[dim] / shape[dim];
      index[dim] %= shape[dim];
      std::memcpy(expected.data() + o * size,
                  inputs[member].data() + ravel(index, shape) * size, size);
    }
    compareBytes(what, recv, expected);
  }

  void reduceScatter(weft_dtype_t dtype, weft_reduction_t reduction,
                     int64_t dim) {
    ++caseId;
    std::string what = std::string("reduce_scatter ") + weft_dtype_name(dtype) +
                       " " + weft_reduction_name(reduction) + " scatter_dim " +
                       std::to_string(dim);
    std::vector<int64_t> shape(kShape, kShape + 3);
    shape[dim] *= groupSize;
    std::vector<int64_t> out = shape;
    out[dim] /= groupSize;
    std::vector<unsigned char> send = input(rank, dtype, numElements(shape));
    std::vector<unsigned char> recv(numElements(out) * elementSize(dtype),
                                    0xAB);
    if (!expectOk(what, weft_communicator_reduce_scatter(
                            comm, axes.data(), axes.size(), reduction, dtype, 3,
                            shape.data(), dim, send.data(), recv.data())))
      return;
    std::vector<std::vector<unsigned char>> inputs;
    for (int64_t member : members)
      inputs.push_back(input(member, dtype, numElements(shape)));
    // This device keeps slice myIndex along dim.
    compareReduction(what, dtype, reduction, inputs, recv, numElements(out),
                     [&](int64_t o) {
                       std::vector<int64_t> index = unravel(o, out);
                       index[dim] += myIndex * out[dim];
                       return ravel(index, shape);
                     });
  }

  /// A flat reduce_scatter of kLargeBlock elements per device.
  void largeReduceScatter(weft_dtype_t dtype, weft_reduction_t reduction) {
    ++caseId;
    std::string what = std::string("reduce_scatter ") + weft_dtype_name(dtype) +
                       " " + weft_reduction_name(reduction) + " of " +
                       std::to_string(kLargeBlock) + " per device";
    Range range = reduction == WEFT_REDUCTION_PROD ? Range::Prod : Range::Sum;
    const int64_t shape[1] = {kLargeBlock * groupSize};
    std::vector<unsigned char> send = input(rank, dtype, shape[0], range);
    std::vector<unsigned char> recv(kLargeBlock * elementSize(dtype), 0xAB);
    if (!expectOk(what, weft_communicator_reduce_scatter(
                            comm, axes.data(), axes.size(), reduction, dtype, 1,
                            shape, 0, send.data(), recv.data())))
      return;
    std::vector<std::vector<unsigned char>> inputs;
    for (int64_t member : members)
      inputs.push_back(input(member, dtype, shape[0], range));
    compareReduction(what, dtype, reduction, inputs, recv, kLargeBlock,
                     [&](int64_t i) { return myIndex * kLargeBlock + i; });
  }

  void allToAll(weft_dtype_t dtype, int64_t split, int64_t concat) {
    ++caseId;
    std::string what = std::string("all_to_all ") + weft_dtype_name(dtype) +
                       " split_dim " + std::to_string(split) + " concat_dim " +
                       std::to_string(concat);
    std::vector<int64_t> shape(kShape, kShape + 3);
    shape[split] *= groupSize;
    std::vector<int64_t> sliced = shape;
    sliced[split] /= groupSize;
    std::vector<int64_t> out = sliced;
    out[concat] *= groupSize;
    const size_t size = elementSize(dtype);
    std::vector<unsigned char> send = input(rank, dtype, numElements(shape));
    std::vector<unsigned char> recv(numElements(out) * size, 0xAB);
    if (!expectOk(what,
                  weft_communicator_all_to_all(
                      comm, axes.data(), axes.size(), dtype, 3, shape.data(),
                      split, concat, send.data(), recv.data())))
      return;
    // Block j along concat_dim is member j's slice myIndex along split_dim.
    std::vector<std::vector<unsigned char>> inputs;
    for (int64_t member : members)
      inputs.push_back(input(member, dtype, numElements(shape)));
    std::vector<unsigned char> expected(recv.size());
    for (int64_t o = 0; o < numElements(out); ++o) {
      std::vector<int64_t> index = unravel(o, out);
      int64_t member = index[concat] / sliced[concat];
      index[concat] %= sliced[concat];
      index[split] += myIndex * sliced[split];
      std::memcpy(expected.data() + o * size,
                  inputs[member].data() + ravel(index, shape) * size, size);
    }
    compareBytes(what, recv, expected);
  }

  void broadcast(int64_t root, bool inPlace) {
    ++caseId;
    std::string what = "broadcast f32 root index " + std::to_string(root) +
                       (inPlace ? " in place" : "");
    std::vector<int64_t> rootCoords = groupCoordinates(root);
    const bool isRoot = root == myIndex;
    std::vector<unsigned char> send = input(rank, WEFT_DTYPE_F32, kCount);
    std::vector<unsigned char> recv(send.size(), 0xAB);
    if (inPlace && isRoot)
      recv = send;
    // Non-roots pass no send buffer: it is read on the root only.
    const void *source =
        isRoot ? (inPlace ? recv.data() : send.data()) : nullptr;
    if (!expectOk(what, weft_communicator_broadcast(
                            comm, axes.data(), axes.size(), rootCoords.data(),
                            WEFT_DTYPE_F32, kCount, source, recv.data())))
      return;
    compareBytes(what, recv, input(members[root], WEFT_DTYPE_F32, kCount));
  }

  /// A ring: each device sends to the next in its group and receives from
  /// the previous one; even indices send first, so nobody waits on a send
  /// whose receiver is itself sending (group sizes here are even).
  void sendRecv() {
    ++caseId;
    std::string what = "send/recv ring";
    const int64_t next = (myIndex + 1) % groupSize;
    const int64_t previous = (myIndex + groupSize - 1) % groupSize;
    std::vector<int64_t> to = groupCoordinates(next);
    std::vector<int64_t> from = groupCoordinates(previous);
    std::vector<unsigned char> send = input(rank, WEFT_DTYPE_F64, kCount);
    std::vector<unsigned char> recv(send.size(), 0xAB);
    auto doSend = [&] {
      return expectOk(what, weft_communicator_send(
                                comm, axes.data(), axes.size(), to.data(),
                                WEFT_DTYPE_F64, kCount, send.data()));
    };
    auto doRecv = [&] {
      return expectOk(what, weft_communicator_recv(
                                comm, axes.data(), axes.size(), from.data(),
                                WEFT_DTYPE_F64, kCount, recv.data()));
    };
    bool ok = myIndex % 2 == 0 ? doSend() && doRecv() : doRecv() && doSend();
    if (!ok)
      return;
    compareBytes(what, recv, input(members[previous], WEFT_DTYPE_F64, kCount));
  }

  /// The function table compiled code calls, on one sum.
  void tableAllReduce() {
    ++caseId;
    std::string what = "table all_reduce i64 sum";
    weft_collective_table_t table;
    check(weft_collective_table_initialize(comm, &table),
          "weft_collective_table_initialize");
    std::vector<std::vector<unsigned char>> inputs;
    for (int64_t member : members)
      inputs.push_back(input(member, WEFT_DTYPE_I64, kCount));
    std::vector<unsigned char> send = input(rank, WEFT_DTYPE_I64, kCount);
    std::vector<unsigned char> recv(send.size());
    int32_t rc = table.all_reduce(
        table.communicator, axes.data(), static_cast<int64_t>(axes.size()),
        WEFT_REDUCTION_SUM, WEFT_DTYPE_I64, kCount, send.data(), recv.data());
    if (rc != 0 || !expectOk(what, weft_collective_table_take_status(comm)))
      return fail(what, "returned " + std::to_string(rc));
    compareReduction(what, WEFT_DTYPE_I64, WEFT_REDUCTION_SUM, inputs, recv,
                     kCount, [](int64_t i) { return i; });
  }

  const Options &options;
  weft_communicator_t *comm;
  int64_t rank;
  std::vector<int64_t> mesh;
  std::vector<int64_t> coordinates;
  std::vector<int64_t> axes;
  std::vector<int64_t> members;
  int64_t groupSize = 1;
  int64_t myIndex = 0;
  int64_t caseId = 0;
};

/// One rank leaves after a first collective; the others of its group must
/// time out in the second and abort the run, and the other groups must
/// complete theirs.
int deadRank(const Options &options, weft_communicator_t *comm) {
  const int64_t rank = weft_communicator_rank(comm);
  std::vector<int64_t> axes = options.deadAxes;
  if (axes.empty())
    for (size_t a = 0; a < options.mesh.size(); ++a)
      axes.push_back(static_cast<int64_t>(a));
  // The dead rank is in this rank's group when they agree on every axis
  // the collective does not run over.
  bool sameGroup = true;
  int64_t dead = options.deadRank;
  for (size_t a = options.mesh.size(); a-- > 0;) {
    bool listed = false;
    for (int64_t x : axes)
      listed |= x == static_cast<int64_t>(a);
    if (!listed)
      sameGroup &=
          dead % options.mesh[a] == weft_communicator_coordinates(comm)[a];
    dead /= options.mesh[a];
  }
  std::vector<float> values(16, 1.0f);
  check(weft_communicator_all_reduce(
            comm, axes.data(), axes.size(), WEFT_REDUCTION_SUM, WEFT_DTYPE_F32,
            values.size(), values.data(), values.data()),
        "the first all_reduce");
  if (rank == options.deadRank) {
    std::fprintf(stderr,
                 "rank %lld: leaving (%s) without the second "
                 "all_reduce\n",
                 static_cast<long long>(rank), options.deadMode.c_str());
    if (options.deadMode == "hang")
      std::this_thread::sleep_for(std::chrono::hours(1));
    if (options.deadMode == "crash")
      _exit(3);
    weft_communicator_release(comm);
    return 0;
  }
  auto start = std::chrono::steady_clock::now();
  weft_status_t status = weft_communicator_all_reduce(
      comm, axes.data(), axes.size(), WEFT_REDUCTION_SUM, WEFT_DTYPE_F32,
      values.size(), values.data(), values.data());
  double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  if (!status && !sameGroup) {
    std::fprintf(stderr,
                 "rank %lld: the second all_reduce succeeded (rank "
                 "%d is in another group)\n",
                 static_cast<long long>(rank), options.deadRank);
    weft_communicator_release(comm);
    return 0;
  }
  if (!status) {
    std::fprintf(stderr,
                 "rank %lld: the second all_reduce succeeded without "
                 "rank %d\n",
                 static_cast<long long>(rank), options.deadRank);
    return 2;
  }
  std::fprintf(stderr, "rank %lld: the second all_reduce failed after %.1f s\n",
               static_cast<long long>(rank), elapsed);
  weft_communicator_abort(comm, status);
}

/// Times all_reduce, all_gather, reduce_scatter and all_to_all over the
/// whole mesh on f32 buffers of 1 KiB, 4 KiB, ... up to the given size
/// (the full tensor: all_reduce's and reduce_scatter's input, all_gather's
/// output, all_to_all's buffer). Rank 0 prints one JSON object per line
/// with the slowest rank's mean time per call.
int benchmark(const Options &options, weft_communicator_t *comm) {
  std::vector<int64_t> axes(options.mesh.size());
  for (size_t a = 0; a < axes.size(); ++a)
    axes[a] = static_cast<int64_t>(a);
  const int64_t n = weft_communicator_size(comm);
  std::vector<float> send(options.benchmarkMaxBytes / 4 + n, 1.0f);
  std::vector<float> recv(send.size());
  auto sync = [&] {
    float x = 0;
    check(weft_communicator_all_reduce(comm, axes.data(), axes.size(),
                                       WEFT_REDUCTION_SUM, WEFT_DTYPE_F32, 1,
                                       &x, &x),
          "barrier");
  };
  const char *names[] = {"all_reduce", "all_gather", "reduce_scatter",
                         "all_to_all"};
  for (int64_t bytes = 1024; bytes <= options.benchmarkMaxBytes; bytes *= 4) {
    const int64_t count = bytes / 4 / n * n; // Divisible by n.
    for (int c = 0; c < 4; ++c) {
      auto call = [&] {
        weft_status_t status = nullptr;
        const int64_t full[1] = {count}, part[1] = {count / n};
        switch (c) {
        case 0:
          status = weft_communicator_all_reduce(
              comm, axes.data(), axes.size(), WEFT_REDUCTION_SUM,
              WEFT_DTYPE_F32, count, send.data(), recv.data());
          break;
        case 1:
          status = weft_communicator_all_gather(comm, axes.data(), axes.size(),
                                                WEFT_DTYPE_F32, 1, part, 0,
                                                send.data(), recv.data());
          break;
        case 2:
          status = weft_communicator_reduce_scatter(
              comm, axes.data(), axes.size(), WEFT_REDUCTION_SUM,
              WEFT_DTYPE_F32, 1, full, 0, send.data(), recv.data());
          break;
        default:
          status = weft_communicator_all_to_all(comm, axes.data(), axes.size(),
                                                WEFT_DTYPE_F32, 1, full, 0, 0,
                                                send.data(), recv.data());
        }
        check(status, names[c]);
      };
      // Warm up (forms the group, touches the pages), then size the run
      // from one timed call so every rank agrees on the repetitions.
      call();
      sync();
      auto start = std::chrono::steady_clock::now();
      call();
      double once = std::chrono::duration<double>(
                        std::chrono::steady_clock::now() - start)
                        .count();
      check(weft_communicator_all_reduce(comm, axes.data(), axes.size(),
                                         WEFT_REDUCTION_MAX, WEFT_DTYPE_F64, 1,
                                         &once, &once),
            "timing");
      int64_t repeat = std::max<int64_t>(
          3, std::min<int64_t>(
                 2000, static_cast<int64_t>(options.benchmarkSeconds / once)));
      sync();
      start = std::chrono::steady_clock::now();
      for (int64_t r = 0; r < repeat; ++r)
        call();
      double mean = std::chrono::duration<double>(
                        std::chrono::steady_clock::now() - start)
                        .count() /
                    repeat;
      check(weft_communicator_all_reduce(comm, axes.data(), axes.size(),
                                         WEFT_REDUCTION_MAX, WEFT_DTYPE_F64, 1,
                                         &mean, &mean),
            "timing");
      if (weft_communicator_rank(comm) == 0)
        std::printf("{\"collective\": \"%s\", \"ranks\": %lld, "
                    "\"bytes\": %lld, \"seconds\": %.9g, \"repeat\": "
                    "%lld}\n",
                    names[c], static_cast<long long>(n),
                    static_cast<long long>(count * 4), mean,
                    static_cast<long long>(repeat));
      std::fflush(stdout);
    }
  }
  weft_communicator_release(comm);
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  Options options = parseOptions(argc, argv);
  weft_communicator_options_t communicatorOptions;
  weft_communicator_options_initialize(&communicatorOptions);
  communicatorOptions.mesh_rank = static_cast<int64_t>(options.mesh.size());
  communicatorOptions.mesh_shape = options.mesh.data();
  communicatorOptions.timeout_s = options.timeout;
  weft_communicator_t *comm = nullptr;
  check(weft_communicator_create(&communicatorOptions, &comm),
        "weft_communicator_create");
  if (options.deadRank >= 0)
    return deadRank(options, comm);
  if (options.benchmarkMaxBytes > 0)
    return benchmark(options, comm);

  Tester tester(options, comm);
  tester.runAll();

  // Totals over all ranks: plain integer sums, already checked above.
  int64_t totals[2] = {tester.passed, tester.failed};
  std::vector<int64_t> all(options.mesh.size());
  for (size_t a = 0; a < all.size(); ++a)
    all[a] = static_cast<int64_t>(a);
  check(weft_communicator_all_reduce(comm, all.data(), all.size(),
                                     WEFT_REDUCTION_SUM, WEFT_DTYPE_I64, 2,
                                     totals, totals),
        "the totals");
  if (weft_communicator_rank(comm) == 0)
    std::printf("weft-collectives-test: mesh %s on %lld ranks (%s back "
                "end), seed %llu: %lld checks passed, %lld failed\n",
                formatList(options.mesh).c_str(),
                static_cast<long long>(weft_communicator_size(comm)),
                weft_collective_backend_name(weft_communicator_backend(comm)),
                static_cast<unsigned long long>(options.seed),
                static_cast<long long>(totals[0]),
                static_cast<long long>(totals[1]));
  weft_communicator_release(comm);
  return tester.failed ? 1 : 0;
}
