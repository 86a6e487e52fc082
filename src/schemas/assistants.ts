import { Type, type Static } from 'typebox'
import { MAX_TEMPERATURE } from '../limits/limits.js'
import { AssistantId } from './ids.js'
import { DeletedObject, ListResponse, Metadata, Nullable, UnixTime, listQueryProperties } from './shared.js'

const NAME_PATTERN = '^[a-zA-Z0-9_-]{1,64}$'

/** A function the model may call. */
export const FunctionDefinition = Type.Object({
  name: Type.String({
    pattern: NAME_PATTERN,
    description: 'a-z, A-Z, 0-9, underscores and dashes, at most 64 characters.',
  }),
  description: Type.Optional(
    Type.String({ description: 'What the function does, for the model to choose when to call it.' }),
  ),
  parameters: Type.Optional(
    Type.Record(Type.String(), Type.Unknown(), { description: 'JSON Schema object of the arguments.' }),
  ),
  strict: Type.Optional(
    Nullable(Type.Boolean({ description: 'Whether the arguments must follow `parameters` exactly.' })),
  ),
})
export type FunctionDefinition = Static<typeof FunctionDefinition>

/** The code_interpreter tool (parsed so the API can refuse it by name). */
export const CodeInterpreterTool = Type.Object({ type: Type.Literal('code_interpreter') })
export type CodeInterpreterTool = Static<typeof CodeInterpreterTool>

/** The file_search tool (parsed so the API can refuse it by name). */
export const FileSearchTool = Type.Object({
  type: Type.Literal('file_search'),
  file_search: Type.Optional(
    Type.Object({
      max_num_results: Type.Optional(
        Type.Integer({ minimum: 1, maximum: 50, description: 'Maximum results, 1 to 50.' }),
      ),
      ranking_options: Type.Optional(
        Type.Object({
          score_threshold: Type.Number({ minimum: 0, maximum: 1, description: 'Score threshold between 0 and 1.' }),
          ranker: Type.Optional(Type.Union([Type.Literal('auto'), Type.Literal('default_2024_08_21')])),
        }),
      ),
    }),
  ),
})
export type FileSearchTool = Static<typeof FileSearchTool>

/** A function tool. */
export const FunctionTool = Type.Object({ type: Type.Literal('function'), function: FunctionDefinition })
export type FunctionTool = Static<typeof FunctionTool>

/** Any tool an assistant or run may enable. */
export const AssistantTool = Type.Union([CodeInterpreterTool, FileSearchTool, FunctionTool])
export type AssistantTool = Static<typeof AssistantTool>

/** The tools list of an assistant or run (at most 128). */
export const AssistantTools = Type.Array(AssistantTool, { maxItems: 128, description: 'Tools enabled, at most 128.' })

/** Structured Outputs configuration for `{type: 'json_schema'}`. */
export const ResponseFormatJsonSchema = Type.Object({
  type: Type.Literal('json_schema'),
  json_schema: Type.Object({
    name: Type.String({
      pattern: NAME_PATTERN,
      description: 'a-z, A-Z, 0-9, underscores and dashes, at most 64 characters.',
    }),
    description: Type.Optional(Type.String()),
    schema: Type.Optional(
      Type.Record(Type.String(), Type.Unknown(), { description: 'The JSON Schema the output must match.' }),
    ),
    strict: Type.Optional(Nullable(Type.Boolean())),
  }),
})

/** `'auto'`, `{type:'text'}`, `{type:'json_object'}` or `{type:'json_schema', json_schema}`. */
export const AssistantResponseFormatOption = Type.Union(
  [
    Type.Literal('auto'),
    Type.Object({ type: Type.Literal('text') }),
    Type.Object({ type: Type.Literal('json_object') }),
    ResponseFormatJsonSchema,
  ],
  { description: 'The format the model must output.' },
)
export type AssistantResponseFormatOption = Static<typeof AssistantResponseFormatOption>

/** A specific tool the model must use. */
export const AssistantToolChoice = Type.Object({
  type: Type.Union([Type.Literal('function'), Type.Literal('code_interpreter'), Type.Literal('file_search')]),
  function: Type.Optional(Type.Object({ name: Type.String({ description: 'The function to call.' }) })),
})
export type AssistantToolChoice = Static<typeof AssistantToolChoice>

/** `'none' | 'auto' | 'required'` or a specific tool. */
export const AssistantToolChoiceOption = Type.Union(
  [Type.Literal('none'), Type.Literal('auto'), Type.Literal('required'), AssistantToolChoice],
  { description: 'Which tool, if any, the model calls.' },
)
export type AssistantToolChoiceOption = Static<typeof AssistantToolChoiceOption>

/** Tool resources as stored on an assistant or thread. */
export const ToolResources = Type.Object({
  code_interpreter: Type.Optional(
    Type.Object({ file_ids: Type.Optional(Type.Array(Type.String(), { maxItems: 20 })) }),
  ),
  file_search: Type.Optional(
    Type.Object({ vector_store_ids: Type.Optional(Type.Array(Type.String(), { maxItems: 1 })) }),
  ),
})
export type ToolResources = Static<typeof ToolResources>

