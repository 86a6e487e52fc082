// Runs a harness built by bench/kernels/build.sh: node bench/kernels/run.cjs [bench [seconds [gemm|gemv|all [type]]]]
// (the matrix kernels), node bench/kernels/run.cjs attention [bench], or node bench/kernels/run.cjs relaxed [bench ...]
// (the matrix kernels of the relaxed build: build.sh WORK relaxed, Node 22+)
// (emscripten 3.1.6's loader prefers fetch() for the .wasm path, which Node's fetch refuses: hide it)
globalThis.fetch = undefined
const variant = process.argv[2] === 'attention' || process.argv[2] === 'relaxed' ? process.argv.splice(2, 1)[0] : ''
const harness = variant === 'attention' ? 'attention' : 'kquant'
const dir = variant === 'relaxed' ? 'out-relaxed' : 'out'
process.argv.splice(2, 0, require('node:path').join(__dirname, dir, `${harness}.cjs`))
process.argv.splice(1, 1)
require(process.argv[1])
