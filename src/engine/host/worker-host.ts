import fsp from 'node:fs/promises'
import { Worker } from 'node:worker_threads'
import { findEngineAssets } from './assets.js'
import { EngineError } from '../errors.js'
import { glueDeserialize, glueSerialize, type GlueMessage } from './glue.js'
import type { EngineBuild, FileReadResponse, GlueAction, WorkerCall, WorkerEvent } from './protocol.js'

/** The logger shape the engine writes to. */
export interface EngineLogger {
  debug(msg: string, fields?: object): void
  info(msg: string, fields?: object): void
  warn(msg: string, fields?: object): void
  error(msg: string, fields?: object): void
}

interface Pending {
  resolve(value: unknown): void
  reject(error: Error): void
}

/**
 * One wllama engine worker: speaks the worker protocol of llama-cpp.js, answers the wasm's file reads, and reports its
 * death once. It knows nothing of requests or slots. The build decides how it reads model files: wllama's builds (and
 * ours made with Asyncify) ask the host for each byte range (fs.read_req, answered asynchronously from a file handle
 * opened at the first request); ours without Asyncify read the file synchronously in the worker and only report the
 * byte count (fs.read_done).
 */
export class WorkerHost {
  readonly build: EngineBuild
  readonly threads: number
  #logger: EngineLogger
  #worker: Worker | null = null
  #pending = new Map<number, Pending>()
  #wasmOrder: number[] = [] // wllama.* calls run one at a time in the worker, in this order
  #nextId = 1
  #paths = new Map<string, string>() // engine file name -> path on disk
  #files = new Map<string, Promise<fsp.FileHandle>>() // opened at the first async read
  #dead: EngineError | null = null
  #lastNativeError = ''
  #onDeath: (error: EngineError) => void
  #onRead: ((bytesSoFar: number) => void) | undefined
  #bytesRead = 0
  #copyingReads = false // warned once: the model's size then passes through a JS buffer per read

  constructor(options: {
    build: EngineBuild
    threads: number
    logger: EngineLogger
    onDeath?: (error: EngineError) => void
    onRead?: ((bytesSoFar: number) => void) | undefined
  }) {
    this.build = options.build
    this.threads = options.threads
    this.#logger = options.logger
    this.#onDeath = options.onDeath ?? (() => {})
    this.#onRead = options.onRead
  }

  /** The error that killed this worker, or null while it runs. */
  get dead(): EngineError | null {
    return this.#dead
  }

