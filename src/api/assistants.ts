import { NotFoundError } from '../http/errors.js'
import type { Router } from '../http/router.js'
import {
  Assistant,
  AssistantCreateParams,
  AssistantDeleted,
  AssistantListParams,
  AssistantPath,
  AssistantsPage,
  AssistantUpdateParams,
} from '../schemas/assistants.js'
import { checkToolResources, checkTools } from './assistants-input.js'
import { checkModelName, type ApiDeps } from './deps.js'

/** Registers the /v1/assistants routes (create, list, retrieve, modify, delete). */
export function registerAssistants(router: Router, deps: ApiDeps): void {
  const { store } = deps
  router.post(
    '/v1/assistants',
    { body: AssistantCreateParams, response: Assistant, summary: 'Creates an assistant' },
    (c) => {
      checkModelName(deps, c.body.model)
      checkTools(c.body.tools)
      checkToolResources(c.body.tool_resources)
      return store.assistants.create(c.body)
    },
  )

  router.get(
    '/v1/assistants',
    { query: AssistantListParams, response: AssistantsPage, summary: 'Lists assistants' },
    (c) => {
      return store.assistants.list(c.query)
    },
  )

  router.get(
    '/v1/assistants/:assistant_id',
    { params: AssistantPath, response: Assistant, summary: 'Retrieves an assistant' },
    async (c) => {
      const found = await store.assistants.get(c.params.assistant_id)
      if (!found) throw new NotFoundError('assistant', c.params.assistant_id)
      return found
    },
  )

  router.post(
    '/v1/assistants/:assistant_id',
    { params: AssistantPath, body: AssistantUpdateParams, response: Assistant, summary: 'Modifies an assistant' },
    (c) => {
      if (c.body.model !== undefined) checkModelName(deps, c.body.model)
      checkTools(c.body.tools)
      checkToolResources(c.body.tool_resources)
      return store.assistants.update(c.params.assistant_id, c.body)
    },
  )

  router.delete(
    '/v1/assistants/:assistant_id',
    { params: AssistantPath, response: AssistantDeleted, summary: 'Deletes an assistant' },
    (c) => {
      return store.assistants.delete(c.params.assistant_id)
    },
  )
}