const ChunkingStrategy = Type.Union([
  Type.Object({ type: Type.Literal('auto') }),
  Type.Object({
    type: Type.Literal('static'),
    static: Type.Object({
      chunk_overlap_tokens: Type.Integer({ minimum: 0 }),
      max_chunk_size_tokens: Type.Integer({ minimum: 100, maximum: 4096 }),
    }),
  }),
])

/** Tool resources in a create body (file_search may create a vector store). */
export const ToolResourcesCreate = Type.Object({
  code_interpreter: Type.Optional(
    Type.Object({ file_ids: Type.Optional(Type.Array(Type.String(), { maxItems: 20 })) }),
  ),
  file_search: Type.Optional(
    Type.Object({
      vector_store_ids: Type.Optional(Type.Array(Type.String(), { maxItems: 1 })),
      vector_stores: Type.Optional(
        Type.Array(
          Type.Object({
            chunking_strategy: Type.Optional(ChunkingStrategy),
            file_ids: Type.Optional(Type.Array(Type.String())),
            metadata: Type.Optional(Nullable(Metadata)),
          }),
          { maxItems: 1 },
        ),
      ),
    }),
  ),
})
export type ToolResourcesCreate = Static<typeof ToolResourcesCreate>

/** Reasoning effort (accepted for compatibility; not stored on the assistant). */
export const ReasoningEffort = Nullable(
  Type.Union([
    Type.Literal('none'),
    Type.Literal('minimal'),
    Type.Literal('low'),
    Type.Literal('medium'),
    Type.Literal('high'),
    Type.Literal('xhigh'),
    Type.Literal('max'),
  ]),
)

/** Sampling temperature, 0 to 2. */
export const Temperature = Type.Number({
  minimum: 0,
  maximum: MAX_TEMPERATURE,
  description: `Sampling temperature between 0 and ${MAX_TEMPERATURE}.`,
})
/** Nucleus sampling mass, 0 to 1. */
export const TopP = Type.Number({
  minimum: 0,
  maximum: 1,
  description: 'Nucleus sampling probability mass between 0 and 1.',
})

/** An assistant. */
export const Assistant = Type.Object({
  id: Type.String(),
  object: Type.Literal('assistant'),
  created_at: UnixTime,
  name: Nullable(Type.String({ maxLength: 256, description: 'At most 256 characters.' })),
  description: Nullable(Type.String({ maxLength: 512, description: 'At most 512 characters.' })),
  model: Type.String({ description: 'Id of the model to use.' }),
  instructions: Nullable(
    Type.String({ maxLength: 256000, description: 'System instructions, at most 256,000 characters.' }),
  ),
  tools: AssistantTools,
  metadata: Nullable(Metadata),
  response_format: Type.Optional(Nullable(AssistantResponseFormatOption)),
  temperature: Type.Optional(Nullable(Temperature)),
  tool_resources: Type.Optional(Nullable(ToolResources)),
  top_p: Type.Optional(Nullable(TopP)),
})
export type Assistant = Static<typeof Assistant>

const assistantSettings = {
  description: Type.Optional(Nullable(Type.String({ maxLength: 512, description: 'At most 512 characters.' }))),
  instructions: Type.Optional(Nullable(Type.String({ maxLength: 256000, description: 'At most 256,000 characters.' }))),
  metadata: Type.Optional(Nullable(Metadata)),
  name: Type.Optional(Nullable(Type.String({ maxLength: 256, description: 'At most 256 characters.' }))),
  reasoning_effort: Type.Optional(ReasoningEffort),
  response_format: Type.Optional(Nullable(AssistantResponseFormatOption)),
  temperature: Type.Optional(Nullable(Temperature)),
  tools: Type.Optional(AssistantTools),
  top_p: Type.Optional(Nullable(TopP)),
}

/** POST /v1/assistants body. */
export const AssistantCreateParams = Type.Object(
  {
    model: Type.String({ minLength: 1, description: 'Id of the model to use.' }),
    ...assistantSettings,
    tool_resources: Type.Optional(Nullable(ToolResourcesCreate)),
  },
  { additionalProperties: false },
)
export type AssistantCreateParams = Static<typeof AssistantCreateParams>

/** POST /v1/assistants/{assistant_id} body. */
export const AssistantUpdateParams = Type.Object(
  {
    model: Type.Optional(Type.String({ minLength: 1, description: 'Id of the model to use.' })),
    ...assistantSettings,
    tool_resources: Type.Optional(Nullable(ToolResources)),
  },
  { additionalProperties: false },
)
export type AssistantUpdateParams = Static<typeof AssistantUpdateParams>

/** GET /v1/assistants query. */
export const AssistantListParams = Type.Object(listQueryProperties('asst'))
export type AssistantListParams = Static<typeof AssistantListParams>

/** A page of assistants. */
export const AssistantsPage = ListResponse(Assistant)
export type AssistantsPage = Static<typeof AssistantsPage>

/** DELETE /v1/assistants/{assistant_id} reply. */
export const AssistantDeleted = DeletedObject('assistant.deleted')
export type AssistantDeleted = Static<typeof AssistantDeleted>

/** Path of /v1/assistants/{assistant_id}. */
export const AssistantPath = Type.Object({ assistant_id: AssistantId })
export type AssistantPath = Static<typeof AssistantPath>
