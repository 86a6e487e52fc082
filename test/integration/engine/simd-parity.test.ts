// The simd build runs our tiled SIMD128 GEMM/GEMV on repacked Q8_0/Q4_0 and Q4_K/Q5_K/Q6_K weights (plus ggml's wasm
// SIMD kernels), the relaxed build the same with relaxed-SIMD kernels for Q4_0/Q4_K/Q6_K (on Node 24, and on this Node:
// Node 20 runs it with V8's relaxed-SIMD flag turned on, its baseline compiler's code first),
// the compat build ggml's generic scalar per-row dots: on quantized weights (which stories260K, all F32, does not have)
// their greedy text must agree, and their logprobs up to summation order.
import { execFile } from 'node:child_process'
import fs from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import t, { type Test } from 'tap'
import { writeSynthLlama, type SynthType } from '../../../bench/synth-llama.js'
import { ensureNode24 } from '../../../scripts/node24.js'
import { greedy, GREEDY_TOKENS, type Greedy } from '../../helpers/greedy.js'
import { modelPath, REPO_ROOT } from '../../helpers/paths.js'

// Not bit-identical: the SIMD kernels sum blocks in another order and quantize the activations to Q8 with their own
// rounding (truncation, as ggml's wasm quantize_row_q8_0), so logits move by float32 noise that grows through the
// layers (measured: 1.6e-2 at most on these models). Greedy texts therefore agree token for token until a near tie,
// where either pick is right. The integer dot products are exact in every kernel, and the relaxed kernels run the
// simd ones' float steps in the same order, so relaxed and simd agree bit for bit.
const LOGPROB_TOLERANCE = 5e-2
// Seed 2 makes both models print text (other seeds pick byte tokens that form invalid UTF-8, shown as U+FFFD and
// carrying no logprobs, which would leave nothing to compare)
const SEED = 2
// A tiny random-weight llama on stories260K's 512-token vocab: every matmul goes through the quantized kernels (rows of
// 256 and 512 weights, so the K-quants apply; the _M mixes put the output and layer 1's attn_v/ffn_down in Q6_K)
const SHAPE = { n_embd: 256, n_layer: 2, n_ff: 512, n_head: 4, n_head_kv: 2 }
const run = promisify(execFile)

const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'oxillama-simd-parity-'))
t.teardown(() => fs.rm(dir, { recursive: true, force: true }))

/** The relaxed build on Node 24 from npm, where relaxed SIMD is on by default. */
async function greedyRelaxed(model: string): Promise<Greedy> {
  const node24 = await ensureNode24()
  const { stdout } = await run(node24, ['--import', 'tsx', 'test/helpers/greedy-child.ts', model, 'relaxed'], {
    cwd: REPO_ROOT,
    timeout: 120_000,
  })
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as Greedy
}

function compare(t: Test, a: Greedy, b: Greedy): void {
  t.equal(a.tokens.length, GREEDY_TOKENS, `${GREEDY_TOKENS} tokens generated, each with its logprob`)
  t.notMatch(a.tokens.join(''), /\uFFFD/, 'printable text')
  let same = 0
  while (same < GREEDY_TOKENS && a.tokens[same] === b.tokens[same]) same++
  const diffs = a.logprobs.slice(0, same).map((lp, i) => Math.abs(lp - (b.logprobs[i] as number)))
  t.ok(
    Math.max(...diffs) <= LOGPROB_TOLERANCE,
    `${a.build} vs ${b.build}: ${same} same tokens, logprobs differ by ${Math.max(...diffs).toFixed(4)} at most`,
  )
  if (same < GREEDY_TOKENS) {
    // each build's pick has the top logprob; if those agree too, the two picks were within 2x the tolerance
    // in either build (top-2 logprobs would show it directly, but a byte token among them loses the whole result)
    const gap = Math.abs((a.logprobs[same] as number) - (b.logprobs[same] as number))
    t.ok(gap <= LOGPROB_TOLERANCE, `token ${same + 1} differs at a near tie (top logprobs ${gap.toFixed(4)} apart)`)
  }
}

for (const type of ['q8_0', 'q4_0', 'q4_k_m', 'q5_k_m'] as SynthType[]) {
  t.test(`${type}: simd, relaxed and compat pick the same greedy tokens up to a near tie`, async (t) => {
    const model = path.join(dir, `tiny-${type}.gguf`)
    const vocabFrom = modelPath('stories260K.gguf')
    await writeSynthLlama(model, { shape: SHAPE, type, seed: SEED, vocabFrom, name: `tiny-${type}` })
    const simd = await greedy(model, 'simd')
    const compat = await greedy(model, 'compat')
    const relaxed = await greedyRelaxed(model)
    t.equal(relaxed.build, 'relaxed')
    const relaxedHere = await greedy(model, 'relaxed')
    t.equal(relaxedHere.build, 'relaxed')
    t.same(
      relaxedHere.logprobs,
      relaxed.logprobs,
      `relaxed on Node ${process.versions.node} and on Node 24: the same bits`,
    )
    compare(t, simd, compat)
    compare(t, relaxed, compat)
    // the relaxed kernels compute the same integer sums and run the same float steps: the same bits
    t.same(relaxed.tokens, simd.tokens, 'relaxed and simd: the same tokens')
    t.same(relaxed.logprobs, simd.logprobs, 'relaxed and simd: the same logprobs, bit for bit')
  })
}
