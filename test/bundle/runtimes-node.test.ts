import t from 'tap'
import { runtimeSuite } from '../helpers/runtime-suite.js'

// The system Node (20) and Node 22 and 24 from npm: the CLI bundle and the library through examples/node.mjs
for (const runtime of ['node20', 'node22', 'node24'] as const) await runtimeSuite(t, runtime)
