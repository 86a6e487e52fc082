import v8 from 'node:v8'
import { mayTuneV8Flag } from './v8-flags.js'

/**
 * V8's dynamic tiering budget (bytes of wasm executed, roughly) before a function is recompiled by TurboFan, in
 * place of V8's default 1,800,000. At the default, code that runs once at startup is optimised for nothing:
 * the engine's static constructors (one 354 KB function) and the op dispatcher of ggml's ops.cpp (404 KB, made
 * bigger by Asyncify) each cost seconds of background CPU and up to ~200 MiB of compiler memory while the model
 * loads, and PGlite's wasm does the same on a smaller scale. At this budget hot kernels still reach TurboFan after
 * a few hundred milliseconds of generation (bench/startup.ts, README "Startup and footprint").
 */
export const WASM_TIERING_BUDGET = 1_000_000_000

/**
 * Raises V8's wasm tiering budget for this process (Node only: Deno and Bun are left as they are), unless the user
 * set it with a Node flag. Call it before any WebAssembly is instantiated; returns whether it changed anything.
 */
export function raiseWasmTieringBudget(): boolean {
  if (!mayTuneV8Flag('wasm-tiering-budget')) return false
  v8.setFlagsFromString(`--wasm-tiering-budget=${WASM_TIERING_BUDGET}`)
  return true
}
