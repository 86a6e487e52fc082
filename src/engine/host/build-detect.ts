import type { EngineBuild } from './protocol.js'

/** Which builds this runtime can run, found by feature tests rather than version numbers. */
export function detectEngineBuild(): { build: EngineBuild; reason: string } {
  const wasm = WebAssembly as unknown as { Suspending?: unknown }
  if (typeof wasm.Suspending !== 'function') return { build: 'compat', reason: 'no JSPI (WebAssembly.Suspending)' }
  try {
    // the main build shares an i64-addressed memory with its pthreads
    const Memory = WebAssembly.Memory as unknown as new (d: object) => WebAssembly.Memory
    new Memory({ address: 'i64', initial: 1n, maximum: 2n, shared: true })
  } catch {
    return { build: 'compat', reason: 'no shared memory64' }
  }
  return { build: 'main', reason: 'JSPI and memory64 available' }
}

/** Resolves --engine-build (auto|main|compat) to a build, refusing main where the runtime cannot run it. */
export function chooseEngineBuild(requested: EngineBuild | 'auto'): { build: EngineBuild; reason: string } {
  const detected = detectEngineBuild()
  if (requested === 'auto') return detected
  if (requested === 'main' && detected.build !== 'main') {
    throw new Error(
      `Cannot use the main engine build: this runtime has ${detected.reason}; use --engine-build compat or Node 24+`,
    )
  }
  return { build: requested, reason: 'forced by --engine-build' }
}
