import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { REPO_ROOT } from './paths.js'

/** The prompt length every benchmark aims for, BOS included. */
export const PROMPT_TOKENS = 100

/** A prompt cut to a token budget. */
export type FittedPrompt = { text: string; words: number; tokens: number }

/**
 * The longest word prefix of bench/prompt.txt whose token count (as the engine counts it, BOS included)
 * is at most `maxTokens`: every engine gets the same text, cut by its own tokenizer.
 */
export async function fitPrompt(
  maxTokens: number,
  countTokens: (text: string) => number | Promise<number>,
): Promise<FittedPrompt> {
  const words = (await readFile(path.join(REPO_ROOT, 'bench', 'prompt.txt'), 'utf8')).split(/\s+/).filter(Boolean)
  let best: FittedPrompt | null = null
  let lo = 1
  let hi = words.length
  while (lo <= hi) {
    const mid = (lo + hi) >> 1
    const text = words.slice(0, mid).join(' ')
    const tokens = await countTokens(text)
    if (tokens <= maxTokens) {
      best = { text, words: mid, tokens }
      lo = mid + 1
    } else {
      hi = mid - 1
    }
  }
  if (!best) throw new Error(`Cannot fit the prompt: even one word is over ${maxTokens} tokens`)
  return best
}
