//===- weft-runtime-test-artifact.cpp - Files for the weft-run tests ------===//
//
// Writes the files the lit tests of weft-run use into one directory:
//   test.weft                 the test artifact (functions add, scale,
//                             embed, count; see TestHostLib.c)
//   weights.safetensors       model.scale = 2, embed.table row i = [i, -i]
//   wrong.safetensors         model.scale as f32 [2]; no embed.table
//   truncated.safetensors     weights.safetensors without its last byte
//   a.npy                     2x3xf32 [[1 2 3] [4 5 6]]
//   a_plus_1.npy              2x3xf32 [[2 3 4] [5 6 7]]
//   ids.npy                   1x4xi32 [[3 0 7 1]]
//   bad_ids.npy               1x4xi32 [[3 0 9 1]]
//
//===----------------------------------------------------------------------===//

#include "RuntimeTestSupport.h"

#include <cerrno>
#include <cstdio>
#include <sys/stat.h>

using namespace weft::test;

namespace {

bool writeNpy(const std::string &path, const char *literal) {
  weft_tensor_t *t = nullptr;
  std::string message = takeMessage(weft_tensor_parse(literal, &t));
  if (message.empty())
    message = takeMessage(weft_tensor_write_npy(t, path.c_str()));
  weft_tensor_free(t);
  if (!message.empty())
    std::fprintf(stderr, "weft-runtime-test-artifact: %s\n", message.c_str());
  return message.empty();
}

} // namespace

int main(int argc, char **argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: weft-runtime-test-artifact DIR\n");
    return 2;
  }
  std::string dir = argv[1];
  if (mkdir(dir.c_str(), 0777) != 0 && errno != EEXIST) {
    std::perror(dir.c_str());
    return 1;
  }
  writeTestArtifact(dir + "/test.weft");
  std::string weights = testWeights();
  writeFile(dir + "/weights.safetensors", weights);
  writeFile(dir + "/truncated.safetensors",
            weights.substr(0, weights.size() - 1));
  writeFile(dir + "/wrong.safetensors",
            buildSafetensors({{"model.scale", "F32", {2},
                               bytesOf(std::vector<float>{2, 2})}}));
  bool ok = writeNpy(dir + "/a.npy", "2x3xf32=[1 2 3][4 5 6]") &&
            writeNpy(dir + "/a_plus_1.npy", "2x3xf32=[2 3 4][5 6 7]") &&
            writeNpy(dir + "/ids.npy", "1x4xi32=[[3 0 7 1]]") &&
            writeNpy(dir + "/bad_ids.npy", "1x4xi32=[[3 0 9 1]]");
  return ok ? 0 : 1;
}
