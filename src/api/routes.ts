import type { Router } from '../http/router.js'
import { registerAssistants } from './assistants.js'
import { registerBatches } from './batches.js'
import { registerChat } from './chat.js'
import { registerCompletions } from './completions.js'
import { registerConversations } from './conversations.js'
import type { ApiDeps } from './deps.js'
import { registerEmbeddings } from './embeddings.js'
import { registerFiles } from './files.js'
import { registerMessages } from './messages.js'
import { registerMetrics } from './metrics.js'
import { registerModels } from './models.js'
import { registerOpenApi } from './openapi.js'
import { registerResponses } from './responses.js'
import { registerRunSteps } from './run-steps.js'
import { registerRuns } from './runs.js'
import { registerThreads } from './threads.js'
import { registerTokenize } from './tokenize.js'
import { registerUploads } from './uploads.js'

/** The route table: every resource module registers its routes here. */
export function registerRoutes(router: Router, deps: ApiDeps): void {
  registerModels(router, deps)
  registerChat(router, deps)
  registerCompletions(router, deps)
  registerEmbeddings(router, deps)
  registerTokenize(router, deps)
  registerAssistants(router, deps)
  registerThreads(router, deps)
  registerMessages(router, deps)
  registerRunSteps(router, deps)
  registerRuns(router, deps)
  registerResponses(router, deps)
  registerConversations(router, deps)
  registerFiles(router, deps)
  registerUploads(router, deps)
  registerBatches(router, deps)
  registerMetrics(router, deps)
  registerOpenApi(router, deps)
}
