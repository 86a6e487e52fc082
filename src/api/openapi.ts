import type { TSchema } from 'typebox'
import { text } from '../http/reply.js'
import { openApiDocument } from '../http/openapi.js'
import type { Router } from '../http/router.js'
import * as assistants from '../schemas/assistants.js'
import * as batches from '../schemas/batches.js'
import * as chat from '../schemas/chat.js'
import * as chatMessages from '../schemas/chat-messages.js'
import * as completions from '../schemas/completions.js'
import * as conversations from '../schemas/conversations.js'
import * as embeddings from '../schemas/embeddings.js'
import * as errors from '../schemas/errors.js'
import * as files from '../schemas/files.js'
import * as health from '../schemas/health.js'
import * as ids from '../schemas/ids.js'
import * as messages from '../schemas/messages.js'
import * as models from '../schemas/models.js'
import * as responses from '../schemas/responses.js'
import * as responsesStream from '../schemas/responses-stream.js'
import * as runSteps from '../schemas/run-steps.js'
import * as runs from '../schemas/runs.js'
import * as sampling from '../schemas/sampling.js'
import * as shared from '../schemas/shared.js'
import * as streamEvents from '../schemas/stream-events.js'
import * as threads from '../schemas/threads.js'
import * as tokenize from '../schemas/tokenize.js'
import * as uploads from '../schemas/uploads.js'
import type { ApiDeps } from './deps.js'

// every schema module: their exported schemas are the document's named components (the SDK's type names)
const SCHEMA_MODULES: readonly Record<string, unknown>[] = [
  assistants,
  batches,
  chat,
  chatMessages,
  completions,
  conversations,
  embeddings,
  errors,
  files,
  health,
  ids,
  messages,
  models,
  responses,
  responsesStream,
  runSteps,
  runs,
  sampling,
  shared,
  streamEvents,
  threads,
  tokenize,
  uploads,
]

// typebox marks each schema it builds with a non-enumerable `~kind`; a plain object of properties has none
function isTypebox(value: unknown): value is TSchema {
  return typeof value === 'object' && value !== null && '~kind' in value
}

/** Every exported schema of the schema modules by its export name; the first module wins a name taken twice. */
export function namedSchemas(): Record<string, TSchema> {
  const named: Record<string, TSchema> = {}
  for (const module of SCHEMA_MODULES)
    for (const [name, value] of Object.entries(module)) if (!(name in named) && isTypebox(value)) named[name] = value
  return named
}

/** Registers GET /openapi.json: the OpenAPI 3.1 description of every route, built from the route table once. */
export function registerOpenApi(router: Router, deps: ApiDeps): void {
  let document: string | null = null
  router.get('/openapi.json', { summary: 'This API as an OpenAPI 3.1 document' }, () => {
    // built on first use, when every route is registered
    document ??= JSON.stringify(
      openApiDocument(router.routes(), {
        title: 'oxillama-server',
        version: deps.version,
        description: 'OpenAI-compatible API for GGUF models on llama.cpp WebAssembly.',
        components: namedSchemas(),
        // the routes declared public (`/health`); those --public-routes adds are not described
        publicPaths: router
          .routes()
          .filter((route) => route.schemas.public === true)
          .map((route) => route.path),
      }),
    )
    return text(200, document, { contentType: 'application/json' })
  })
}
