import { BadRequestError } from '../http/errors.js'
import type { Router } from '../http/router.js'
import { DetokenizeParams, DetokenizeResponse, TokenizeParams, TokenizeResponse } from '../schemas/tokenize.js'
import { requireEngine, type ApiDeps } from './deps.js'

const utf8 = new TextDecoder('utf-8', { fatal: true })

/** Registers llama-server's POST /tokenize and POST /detokenize (the model's own tokenizer, ported to JS). */
export function registerTokenize(router: Router, deps: ApiDeps): void {
  router.post(
    '/tokenize',
    { body: TokenizeParams, response: TokenizeResponse, summary: "Tokenizes text with the model's tokenizer" },
    (c) => {
      const { tokenizer } = requireEngine(deps)
      const ids = tokenizer.tokenize(c.body.content, { addSpecial: c.body.add_special ?? false, parseSpecial: true })
      if (!c.body.with_pieces) return { tokens: ids }
      return { tokens: ids.map((id) => ({ id, piece: pieceOf(tokenizer.pieceBytes(id)) })) }
    },
  )

  router.post(
    '/detokenize',
    { body: DetokenizeParams, response: DetokenizeResponse, summary: 'Turns token ids back into text' },
    (c) => {
      const { tokenizer } = requireEngine(deps)
      const bad = c.body.tokens.findIndex((id) => id >= tokenizer.vocabSize)
      if (bad >= 0)
        throw new BadRequestError(
          `Token id ${c.body.tokens[bad]} is outside the model's vocabulary (0..${tokenizer.vocabSize - 1})`,
          { param: `tokens[${bad}]` },
        )
      return { content: tokenizer.detokenize(c.body.tokens) }
    },
  )
}

// llama-server shows a piece as text when its bytes are valid UTF-8 alone, else as the byte list
function pieceOf(bytes: Uint8Array): string | number[] {
  try {
    return utf8.decode(bytes)
  } catch {
    return [...bytes]
  }
}
