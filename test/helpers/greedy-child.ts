// greedy() in a child process (another runtime, e.g. Node 24 for the relaxed build): prints its result as one JSON line.
import type { EngineBuild } from '../../src/engine/host/protocol.js'
import { greedy } from './greedy.js'

const [model, build] = process.argv.slice(2)
if (!model || !build) throw new Error('usage: greedy-child.ts MODEL BUILD')
console.log(JSON.stringify(await greedy(model, build as EngineBuild)))
