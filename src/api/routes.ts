import type { Router } from '../http/router.js'
import { registerChat } from './chat.js'
import { registerCompletions } from './completions.js'
import type { ApiDeps } from './deps.js'
import { registerEmbeddings } from './embeddings.js'
import { registerModels } from './models.js'
import { registerTokenize } from './tokenize.js'

/** The route table: every resource module registers its routes here. */
export function registerRoutes(router: Router, deps: ApiDeps): void {
  registerModels(router, deps)
  registerChat(router, deps)
  registerCompletions(router, deps)
  registerEmbeddings(router, deps)
  registerTokenize(router, deps)
}
