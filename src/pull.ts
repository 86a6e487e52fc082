import { resolveModelSource, type ModelSourceOptions } from './acquire/model-source.js'
import { ConfigError, parseConfig, type Config } from './config.js'

/** Where the model comes from, as the acquire layer takes it, from the config's model flags. */
export function modelSourceOptions(config: Config): ModelSourceOptions {
  return {
    ...(config.model ? { model: config.model } : {}),
    ...(config.hfRepo ? { hfRepo: config.hfRepo } : {}),
    ...(config.hfFile ? { hfFile: config.hfFile } : {}),
    hfRevision: config.hfRevision,
    ...(config.hfToken ? { hfToken: config.hfToken } : {}),
    ...(config.sha256 ? { sha256: config.sha256 } : {}),
    cacheDir: config.cacheDir,
  }
}

const PULL_USAGE = `Usage: oxillama-server pull <url>
       oxillama-server pull --hf-repo <owner/name> --hf-file <file.gguf> [--hf-revision <rev>] [--hf-token <token>]
Downloads the model into the cache (--cache-dir, default <data-dir>/models, --data-dir default ./data) with a
progress bar, prints the file's path and exits; \`oxillama-server start\` with the same source and directories then
finds it there. --sha256 <hex> checks the file.
`

/**
 * `oxillama-server pull`: downloads a model into the cache and prints its path, as `ollama pull` does; resolves with
 * the exit code (2 for a usage error, 1 when the download fails).
 */
export async function pull(args: string[], env: Record<string, string | undefined>): Promise<number> {
  const first = args[0]
  // pull <url> means pull --model <url>
  const argv = first !== undefined && !first.startsWith('-') ? ['--model', first, ...args.slice(1)] : args
  let config: Config
  try {
    config = parseConfig(argv, env)
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    process.stderr.write(`oxillama-server pull: ${error.message}\n`)
    return 2
  }
  if (config.help) {
    process.stdout.write(PULL_USAGE)
    return 0
  }
  if (config.model === undefined && config.hfRepo === undefined) {
    process.stderr.write(`oxillama-server pull: no model given\n${PULL_USAGE}`)
    return 2
  }
  if (config.model !== undefined && !/^https?:\/\//i.test(config.model)) {
    process.stderr.write(`oxillama-server pull: '${config.model}' is a local file: only a URL or --hf-repo is pulled\n`)
    return 2
  }
  const stop = new AbortController()
  const onSignal = () => stop.abort(new Error('Cannot finish the download: interrupted'))
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  try {
    const file = await resolveModelSource({
      ...modelSourceOptions(config),
      log: (line) => process.stderr.write(`${line}\n`),
      progressStream: process.stderr,
      signal: stop.signal,
    })
    process.stdout.write(`${file}\n`)
    return 0
  } catch (error) {
    process.stderr.write(`oxillama-server pull: ${error instanceof Error ? error.message : String(error)}\n`)
    return 1
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
}
