import t from 'tap'
import { FLAGS } from '../../src/config-flags.js'
import { ConfigError, configFromOptions, optionName, parseConfig, splitCommand } from '../../src/config.js'
import type { ServerOptions } from '../../src/server.js'

// Every option createServer() takes: the compiler checks this object has each key of ServerOptions
const EVERY_OPTION: Required<ServerOptions> = {
  model: 'm.gguf',
  hfRepo: 'o/n',
  hfFile: 'f.gguf',
  hfRevision: 'main',
  hfToken: 't',
  sha256: 'a'.repeat(64),
  alias: 'x',
  host: '127.0.0.1',
  port: 0,
  apiKey: 'k',
  apiKeyFile: 'keys.txt',
  publicRoutes: '/v1/models',
  rateLimitRpm: 60,
  rateLimitTpm: 10000,
  transport: 'auto',
  maxBody: '1mb',
  maxFileSize: '2mb',
  corsOrigin: '*',
  queueSize: 1,
  threads: 1,
  ctxSize: 1024,
  parallel: 1,
  batchSize: 8,
  engineBuild: 'auto',
  chatTemplate: 'chatml',
  chatTemplateFile: 't.jinja',
  dataDir: 'd',
  cacheDir: 'c',
  logLevel: 'info',
  logFormat: 'json',
}

t.test('ServerOptions has one option per flag, named in camelCase, besides --help and --version', async (t) => {
  const flags = FLAGS.map((flag) => optionName(flag.name)).filter((name) => name !== 'help' && name !== 'version')
  t.same(Object.keys(EVERY_OPTION).sort(), flags.sort())
})

t.test('configFromOptions() gives the config the same flags give', async (t) => {
  const options = {
    model: 'models/m.gguf',
    chatTemplate: 'chatml',
    dataDir: '/tmp/d',
    parallel: 2,
    ctxSize: 2048,
    apiKey: ['k1', 'k2'],
    alias: 'a,b',
    maxBody: '512k',
  }
  const argv = [
    '--model',
    'models/m.gguf',
    '--chat-template',
    'chatml',
    '--data-dir',
    '/tmp/d',
    '--parallel',
    '2',
    '--ctx-size',
    '2048',
    '--api-key',
    'k1',
    '--api-key',
    'k2',
    '--alias',
    'a,b',
    '--max-body',
    '512k',
  ]
  t.same(configFromOptions(options, { cores: 2 }), parseConfig(argv, {}, { cores: 2 }))
})

t.test('configFromOptions() reads no environment variable', async (t) => {
  const saved = process.env.OXILLAMA_PARALLEL
  process.env.OXILLAMA_PARALLEL = '7'
  t.teardown(() => {
    if (saved === undefined) delete process.env.OXILLAMA_PARALLEL
    else process.env.OXILLAMA_PARALLEL = saved
  })
  t.equal(configFromOptions({ model: 'm.gguf' }).parallel, 4)
})

t.test('configFromOptions() refuses bad options with a message naming the option', async (t) => {
  t.throws(() => configFromOptions({ model: 'm.gguf', parallel: 0 }), {
    name: 'ConfigError',
    message: "parallel: must be a whole number from 1 to 256, got '0'",
    flag: 'parallel',
  })
  t.throws(() => configFromOptions({ model: 'm.gguf', chatTemplat: 'chatml' }), {
    message: /^Unknown option 'chatTemplat' \(did you mean chatTemplate\?\)/,
  })
  t.throws(() => configFromOptions({ model: 'm.gguf', help: true }), { message: /^Unknown option 'help'/ })
  t.throws(() => configFromOptions({ model: 'm.gguf', threads: [1, 2] }), {
    message: 'threads: must be a string or a number, got [1,2]',
  })
  t.throws(() => configFromOptions({ model: 'm.gguf', parallel: 64, ctxSize: 1024 }), {
    message: /^ctxSize 1024 shared by parallel 64 slots leaves fewer than 64 tokens/,
  })
  t.throws(() => configFromOptions({ model: 'ftp://x/m.gguf' }), ConfigError)
  t.throws(() => configFromOptions({ hfRepo: 'o/n' }), { message: /^hfRepo needs hfFile/ })
})

t.test('configFromOptions() skips undefined options', async (t) => {
  t.equal(configFromOptions({ model: 'm.gguf', chatTemplate: undefined }).chatTemplate, undefined)
})

t.test('splitCommand() takes start or pull off argv, start by default', async (t) => {
  t.same(splitCommand(['start', '--model', 'm']), { command: 'start', args: ['--model', 'm'] })
  t.same(splitCommand(['pull', 'http://h/m.gguf']), { command: 'pull', args: ['http://h/m.gguf'] })
  t.same(splitCommand(['--model', 'm']), { command: 'start', args: ['--model', 'm'] })
  t.same(splitCommand([]), { command: 'start', args: [] })
})
