import t, { type Test } from 'tap'
import { ConfigError, HELP_TEXT, parseConfig, type Config } from '../../src/config.js'
import { FLAGS, envName } from '../../src/config-flags.js'

const parse = (argv: string[], env: Record<string, string | undefined> = {}): Config =>
  parseConfig(argv, env, { cores: 4 })

/** Asserts that parsing throws a ConfigError whose message matches. */
function rejects(t: Test, argv: string[], message: RegExp, env: Record<string, string | undefined> = {}): void {
  try {
    parse(argv, env)
    t.fail(`expected ${argv.join(' ')} to be refused`)
  } catch (error) {
    t.type(error, ConfigError, argv.join(' '))
    t.match((error as Error).message, message, argv.join(' '))
  }
}

t.test('parseConfig() with no arguments gives the documented defaults and no model', async (t) => {
  const config = parse([])
  t.same(config, {
    model: undefined,
    hfRepo: undefined,
    hfFile: undefined,
    hfRevision: 'main',
    hfToken: undefined,
    sha256: undefined,
    aliases: [],
    host: '127.0.0.1',
    port: 8080,
    threads: 4,
    ctxSize: 4096,
    parallel: 4,
    batchSize: 64,
    queueSize: 64,
    engineBuild: 'auto',
    chatTemplate: undefined,
    chatTemplateFile: undefined,
    apiKeys: [],
    publicRoutes: [],
    rateLimitRpm: 0,
    rateLimitTpm: 0,
    transport: 'auto',
    maxBody: 10 * 1024 * 1024,
    maxFileSize: 512 * 1024 * 1024,
    corsOrigins: [],
    dataDir: './data',
    cacheDir: 'data/models',
    logLevel: 'info',
    logFormat: 'text',
    help: false,
    version: false,
  })
})

t.test('parseConfig() defaults threads to the available cores, at most 8', async (t) => {
  t.equal(parseConfig([], {}, { cores: 1 }).threads, 1)
  t.equal(parseConfig([], {}, { cores: 6 }).threads, 6)
  t.equal(parseConfig([], {}, { cores: 64 }).threads, 8)
  const real = parseConfig([], {}).threads
  t.ok(real >= 1 && real <= 8, `real machine default ${real}`)
})

t.test('parseConfig() reads every flag in both --flag value and --flag=value forms', async (t) => {
  const values: Record<string, [string, keyof Config, unknown]> = {
    model: ['m.gguf', 'model', 'm.gguf'],
    'hf-revision': ['v1.0', 'hfRevision', 'v1.0'],
    'hf-token': ['hf_abc', 'hfToken', 'hf_abc'],
    sha256: ['A'.repeat(64), 'sha256', 'a'.repeat(64)],
    alias: ['tiny', 'aliases', ['tiny']],
    host: ['0.0.0.0', 'host', '0.0.0.0'],
    port: ['0', 'port', 0],
    threads: ['3', 'threads', 3],
    'ctx-size': ['8192', 'ctxSize', 8192],
    parallel: ['2', 'parallel', 2],
    'batch-size': ['512', 'batchSize', 512],
    'queue-size': ['0', 'queueSize', 0],
    'engine-build': ['compat', 'engineBuild', 'compat'],
    'chat-template': ['chatml', 'chatTemplate', 'chatml'],
    'chat-template-file': ['t.jinja', 'chatTemplateFile', 't.jinja'],
    'api-key': ['k1', 'apiKeys', ['k1']],
    transport: ['node', 'transport', 'node'],
    'max-body': ['2048', 'maxBody', 2048],
    'max-file-size': ['1mb', 'maxFileSize', 1024 * 1024],
    'cors-origin': ['https://a.example', 'corsOrigins', ['https://a.example']],
    'data-dir': ['/tmp/d', 'dataDir', '/tmp/d'],
    'cache-dir': ['/tmp/c', 'cacheDir', '/tmp/c'],
    'log-level': ['debug', 'logLevel', 'debug'],
    'log-format': ['json', 'logFormat', 'json'],
    'public-routes': ['/v1/models', 'publicRoutes', ['/v1/models']],
    'rate-limit-rpm': ['60', 'rateLimitRpm', 60],
    'rate-limit-tpm': ['90000', 'rateLimitTpm', 90000],
  }
  for (const [flag, [value, key, expected]] of Object.entries(values)) {
    t.same(parse([`--${flag}`, value])[key], expected, `--${flag} ${value}`)
    t.same(parse([`--${flag}=${value}`])[key], expected, `--${flag}=${value}`)
  }
  const hf = parse(['--hf-repo', 'owner/repo', '--hf-file=dir/model.gguf'])
  t.equal(hf.hfRepo, 'owner/repo')
  t.equal(hf.hfFile, 'dir/model.gguf')
  t.equal(parse(['--help']).help, true)
  t.equal(parse(['--version']).version, true)
})

