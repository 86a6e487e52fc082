// Runs the kernel harness built by bench/kernels/build.sh: node bench/kernels/run.cjs [bench [seconds [gemm|gemv|all [type]]]]
// (emscripten 3.1.6's loader prefers fetch() for the .wasm path, which Node's fetch refuses: hide it)
globalThis.fetch = undefined
process.argv.splice(2, 0, require('node:path').join(__dirname, 'out', 'kquant.cjs'))
process.argv.splice(1, 1)
require(process.argv[1])
