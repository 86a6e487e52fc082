import { BadRequestError } from '../http/errors.js'
import type { AssistantTool, ToolResources, ToolResourcesCreate } from '../schemas/assistants.js'
import type { MessageCreateParams } from '../schemas/messages.js'
import type { ApiDeps } from './deps.js'

/** Whether the loaded model takes images (false while it loads). */
export function modelTakesImages(deps: ApiDeps): boolean {
  return deps.model.engine?.model.hasImageInput ?? false
}

/** Refuses every tool but `function`: this server runs no code_interpreter or file_search. */
export function checkTools(tools: readonly AssistantTool[] | undefined, param = 'tools'): void {
  for (const [i, tool] of (tools ?? []).entries()) {
    if (tool.type === 'function') continue
    throw new BadRequestError(`Tool type '${tool.type}' is not supported by this server yet`, {
      param: `${param}[${i}].type`,
      code: 'unsupported_tool',
      shouldRetry: false,
    })
  }
}

/** Refuses tool_resources that name files or vector stores (empty lists and objects pass). */
export function checkToolResources(
  resources: ToolResources | ToolResourcesCreate | null | undefined,
  param = 'tool_resources',
): void {
  if (!resources) return
  const files = resources.code_interpreter?.file_ids ?? []
  if (files.length > 0) throw unsupportedResource('code_interpreter', `${param}.code_interpreter.file_ids`)
  const search = resources.file_search
  if ((search?.vector_store_ids ?? []).length > 0)
    throw unsupportedResource('file_search', `${param}.file_search.vector_store_ids`)
  if (search && 'vector_stores' in search && (search.vector_stores ?? []).length > 0) {
    throw unsupportedResource('file_search', `${param}.file_search.vector_stores`)
  }
}

function unsupportedResource(type: string, param: string): BadRequestError {
  return new BadRequestError(`Tool resources of type '${type}' are not supported by this server yet`, {
    param,
    code: 'unsupported_tool',
    shouldRetry: false,
  })
}

/**
 * Refuses image parts (the runs prompt is text only) and file attachments (there is no Files API) of a new message;
 * `prefix` is the message's own param, e.g. `messages[2]`, or '' for a message create body.
 */
export function checkNewMessage(
  message: MessageCreateParams,
  options: { prefix: string; hasImageInput: boolean },
): void {
  const at = (name: string) => (options.prefix === '' ? name : `${options.prefix}.${name}`)
  if (typeof message.content !== 'string') {
    for (const [j, part] of message.content.entries()) {
      if (part.type === 'text') continue
      const reason = options.hasImageInput
        ? 'image input through the Assistants API is not supported by this server yet'
        : 'this model does not support image input'
      throw new BadRequestError(`Invalid '${at(`content[${j}]`)}': ${reason}; only text content parts are accepted.`, {
        param: at(`content[${j}]`),
        code: 'unsupported_content',
        shouldRetry: false,
      })
    }
  }
  const attachments = message.attachments ?? []
  if (attachments.length > 0) {
    throw new BadRequestError('File attachments are not supported by this server yet: it has no Files API.', {
      param: at('attachments[0]'),
      code: 'unsupported_content',
      shouldRetry: false,
    })
  }
}

/** checkNewMessage() over a list of messages whose param is `param` (e.g. `messages`). */
export function checkNewMessages(
  messages: readonly MessageCreateParams[] | undefined,
  options: { param: string; hasImageInput: boolean },
): void {
  for (const [i, message] of (messages ?? []).entries()) {
    checkNewMessage(message, { prefix: `${options.param}[${i}]`, hasImageInput: options.hasImageInput })
  }
}
