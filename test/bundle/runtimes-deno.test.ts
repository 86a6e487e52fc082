import t from 'tap'
import { runtimeSuite } from '../helpers/runtime-suite.js'

// Deno from npm: the CLI bundle through Deno.serve and the README's examples/deno.ts
await runtimeSuite(t, 'deno')
