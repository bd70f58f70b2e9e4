// A missing input file is an error with the file's name, not a crash.
// RUN: not weft-opt %t.does-not-exist.mlir 2>&1 | FileCheck %s
// CHECK: cannot open input file {{.*}}does-not-exist.mlir
