/** One command-line flag: its long name, short forms, value placeholder (none for a switch) and help line. */
export interface FlagSpec {
  name: string
  short?: string[]
  /** Placeholder shown in help; undefined for a switch such as --help. */
  value?: string
  /** More environment variables read after OXILLAMA_<NAME>. */
  envFallback?: string[]
  /** Given several times (or comma-separated), every value counts. */
  repeatable?: true
  group: 'Model' | 'Server' | 'Engine' | 'Storage and logs' | 'Other'
  help: string
}

/** Every flag the server accepts; names follow llama-server where it has one. */
export const FLAGS: readonly FlagSpec[] = [
  {
    name: 'model',
    short: ['m'],
    value: '<path|url>',
    group: 'Model',
    help: 'GGUF model file, or an http(s) URL to download (for a split model: the first shard)',
  },
  {
    name: 'hf-repo',
    short: ['hfr'],
    value: '<owner/name>',
    group: 'Model',
    help: 'Hugging Face repository to download from',
  },
  { name: 'hf-file', short: ['hff'], value: '<file>', group: 'Model', help: 'GGUF file in --hf-repo' },
  { name: 'hf-revision', value: '<rev>', group: 'Model', help: 'branch, tag or commit of --hf-repo (default: main)' },
  {
    name: 'hf-token',
    short: ['hft'],
    value: '<token>',
    envFallback: ['HF_TOKEN'],
    group: 'Model',
    help: 'Hugging Face access token (env also HF_TOKEN)',
  },
  { name: 'sha256', value: '<hex>', group: 'Model', help: 'expected sha256 of the model file; checked after download' },
  {
    name: 'alias',
    short: ['a'],
    repeatable: true,
    value: '<name>',
    group: 'Model',
    help: 'public model name(s) for the API; repeatable or comma-separated (default: the file name)',
  },
  { name: 'host', value: '<addr>', group: 'Server', help: 'address to listen on (default: 127.0.0.1)' },
  { name: 'port', value: '<n>', group: 'Server', help: 'port to listen on, 0 for any free port (default: 8080)' },
  {
    name: 'api-key',
    value: '<key>',
    repeatable: true,
    group: 'Server',
    help: 'require this bearer key; repeatable or comma-separated (default: no key)',
  },
  {
    name: 'api-key-file',
    value: '<path>',
    group: 'Server',
    help: "file of bearer keys, one a line ('#' comments and blank lines skipped): keys stay out of ps",
  },
  {
    name: 'public-routes',
    value: '<route>',
    repeatable: true,
    group: 'Server',
    help: 'routes that need no key besides /health, such as /v1/models; repeatable or comma-separated',
  },
  {
    name: 'rate-limit-rpm',
    value: '<n>',
    group: 'Server',
    help: 'requests per minute per key (per client address without keys); 0 for no limit (default: 0)',
  },
  {
    name: 'rate-limit-tpm',
    value: '<n>',
    group: 'Server',
    help: 'tokens per minute per key (per client address without keys), see the README; 0 for no limit (default: 0)',
  },
  {
    name: 'transport',
    value: 'auto|uws|node',
    group: 'Server',
    help: 'HTTP server: uWebSockets.js, node:http, or auto: Deno.serve/Bun.serve there, else uWS if it loads (default)',
  },
  {
    name: 'max-body',
    value: '<size>',
    group: 'Server',
    help: 'largest request body, like 512k or 10mb (default: 10mb)',
  },
  {
    name: 'max-file-size',
    value: '<size>',
    group: 'Server',
    help: 'largest uploaded file (/v1/files, /v1/uploads), like 100mb or 1gb (default: 512mb)',
  },
  {
    name: 'cors-origin',
    value: '<origin>',
    repeatable: true,
    group: 'Server',
    help: "allowed CORS origin(s), '*' for any; repeatable or comma-separated (default: CORS off)",
  },
  {
    name: 'queue-size',
    value: '<n>',
    group: 'Server',
    help: 'HTTP inference requests that may wait for a free slot before 503 (default: 64); Assistants runs always wait',
  },
  {
    name: 'threads',
    short: ['t'],
    value: '<n>',
    group: 'Engine',
    help: 'engine threads (default: available cores, at most 8)',
  },
  {
    name: 'ctx-size',
    short: ['c'],
    value: '<n>',
    group: 'Engine',
    help: 'context size in tokens, shared by all slots (default: 4096)',
  },
  {
    name: 'parallel',
    short: ['np'],
    value: '<n>',
    group: 'Engine',
    help: 'slots: requests generated at once (default: 4)',
  },
  {
    name: 'batch-size',
    short: ['b'],
    value: '<n>',
    group: 'Engine',
    help: 'prompt tokens per decode step (default: 64, see the README)',
  },
  {
    name: 'engine-build',
    value: 'simd|relaxed|main|compat|auto',
    group: 'Engine',
    help: 'llama.cpp build (simd, relaxed SIMD, memory64 main, compat); auto: relaxed where exact, else simd; main for 2 GiB+',
  },
  {
    name: 'chat-template',
    value: '<name|jinja>',
    group: 'Engine',
    help: "built-in template name (chatml, llama2, llama3, mistral-v7, phi3, gemma, ...) or Jinja source (default: the model's)",
  },
  { name: 'chat-template-file', value: '<path>', group: 'Engine', help: 'file holding a Jinja chat template' },
  {
    name: 'data-dir',
    value: '<dir>',
    group: 'Storage and logs',
    help: 'where the Assistants store lives (default: ./data)',
  },
  {
    name: 'cache-dir',
    value: '<dir>',
    group: 'Storage and logs',
    help: 'where downloaded models are kept (default: <data-dir>/models)',
  },
  {
    name: 'log-level',
    value: 'error|warn|info|debug',
    group: 'Storage and logs',
    help: 'least severe level logged (default: info)',
  },
  {
    name: 'log-format',
    value: 'text|json',
    group: 'Storage and logs',
    help: 'text lines, or JSON lines as pino writes them (pino-pretty reads them) (default: text)',
  },
  { name: 'help', short: ['h'], group: 'Other', help: 'print this help and exit' },
  { name: 'version', short: ['v'], group: 'Other', help: 'print the version and exit' },
]

