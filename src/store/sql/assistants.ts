import type {
  Assistant,
  AssistantCreateParams,
  AssistantDeleted,
  AssistantUpdateParams,
  ToolResources,
} from '../../schemas/assistants.js'
import type { ListPage, ListQuery } from '../../schemas/shared.js'
import { notFound } from '../errors.js'
import { newId } from '../ids.js'
import type { AssistantStore } from '../store.js'
import { bodies, nowSeconds, type SqlContext } from './client.js'
import { listPage } from './page.js'

/** Keeps the stored form of tool_resources (file ids and vector store ids); a create-only `vector_stores` is dropped. */
export function storedToolResources(input: ToolResources | null | undefined): ToolResources {
  const out: ToolResources = {}
  if (input?.code_interpreter?.file_ids !== undefined)
    out.code_interpreter = { file_ids: [...input.code_interpreter.file_ids] }
  if (input?.file_search?.vector_store_ids !== undefined)
    out.file_search = { vector_store_ids: [...input.file_search.vector_store_ids] }
  return out
}

/** AssistantStore over SQL. */
export function sqlAssistants(ctx: SqlContext): AssistantStore {
  return {
    async create(params: AssistantCreateParams): Promise<Assistant> {
      const assistant: Assistant = {
        id: newId('asst'),
        object: 'assistant',
        created_at: nowSeconds(),
        name: params.name ?? null,
        description: params.description ?? null,
        model: params.model,
        instructions: params.instructions ?? null,
        tools: params.tools ?? [],
        metadata: params.metadata ?? {},
        response_format: params.response_format ?? 'auto',
        temperature: params.temperature ?? 1,
        tool_resources: storedToolResources(params.tool_resources),
        top_p: params.top_p ?? 1,
      }
      await ctx.client.query('INSERT INTO assistants (id, created_at, body) VALUES ($1, $2, $3::json)', [
        assistant.id,
        assistant.created_at,
        JSON.stringify(assistant),
      ])
      return assistant
    },

    async get(id: string): Promise<Assistant | null> {
      const { rows } = await ctx.client.query('SELECT body FROM assistants WHERE id = $1', [id])
      return bodies<Assistant>(rows)[0] ?? null
    },

    list(query?: ListQuery): Promise<ListPage<Assistant>> {
      return listPage<Assistant>(ctx.client, { table: 'assistants', parent: [] }, query)
    },

    update(id: string, params: AssistantUpdateParams): Promise<Assistant> {
      return ctx.atomic(async (client) => {
        const { rows } = await client.query('SELECT body FROM assistants WHERE id = $1 FOR UPDATE', [id])
        const current = bodies<Assistant>(rows)[0]
        if (current === undefined) throw notFound('assistant', id)
        const next: Assistant = { ...current }
        if (params.model !== undefined) next.model = params.model
        if (params.name !== undefined) next.name = params.name
        if (params.description !== undefined) next.description = params.description
        if (params.instructions !== undefined) next.instructions = params.instructions
        if (params.tools !== undefined) next.tools = params.tools
        if (params.metadata !== undefined) next.metadata = params.metadata ?? {}
        if (params.response_format !== undefined) next.response_format = params.response_format ?? 'auto'
        if (params.temperature !== undefined) next.temperature = params.temperature ?? 1
        if (params.top_p !== undefined) next.top_p = params.top_p ?? 1
        if (params.tool_resources !== undefined) next.tool_resources = storedToolResources(params.tool_resources)
        await client.query('UPDATE assistants SET body = $2::json WHERE id = $1', [id, JSON.stringify(next)])
        return next
      })
    },

    async delete(id: string): Promise<AssistantDeleted> {
      const { rows } = await ctx.client.query('DELETE FROM assistants WHERE id = $1 RETURNING id', [id])
      if (rows.length === 0) throw notFound('assistant', id)
      return { id, object: 'assistant.deleted', deleted: true }
    },
  }
}
