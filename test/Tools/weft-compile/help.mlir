// weft-compile --help lists the compiler's own options.
// RUN: weft-compile --help | FileCheck %s

// CHECK: USAGE: weft-compile [options] <input .mlir>
// CHECK: weft-compile options:
// CHECK-DAG: {{^}}  -o <path>{{ +}}- output artifact (.weft)
// CHECK-DAG: {{^}}  --target=<string>{{ +}}- cpu
// CHECK-DAG: {{^}}  --target-cpu=<string>{{ +}}- CPU to generate code for