t.test('parseConfig() accepts the llama-server short flags', async (t) => {
  const config = parse(['-m', 'a.gguf', '-a', 'x', '-t', '2', '-c', '1024', '-np', '8', '-b', '64', '-h', '-v'])
  t.match(config, {
    model: 'a.gguf',
    aliases: ['x'],
    threads: 2,
    ctxSize: 1024,
    parallel: 8,
    batchSize: 64,
    help: true,
    version: true,
  })
  const hf = parse(['-hfr', 'o/r', '-hff', 'f.gguf', '-hft', 'tok'])
  t.match(hf, { hfRepo: 'o/r', hfFile: 'f.gguf', hfToken: 'tok' })
  t.equal(parse(['-c=2048']).ctxSize, 2048)
})

t.test('parseConfig() keeps the last value of a flag given twice', async (t) => {
  t.equal(parse(['--port', '1', '--port', '2']).port, 2)
})

t.test('parseConfig() takes a value that starts with a dash when it is no flag', async (t) => {
  t.equal(parse(['--api-key', '-secret-']).apiKeys[0], '-secret-')
  t.equal(parse(['--model', '-odd-name.gguf']).model, '-odd-name.gguf')
  t.equal(parse(['--api-key=--x']).apiKeys[0], '--x')
})

t.test(
  'parseConfig() collects --alias, --api-key and --cors-origin from repeats and commas, without duplicates',
  async (t) => {
    t.same(parse(['-a', 'one,two', '--alias', 'three', '-a', 'one']).aliases, ['one', 'two', 'three'])
    t.same(parse(['--api-key', 'k1', '--api-key=k2,k3']).apiKeys, ['k1', 'k2', 'k3'])
    t.same(parse(['--cors-origin', 'http://a.example:3000,https://b.example']).corsOrigins, [
      'http://a.example:3000',
      'https://b.example',
    ])
    t.same(parse(['--cors-origin', 'https://a.example,*']).corsOrigins, ['*'])
  },
)

t.test('parseConfig() reads OXILLAMA_* variables and lets flags win', async (t) => {
  const env = {
    OXILLAMA_MODEL: 'env.gguf',
    OXILLAMA_PORT: '9000',
    OXILLAMA_CTX_SIZE: '2048',
    OXILLAMA_API_KEY: 'a, b,c',
    OXILLAMA_ALIAS: 'x,y',
    OXILLAMA_LOG_LEVEL: 'warn',
    OXILLAMA_MAX_BODY: '1mb',
    OXILLAMA_DATA_DIR: '/srv/ox',
  }
  const fromEnv = parse([], env)
  t.match(fromEnv, {
    model: 'env.gguf',
    port: 9000,
    ctxSize: 2048,
    apiKeys: ['a', 'b', 'c'],
    aliases: ['x', 'y'],
    logLevel: 'warn',
    maxBody: 1024 * 1024,
    dataDir: '/srv/ox',
    cacheDir: '/srv/ox/models',
  })
  const flagsWin = parse(['--port', '7000', '--api-key', 'f', '-a', 'z', '-m', 'flag.gguf'], env)
  t.match(flagsWin, { model: 'flag.gguf', port: 7000, apiKeys: ['f'], aliases: ['z'], ctxSize: 2048 })
  t.equal(parse([], { OXILLAMA_PORT: '' }).port, 8080, 'an empty variable counts as unset')
  t.equal(
    parse([], { OXILLAMA_HELP: '1', OXILLAMA_VERSION: '1' }).help,
    false,
    'switches do not come from the environment',
  )
})

