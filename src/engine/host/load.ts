import { EngineError } from '../errors.js'
import type { WorkerHost } from './worker-host.js'

/** Load-time engine settings (llama-server flag names in comments). */
export interface LoadSettings {
  ctxSize: number // --ctx-size: total KV cells shared by all slots (kv_unified)
  parallel: number // --parallel: slots
  batchSize: number // --batch-size: tokens per decode step
  chatTemplate?: string | undefined // a built-in template name (chatml, llama3, ...) or Jinja source
  jinja?: boolean | undefined
  poolingType?: string | undefined // mean unless the model says otherwise; a test hook name injects an abort
}

/** What the engine reports about the loaded model. */
export interface LoadedModel {
  nCtx: number
  nCtxTrain: number
  nVocab: number
  nEmbd: number
  nLayer: number
  nBatch: number
  tokenBos: number
  tokenEos: number
  eogTokens: number[]
  addBos: boolean
  metadata: Record<string, string>
  hasImageInput: boolean
}

/** Loads model files (already opened on the host) into the engine. */
export async function loadModel(host: WorkerHost, paths: string[], settings: LoadSettings): Promise<LoadedModel> {
  const modelPaths = await host.openModelFiles(paths)
  const res = await host
    .action('load', {
      _name: 'load_req',
      model_paths: modelPaths,
      n_ctx_auto: false,
      use_mmap: false,
      use_mlock: false,
      n_gpu_layers: 0,
      n_ctx: settings.ctxSize,
      n_threads: host.threads,
      log_level: 4, // everything: native lines go to our logger at debug level
      n_parallel: settings.parallel,
      n_batch: settings.batchSize,
      n_ubatch: settings.batchSize,
      kv_unified: true,
      cont_batching: true,
      // embeddings: one engine serves both; llama.cpp switches the context to embeddings per task
      pooling_type: settings.poolingType ?? 'mean',
      chat_template: settings.chatTemplate,
      jinja: settings.jinja ?? true,
      // thinking stays in the text (llama.cpp's default would move it to a `reasoning_content` we do not read);
      // the Responses reply splits it into a reasoning item (generation/reasoning.ts)
      reasoning_format: 'none',
      warmup: false,
    })
    .catch((error: Error) => {
      throw new EngineError('load_failed', `The engine could not load the model: ${error.message}`)
    })
  if (!res.success) throw new EngineError('load_failed', 'The engine could not load the model')
  const keys = res.metadata_key as string[]
  const vals = res.metadata_val as string[]
  return {
    nCtx: res.n_ctx as number,
    nCtxTrain: res.n_ctx_train as number,
    nVocab: res.n_vocab as number,
    nEmbd: res.n_embd as number,
    nLayer: res.n_layer as number,
    nBatch: res.n_batch as number,
    tokenBos: res.token_bos as number,
    tokenEos: res.token_eos as number,
    eogTokens: res.list_tokens_eog as number[],
    addBos: res.add_bos_token as boolean,
    metadata: Object.fromEntries(keys.map((k, i) => [k, vals[i] ?? ''])),
    hasImageInput: Boolean(res.has_image_input),
  }
}
