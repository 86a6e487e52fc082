// Child process of the wasm side of bench/engine.ts: NOT IMPLEMENTED YET (the engine work fills it in).
// Contract, same as bench/native-run.ts:
//   <node> --import tsx bench/wasm-run.ts --build main|compat --model FILE --threads N --reps 3 --warmup 1 --gen 128 --ptok 100
// Node 24 for main, Node 20 for compat. It loads the model, cuts bench/prompt.txt with fitPrompt(ptok, countTokens)
// (BOS included), runs `warmup` + `reps` times: prompt processing, then `gen` greedy tokens (ignore EOS), and prints
// one BenchResult JSON line (bench/bench-result.ts) with engine 'wasm-main' | 'wasm-compat', medians from
// medianOfRuns(), load_ms from engine start to model ready, peak_rss_mib = process.resourceUsage().maxRSS / 1024.
console.error('bench/wasm-run.ts: not implemented yet')
process.exitCode = 1
