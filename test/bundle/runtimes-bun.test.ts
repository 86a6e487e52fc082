import t from 'tap'
import { runtimeSuite } from '../helpers/runtime-suite.js'

// Bun from npm: the CLI bundle through Bun.serve and the README's examples/bun.ts
await runtimeSuite(t, 'bun')
