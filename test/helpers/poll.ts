/**
 * Reads an object until `done` holds for it (a state, never a time: reads are 25 ms apart), failing after
 * `timeoutMs` with `describe` of the last read.
 */
export async function pollUntil<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs: number,
  describe: (value: T) => string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await read()
    if (done(value)) return value
    if (Date.now() > deadline) throw new Error(describe(value))
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}