/** The environment variable that sets a flag: OXILLAMA_ and the name in upper snake case. */
export function envName(flag: string): string {
  return `OXILLAMA_${flag.toUpperCase().replaceAll('-', '_')}`
}

/** Formats the --help text from a flag table. */
export function formatHelp(flags: readonly FlagSpec[]): string {
  const lines = [
    'oxillama-server: an OpenAI-compatible server for GGUF models, running llama.cpp as WebAssembly',
    '',
    'Usage: oxillama-server [start] --model <path|url> [options]',
    '       oxillama-server [start] --hf-repo <owner/name> --hf-file <file.gguf> [options]',
    '       oxillama-server pull <url> | --hf-repo <owner/name> --hf-file <file.gguf> [--cache-dir <dir>]',
    '',
    'Commands:',
    '  start                               serve the model (the default when no command is given)',
    '  pull                                download the model into the cache with a progress bar, then exit',
  ]
  const groups = [...new Set(flags.map((flag) => flag.group))]
  for (const group of groups) {
    lines.push('', `${group}:`)
    for (const flag of flags.filter((f) => f.group === group)) {
      const names = [...(flag.short ?? []).map((short) => `-${short}`), `--${flag.name}`].join(', ')
      const left = `  ${names}${flag.value === undefined ? '' : ` ${flag.value}`}`
      lines.push(left.length < 37 ? `${left.padEnd(38)}${flag.help}` : `${left}\n${' '.repeat(38)}${flag.help}`)
    }
  }
  lines.push(
    '',
    'Values: --flag value or --flag=value. Every flag with a value can also come from an environment variable,',
    `OXILLAMA_ and the flag name in upper snake case (${envName('ctx-size')}=8192, ${envName('api-key')}=k1,k2);`,
    'a flag given on the command line wins over its variable.',
  )
  return `${lines.join('\n')}\n`
}

/** The flag an argument such as --model or -m names, if any. */
export function findFlag(key: string): FlagSpec | undefined {
  if (key.startsWith('--')) return FLAGS.find((flag) => flag.name === key.slice(2))
  if (key.startsWith('-')) return FLAGS.find((flag) => flag.short?.includes(key.slice(1)))
  return undefined
}

/** The closest known flag to a mistyped one, if any is close. */
export function suggestFlag(typed: string): string | undefined {
  let best: { flag: string; distance: number } | undefined
  for (const flag of FLAGS) {
    const candidates = [`--${flag.name}`, ...(flag.short ?? []).map((short) => `-${short}`)]
    for (const candidate of candidates) {
      const bare = candidate.replace(/^-+/, '')
      const distance = bare.startsWith(typed) && typed.length >= 3 ? 0.5 : editDistance(typed, bare)
      if (best === undefined || distance < best.distance) best = { flag: candidate, distance }
    }
  }
  const limit = typed.length <= 4 ? 1 : typed.length <= 8 ? 2 : 3
  return best !== undefined && best.distance <= limit ? best.flag : undefined
}

/** Edit distance where swapping two neighbouring letters counts as one edit (optimal string alignment). */
export function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  )
  const at = (i: number, j: number): number => d[i]?.[j] ?? 0
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, at(i - 2, j - 2) + 1)
      const row = d[i]
      if (row) row[j] = best
    }
  }
  return at(a.length, b.length)
}