t.test('every flag with a value has an OXILLAMA_ variable', async (t) => {
  for (const flag of FLAGS) {
    if (flag.value === undefined) continue
    t.doesNotThrow(() => parse([], { [envName(flag.name)]: '' }))
  }
  t.equal(parse([], { OXILLAMA_QUEUE_SIZE: '5' }).queueSize, 5)
  t.equal(parse([], { OXILLAMA_ENGINE_BUILD: 'main' }).engineBuild, 'main')
  t.equal(parse([], { OXILLAMA_CHAT_TEMPLATE: 'llama3' }).chatTemplate, 'llama3')
})

t.test('parseConfig() takes the Hugging Face token from HF_TOKEN when OXILLAMA_HF_TOKEN is unset', async (t) => {
  t.equal(parse([], { HF_TOKEN: 'hf_1' }).hfToken, 'hf_1')
  t.equal(parse([], { HF_TOKEN: 'hf_1', OXILLAMA_HF_TOKEN: 'hf_2' }).hfToken, 'hf_2')
  t.equal(parse(['--hf-token', 'hf_3'], { HF_TOKEN: 'hf_1', OXILLAMA_HF_TOKEN: 'hf_2' }).hfToken, 'hf_3')
})

t.test('parseConfig() puts the model cache under the data dir unless --cache-dir is given', async (t) => {
  t.equal(parse(['--data-dir', '/var/lib/ox']).cacheDir, '/var/lib/ox/models')
  t.equal(parse(['--data-dir', '/var/lib/ox', '--cache-dir', '/cache']).cacheDir, '/cache')
})

t.test('parseConfig() reads --max-body sizes with binary suffixes', async (t) => {
  const sizes: Record<string, number> = {
    '1024': 1024,
    '512k': 512 * 1024,
    '512kb': 512 * 1024,
    '10mb': 10 * 1024 ** 2,
    '10MB': 10 * 1024 ** 2,
    '1.5MiB': 1.5 * 1024 ** 2,
    '1g': 1024 ** 3,
    '64 kb': 64 * 1024,
    '2048b': 2048,
  }
  for (const [text, bytes] of Object.entries(sizes)) t.equal(parse(['--max-body', text]).maxBody, bytes, text)
  for (const bad of ['10x', 'mb', '-1', '1.2.3', '100', '2gb', '']) rejects(t, ['--max-body', bad], /--max-body/)
})

t.test('parseConfig() refuses out-of-range and malformed numbers, naming the flag', async (t) => {
  rejects(t, ['--port', '65536'], /^--port: must be a whole number from 0 to 65535, got '65536'$/)
  rejects(t, ['--port', '-1'], /--port.*0 to 65535/)
  rejects(t, ['--port', '80.5'], /--port/)
  rejects(t, ['--port', 'http'], /--port/)
  rejects(t, ['--port', '1e3'], /--port/)
  rejects(t, ['-t', '0'], /--threads: must be a whole number from 1/)
  rejects(t, ['-c', '255'], /--ctx-size: must be a whole number from 256/)
  rejects(t, ['-c', String(2 ** 21)], /--ctx-size/)
  rejects(t, ['-np', '0'], /--parallel/)
  rejects(t, ['-b', '0'], /--batch-size/)
  rejects(t, ['--queue-size', '-5'], /--queue-size/)
  rejects(t, [], /^OXILLAMA_PORT: must be a whole number/, { OXILLAMA_PORT: 'eighty' })
})

t.test('parseConfig() refuses a context too small for the slots', async (t) => {
  rejects(t, ['-c', '256', '-np', '8'], /--ctx-size 256 shared by --parallel 8 slots leaves fewer than 64 tokens/)
  t.equal(parse(['-c', '256', '-np', '4']).parallel, 4)
})

