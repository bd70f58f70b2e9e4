# -*- Python -*-
# lit configuration of Weft's regression tests.

import os

import lit.formats
from lit.llvm import llvm_config

config.name = "Weft"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.weft_obj_root, "test")
# Inputs/ directories hold files other tests read, not tests.
config.excludes = ["CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py", "Unit",
                   "Inputs"]

config.substitutions.append(("%weft_src_root", config.weft_src_root))
# Upstream MLIR's mlir-opt, for the tests comparing Weft with upstream
# (test/Sharding/upstream-*.mlir).
config.substitutions.append(
    ("%mlir_opt", os.path.join(config.llvm_tools_dir, "mlir-opt")))

llvm_config.with_system_environment(["HOME", "INCLUDE", "LIB", "TMP", "TEMP"])
llvm_config.use_default_substitutions()

# Our tools first, then LLVM's FileCheck, not, count.
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.with_environment("PATH", config.weft_tools_dir, append_path=True)
llvm_config.add_tool_substitutions(
    ["weft-opt", "weft-compile", "weft-lsp-server", "weft-run",
     "weft-runtime-test-artifact"],
    [config.weft_tools_dir])

# The Python that has Debian's packages (numpy, pytest), for helper scripts.
config.substitutions.append(("%python", config.python_executable))

# ptxas (CUDA toolkit) assembles GPU kernels; tests that need it say
# REQUIRES: ptxas. The toolkit Weft was configured with, else PATH.
import shutil
ptxas = os.path.join(config.weft_cuda_path, "bin", "ptxas")
if os.access(ptxas, os.X_OK) or shutil.which("ptxas"):
    config.available_features.add("ptxas")

# cuobjdump disassembles cubins to SASS; tests that check instructions use
# %if cuobjdump. It is looked for where benchmarks/gpu/sass.py looks (CUDA
# 13's toolkit has none; ./build.sh test installs Debian's).
import sys
sys.path.insert(0, os.path.join(config.weft_src_root, "benchmarks", "gpu"))
import sass
cuobjdump = sass.find_cuobjdump(config.weft_cuda_path)
if cuobjdump:
    config.available_features.add("cuobjdump")
    config.environment["WEFT_CUOBJDUMP"] = cuobjdump
