// Runs a harness built by bench/kernels/build.sh: node bench/kernels/run.cjs [bench [seconds [gemm|gemv|all [type]]]]
// (the matrix kernels) or node bench/kernels/run.cjs attention [bench]
// (emscripten 3.1.6's loader prefers fetch() for the .wasm path, which Node's fetch refuses: hide it)
globalThis.fetch = undefined
const harness = process.argv[2] === 'attention' ? process.argv.splice(2, 1)[0] : 'kquant'
process.argv.splice(2, 0, require('node:path').join(__dirname, 'out', `${harness}.cjs`))
process.argv.splice(1, 1)
require(process.argv[1])
