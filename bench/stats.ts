import type OpenAI from 'openai'

export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1] ?? 0
export const p90 = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.9)] ?? 0

/** The baseline the run and response benchmarks compare with: ms to the first content delta of a streamed chat. */
export async function chatTtft(client: OpenAI, system: string, user: string): Promise<number> {
  const t0 = performance.now()
  const stream = await client.chat.completions.create({
    model: 'bench',
    messages: [
      { role: 'system', content: system },
      { role: 'user', content: user },
    ],
    max_tokens: 8,
    temperature: 0,
    stream: true,
  })
  let first = 0
  for await (const chunk of stream) if (!first && chunk.choices[0]?.delta.content) first = performance.now()
  return first - t0
}

/**
 * Times `a` then `b` in turns, `reps` pairs after one warm-up pair that is dropped; taking turns spreads any drift
 * of the machine over both series alike.
 */
export async function pairedRuns(
  reps: number,
  a: () => Promise<number>,
  b: () => Promise<number>,
): Promise<[number[], number[]]> {
  const as: number[] = []
  const bs: number[] = []
  for (let i = 0; i <= reps; i++) {
    const x = await a()
    const y = await b()
    if (i > 0) {
      as.push(x)
      bs.push(y)
    }
  }
  return [as, bs]
}