t.test('parseConfig() refuses bad choices and lists the allowed values', async (t) => {
  rejects(t, ['--engine-build', 'fast'], /--engine-build: must be one of simd, relaxed, main, compat, auto, got 'fast'/)
  rejects(t, ['--transport', 'h2'], /--transport: must be one of auto, uws, node/)
  rejects(t, ['--log-level', 'trace'], /--log-level: must be one of error, warn, info, debug/)
  t.equal(parse(['--log-level', 'DEBUG']).logLevel, 'debug')
})

t.test('parseConfig() checks model sources', async (t) => {
  t.equal(parse(['-m', 'https://example.com/m.gguf']).model, 'https://example.com/m.gguf')
  t.equal(parse(['-m', 'HTTP://example.com/m.gguf']).model, 'HTTP://example.com/m.gguf')
  t.equal(parse(['-m', 'C:\\models\\m.gguf']).model, 'C:\\models\\m.gguf')
  rejects(t, ['-m', 'ftp://example.com/m.gguf'], /--model: must be a file path or an http\(s\) URL/)
  rejects(t, ['-m', ''], /--model: must not be empty/)
  rejects(t, ['--hf-repo', 'justname', '--hf-file', 'f.gguf'], /--hf-repo: must look like owner\/name/)
  rejects(t, ['--hf-repo', 'o/r'], /--hf-repo needs --hf-file/)
  rejects(t, ['--hf-file', 'f.gguf'], /--hf-file needs --hf-repo/)
  rejects(t, ['-m', 'a.gguf', '--hf-repo', 'o/r', '--hf-file', 'f.gguf'], /either --model or --hf-repo/)
  rejects(t, ['--sha256', 'abc'], /--sha256: must be 64 hex digits/)
  rejects(t, ['--host', 'a b'], /--host/)
})

t.test('parseConfig() takes built-in template names and Jinja source, and refuses unknown names', async (t) => {
  t.equal(parse(['--chat-template', 'Mistral-V7']).chatTemplate, 'mistral-v7')
  for (const name of ['llama2', 'phi3', 'gemma', 'chatml', 'llama3'])
    t.equal(parse(['--chat-template', name]).chatTemplate, name)
  const jinja = "{% for m in messages %}{{ m['content'] }}{% endfor %}"
  t.equal(parse(['--chat-template', jinja]).chatTemplate, jinja)
  rejects(
    t,
    ['--chat-template', 'chatlm'],
    /unknown template name 'chatlm' \(did you mean chatml\?\).*--chat-template-file/,
  )
  rejects(t, ['--chat-template', 'my template'], /unknown template name/)
  rejects(
    t,
    ['--chat-template', 'chatml', '--chat-template-file', 't.jinja'],
    /either --chat-template or --chat-template-file/,
  )
})

t.test('parseConfig() refuses empty list items and bad CORS origins', async (t) => {
  rejects(t, ['--api-key', 'a,,b'], /--api-key: has an empty key/)
  rejects(t, [], /OXILLAMA_API_KEY: has an empty key/, { OXILLAMA_API_KEY: 'a,' })
  rejects(t, ['-a', ' '], /--alias: has an empty alias/)
  rejects(t, ['--cors-origin', 'example.com'], /--cors-origin: each origin must be '\*' or scheme:\/\/host/)
  rejects(t, ['--cors-origin', 'https://a.example/path'], /--cors-origin/)
})

t.test('parseConfig() refuses unknown flags with a suggestion when one is close', async (t) => {
  rejects(t, ['--ctx', '100'], /^Unknown flag --ctx \(did you mean --ctx-size\?\); see --help$/)
  rejects(t, ['--prot', '1'], /did you mean --port\?/)
  rejects(t, ['--modle=x'], /Unknown flag --modle \(did you mean --model\?\)/)
  rejects(t, ['--threds', '2'], /did you mean --threads\?/)
  rejects(t, ['--api-keys', 'k'], /did you mean --api-key\?/)
  rejects(t, ['-hf', 'o/r'], /^Unknown flag -hf \(did you mean -hfr\?\); see --help$/)
  rejects(t, ['--flash-attention'], /^Unknown flag --flash-attention; see --help$/)
  try {
    parse(['--prot', '1'])
  } catch (error) {
    t.equal((error as ConfigError).flag, '--prot')
  }
})

