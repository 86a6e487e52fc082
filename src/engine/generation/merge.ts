/** Runs async iterables concurrently and yields their items as they arrive; returning early closes them all. */
export async function* mergeAsync<T>(sources: AsyncIterable<T>[]): AsyncGenerator<T> {
  const iterators = sources.map((s) => s[Symbol.asyncIterator]())
  const next = (i: number) => {
    const promise = (iterators[i] as AsyncIterator<T>).next().then((result) => ({ i, result }))
    // a source is read ahead while this generator waits at a yield: if it fails then (an abort) and the consumer
    // never comes back (a stream whose client left before its first write), that must not be an unhandled
    // rejection; a consumer that does come back still gets the error from Promise.race
    promise.catch(() => {})
    return promise
  }
  const pending = new Map(iterators.map((_, i) => [i, next(i)]))
  try {
    while (pending.size > 0) {
      const { i, result } = await Promise.race(pending.values())
      if (result.done) pending.delete(i)
      else {
        pending.set(i, next(i))
        yield result.value
      }
    }
  } finally {
    // a source's next() still in flight settles after we stop listening (an abort rejects it): mark it handled
    for (const promise of pending.values()) promise.catch(() => {})
    // unfinished sources run their own cleanup (cancelling their engine requests)
    await Promise.allSettled([...pending.keys()].map((i) => iterators[i]?.return?.()))
  }
}