  /** Starts the worker and the wasm runtime. */
  async start(): Promise<void> {
    const assets = findEngineAssets(this.build)
    // ggml computes on the calling thread plus threads - 1 pool threads (prepare-wasm.mjs lets wllama's worker start
    // threads for a pool of 1)
    const runOptions = {
      pathConfig: { 'wllama.wasm': assets.wasm },
      nbThread: this.threads - 1,
      compat: this.build !== 'main', // wasm32 (number pointers) for simd and compat
    }
    const worker = new Worker(assets.engineScript, { workerData: { runOptions }, stdout: false, stderr: false })
    this.#worker = worker
    worker.on('message', (event: WorkerEvent) => this.#onEvent(event))
    worker.on('error', (error) => this.#die(new EngineError('crashed', `Engine worker failed: ${error.message}`)))
    worker.on('exit', (code) => this.#die(new EngineError('crashed', `Engine worker exited with code ${code}`)))
    await this.#call({ verb: 'module.init', args: [assets.pthreadScript, true] })
    const started = JSON.parse(String(await this.#call({ verb: 'wllama.start', args: [] }))) as { success?: boolean }
    if (!started.success) throw new EngineError('load_failed', 'The engine failed to start (wllama_start)')
  }

  /** Registers model files for the wasm's reads; returns their names inside the engine's file system. */
  async openModelFiles(paths: string[]): Promise<string[]> {
    const names: string[] = []
    for (const [i, file] of paths.entries()) {
      const name = `model-${String(i + 1).padStart(5, '0')}-of-${String(paths.length).padStart(5, '0')}.gguf`
      const { size } = await fsp.stat(file)
      this.#paths.set(name, file)
      // allocBuffer false: the wasm reads byte ranges on demand; the file is never held whole in JS memory
      await this.#call({ verb: 'fs.alloc', args: [name, size, false, file] })
      names.push(`models/${name}`)
    }
    return names
  }

  /** Calls wllama_action with a glue message and decodes the answer. */
  async action(action: GlueAction, message: GlueMessage): Promise<GlueMessage> {
    const bytes = glueSerialize(message)
    const out = await this.#call({ verb: 'wllama.action', args: [action, bytes] })
    return glueDeserialize(out as Uint8Array)
  }

  /** Terminates the worker and its pthreads; in-flight calls fail with `closed`. */
  async close(): Promise<void> {
    this.#die(new EngineError('closed', 'The engine was shut down'))
    await this.#worker?.terminate()
    this.#worker = null
  }

  /** Fault injection: terminates the worker abruptly, as a crash would (in-flight calls fail with `crashed`). */
  async kill(): Promise<void> {
    await this.#worker?.terminate()
  }

  #call(call: Omit<WorkerCall, 'callbackId'>): Promise<unknown> {
    if (this.#dead) return Promise.reject(this.#dead)
    const worker = this.#worker
    if (!worker) return Promise.reject(new EngineError('closed', 'The engine is not started'))
    const callbackId = this.#nextId++
    return new Promise((resolve, reject) => {
      this.#pending.set(callbackId, { resolve, reject })
      if (call.verb.startsWith('wllama.')) this.#wasmOrder.push(callbackId)
      worker.postMessage({ ...call, callbackId })
    })
  }

  #onEvent(event: WorkerEvent): void {
    if (!event) return
    switch (event.verb) {
      case 'console.log':
      case 'console.debug':
      case 'console.info':
      case 'console.warn':
      case 'console.error': {
        const line = event.args.map(String).join(' ').trimEnd()
        if (event.verb === 'console.error') this.#lastNativeError = line
        this.#logger.debug(`engine: ${line}`)
        return
      }
      case 'signal.abort':
        return this.#onAbort(event.args[0], event.args[1])
      case 'fs.read_req': {
        const [name, offset, size, outPtr, memory] = event.args
        this.#readFile(name, offset, size, heapView(memory, outPtr, size)).catch((error: Error) =>
          this.#die(new EngineError('crashed', `Engine file read failed: ${error.message}`)),
        )
        return
      }
      case 'fs.read_done':
        return this.#countRead(event.args[0])
      case undefined:
        return this.#settle(event.callbackId, event.err, event.result)
      default: {
        const unexpected: never = event
        this.#logger.debug('engine: unexpected worker message', { message: unexpected })
      }
    }
  }

  #settle(callbackId: number, err: string | undefined, result: unknown): void {
    const at = this.#wasmOrder.indexOf(callbackId)
    if (at >= 0) this.#wasmOrder.splice(at, 1)
    const pending = this.#pending.get(callbackId)
    if (!pending) return
    this.#pending.delete(callbackId)
    if (err) pending.reject(new EngineError('rejected', `The engine rejected the request: ${err}`))
    else pending.resolve(result)
  }

  #onAbort(kind: 'abort' | 'exception', message: string): void {
    if (kind === 'exception' && this.#wasmOrder.length > 0) {
      // A C++ exception for a bad request makes wllama_action return NULL and the worker fails reading its output.
      // The wasm is intact; only the oldest in-flight wasm call (they run one at a time) failed.
      const callbackId = this.#wasmOrder.shift() as number
      const pending = this.#pending.get(callbackId)
      this.#pending.delete(callbackId)
      const reason = this.#lastNativeError || message
      this.#lastNativeError = ''
      pending?.reject(new EngineError('rejected', `The engine rejected the request: ${reason}`))
      return
    }
    this.#die(new EngineError('crashed', `The engine aborted: ${message}`))
  }

  async #readFile(name: string, offset: number, size: number, into: Uint8Array | null): Promise<void> {
    const handle = await this.#file(name)
    let bytesRead: number
    if (into) {
      // straight into the wasm heap, where the engine waits for it (see heapView)
      ;({ bytesRead } = await handle.read(into, 0, size, offset))
      this.#worker?.postMessage({ verb: 'fs.read_res', args: [bytesRead] } satisfies FileReadResponse)
    } else {
      if (!this.#copyingReads) {
        this.#copyingReads = true
        this.#logger.warn('Engine file reads go through a copy: the worker did not send its shared memory')
      }
      const buffer = new Uint8Array(size)
      ;({ bytesRead } = await handle.read(buffer, 0, size, offset))
      const data = buffer.buffer.slice(0, bytesRead)
      this.#worker?.postMessage({ verb: 'fs.read_res', args: [data] } satisfies FileReadResponse, [data])
    }
    this.#countRead(bytesRead)
  }

  #file(name: string): Promise<fsp.FileHandle> {
    let handle = this.#files.get(name)
    if (!handle) {
      const file = this.#paths.get(name)
      if (file === undefined) return Promise.reject(new Error(`unknown file ${name}`))
      handle = fsp.open(file, 'r')
      this.#files.set(name, handle)
    }
    return handle
  }

  #countRead(bytes: number): void {
    this.#bytesRead += bytes
    this.#onRead?.(this.#bytesRead)
  }

  #die(error: EngineError): void {
    if (this.#dead) return
    this.#dead = error
    for (const pending of this.#pending.values()) pending.reject(error)
    this.#pending.clear()
    this.#wasmOrder = []
    for (const handle of this.#files.values()) handle.then((h) => h.close()).catch(() => {})
    this.#files.clear()
    if (error.code !== 'closed') {
      // an aborted wasm leaves its thread (and pthreads) alive: end them so nothing lingers
      this.#worker?.terminate().catch(() => {})
      this.#onDeath(error)
    }
  }
}

/**
 * The wasm heap's bytes a read must fill, when the worker sent its shared memory and the destination; null to answer
 * with a copy instead. The wasm is suspended until the answer arrives, so nothing else touches these bytes meanwhile.
 */
function heapView(memory: unknown, outPtr: number | undefined, size: number): Uint8Array | null {
  if (!(memory instanceof WebAssembly.Memory) || typeof outPtr !== 'number') return null
  const heap: unknown = memory.buffer // a SharedArrayBuffer for the engine's shared memory, whatever lib.d.ts says
  if (!(heap instanceof SharedArrayBuffer) || outPtr + size > heap.byteLength) return null
  return new Uint8Array(heap, outPtr, size)
}
