/** Messages between the engine host and wllama's worker script (llama-cpp.js), and the glue actions we use. */

/** A call the host sends to the worker; the worker answers with the same callbackId. */
export type WorkerCall =
  | { verb: 'module.init'; args: [pthreadScript: string, useAsyncFile: boolean]; callbackId: number }
  | {
      verb: 'fs.alloc'
      // path: the file on disk, for builds that read it synchronously in the worker (see scripts/prepare-wasm.mjs)
      args: [name: string, size: number, allocBuffer: boolean, path: string]
      callbackId: number
    }
  | { verb: 'wllama.start'; args: []; callbackId: number }
  | { verb: 'wllama.action'; args: [action: GlueAction, message: Uint8Array]; callbackId: number }
  | { verb: 'wllama.exit'; args: []; callbackId: number }

/** The answer to a file read the wasm asked for: the bytes, or how many were read straight into the wasm heap. */
export interface FileReadResponse {
  verb: 'fs.read_res'
  args: [data: ArrayBuffer | number]
}

/** Everything the worker posts to the host. */
export type WorkerEvent =
  | { verb: `console.${'log' | 'debug' | 'info' | 'warn' | 'error'}`; args: unknown[] }
  | { verb: 'signal.abort'; args: [kind: 'abort' | 'exception', message: string, stack: string, error: unknown] }
  | {
      verb: 'fs.read_req'
      // the destination and the memory come from scripts/prepare-wasm.mjs's patch (absent where it cannot be posted)
      args: [name: string, offset: number, size: number, outPtr?: number, memory?: WebAssembly.Memory]
    }
  // a synchronous read done by the worker itself (our builds without Asyncify): how many bytes it read
  | { verb: 'fs.read_done'; args: [bytes: number] }
  | { verb?: undefined; callbackId: number; result?: unknown; err?: string }

/** The wllama_action names this host calls. */
export type GlueAction = 'load' | 'completion' | 'embedding' | 'get_result' | 'cancel'

/**
 * The engine build: simd is ours (wasm/simd: wasm32 with ggml's wasm SIMD kernels and our tiled SIMD128 GEMM,
 * scripts/build-wasm.mjs; without Asyncify since its file reads are synchronous, with it before); relaxed is the same
 * with relaxed-SIMD kernels (wasm/relaxed, only where the runtime computes the relaxed dot exactly); main is wllama's
 * JSPI + memory64 build; compat is wllama's wasm32 + Asyncify build (generic scalar kernels).
 */
export type EngineBuild = 'simd' | 'relaxed' | 'main' | 'compat'
