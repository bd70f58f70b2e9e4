// A missing input file is an error with the file's name, not a crash.
// RUN: not weft-compile %t.does-not-exist.mlir -o %t.weft 2>&1 | FileCheck %s
// CHECK: weft-compile: error: cannot open input file '{{.*}}does-not-exist.mlir'