t.test('parseConfig() refuses positional arguments, hinting --model for a model file', async (t) => {
  rejects(t, ['model.gguf'], /Unexpected argument 'model.gguf' \(did you mean --model model.gguf\?\)/)
  rejects(t, ['serve'], /^Unexpected argument 'serve'; see --help$/)
})

t.test('parseConfig() refuses a missing value and a value given to a switch', async (t) => {
  rejects(t, ['--model'], /^--model needs a value: --model <path\|url>$/)
  rejects(t, ['--model', '--port', '1'], /--model needs a value/)
  rejects(t, ['-c', '-np', '2'], /-c needs a value/)
  rejects(t, ['--help=yes'], /--help takes no value/)
})

t.test('ConfigError names the flag in its message and its flag field', async (t) => {
  try {
    parse(['--port', 'x'])
    t.fail('expected an error')
  } catch (error) {
    t.type(error, ConfigError)
    t.equal((error as ConfigError).flag, '--port')
    t.equal((error as ConfigError).name, 'ConfigError')
  }
})

t.test('HELP_TEXT lists every flag with its short forms and mentions the environment variables', async (t) => {
  for (const flag of FLAGS) {
    t.match(HELP_TEXT, `--${flag.name}`, flag.name)
    for (const short of flag.short ?? []) t.match(HELP_TEXT, new RegExp(`-${short}, `), `-${short}`)
  }
  t.match(HELP_TEXT, /^Usage: oxillama-server \[start\] --model <path\|url> \[options\]$/m)
  t.match(HELP_TEXT, /^ {7}oxillama-server pull <url> \| --hf-repo /m)
  t.match(HELP_TEXT, /OXILLAMA_CTX_SIZE=8192/)
  t.match(HELP_TEXT, /HF_TOKEN/)
  t.match(HELP_TEXT, /default: <data-dir>\/models/)
  t.same(
    HELP_TEXT.split('\n').filter((line) => line.length > 160),
    [],
    'no line longer than 160 characters',
  )
})

t.test(
  'parseConfig() reads --api-key-file: one key a line, comments and blank lines skipped, merged with --api-key',
  async (t) => {
    const dir = t.testdir({
      'keys.txt': '# team keys\nsk-alpha-0001\n\n  sk-beta-0002  \r\n# old: sk-gone\nsk-alpha-0001\n',
      'empty.txt': '# nothing yet\n\n',
      'spaced.txt': 'sk-one two\n',
    })
    t.same(parse(['--api-key-file', `${dir}/keys.txt`]).apiKeys, ['sk-alpha-0001', 'sk-beta-0002'])
    t.same(parse(['--api-key', 'k0', `--api-key-file=${dir}/keys.txt`]).apiKeys, [
      'k0',
      'sk-alpha-0001',
      'sk-beta-0002',
    ])
    t.same(parse([], { OXILLAMA_API_KEY_FILE: `${dir}/keys.txt` }).apiKeys, ['sk-alpha-0001', 'sk-beta-0002'])
    rejects(t, ['--api-key-file', `${dir}/missing.txt`], /^--api-key-file: cannot read '.*missing\.txt': ENOENT/)
    rejects(t, ['--api-key-file', `${dir}/empty.txt`], /^--api-key-file: no keys in '.*empty\.txt'$/)
    rejects(t, ['--api-key-file', `${dir}/spaced.txt`], /key 1 in '.*spaced\.txt' has a space/)
  },
)

t.test('parseConfig() takes --public-routes as paths and refuses one without a leading slash', async (t) => {
  t.same(parse(['--public-routes', '/v1/models,/v1/models/:model']).publicRoutes, ['/v1/models', '/v1/models/:model'])
  rejects(t, ['--public-routes', 'v1/models'], /--public-routes: each route must start with '\/', got 'v1\/models'/)
  rejects(t, ['--rate-limit-rpm', '-1'], /--rate-limit-rpm: must be a whole number from 0/)
  rejects(t, ['--log-format', 'yaml'], /--log-format: must be one of text, json/)
})
