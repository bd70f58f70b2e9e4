// weft-opt registers Weft's dialects next to every upstream one.
// RUN: weft-opt --help | FileCheck %s
// RUN: weft-opt --show-dialects | FileCheck %s --check-prefix=DIALECTS

// CHECK: Available Dialects:{{.*}} mesh,{{.*}} xf
// DIALECTS: mesh
// DIALECTS: shard
// DIALECTS: xf
