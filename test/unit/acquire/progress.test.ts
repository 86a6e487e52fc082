import t from 'tap'
import { createProgress } from '../../../src/acquire/progress.js'

const MIB = 1024 * 1024

function fakeStream(isTTY: boolean): { isTTY: boolean; writes: string[]; write(chunk: string): boolean } {
  const writes: string[] = []
  return { isTTY, writes, write: (chunk) => (writes.push(chunk), true) }
}

t.test('createProgress() writes plain lines at most every intervalMs and once at 100% when not a TTY', async (t) => {
  const stream = fakeStream(false)
  let now = 0
  const progress = createProgress({ label: 'model.gguf', total: 10 * MIB, stream, intervalMs: 5000, now: () => now })
  for (let second = 0; second <= 9; second++) {
    now = second * 1000
    progress.update(second * MIB)
  }
  t.equal(stream.writes.length, 1, 'one line in 9 s with a 5 s interval')
  t.equal(stream.writes[0], 'model.gguf  50% 5.0/10.0 MiB 1.0 MiB/s eta 5s\n')
  now = 10_000
  progress.update(10 * MIB)
  progress.update(10 * MIB)
  progress.finish()
  t.equal(stream.writes.length, 2, '100% is printed once, finish() adds nothing')
  t.equal(stream.writes[1], 'model.gguf 100% 10.0/10.0 MiB 1.0 MiB/s\n')
  t.notOk(stream.writes.join('').includes('\r'))
})

t.test('createProgress() prints a final line on finish() when 100% was never reached', async (t) => {
  const stream = fakeStream(false)
  let now = 0
  const progress = createProgress({ label: 'load', total: 100, unit: 'count', stream, now: () => now })
  progress.update(0)
  now = 2000
  progress.update(40)
  t.equal(stream.writes.length, 0)
  progress.finish()
  t.same(stream.writes, ['load  40% 40/100 20/s eta 3s\n'])
})

t.test('createProgress() redraws one bar line on a TTY and ends it with a newline', async (t) => {
  const stream = fakeStream(true)
  let now = 0
  const progress = createProgress({ label: 'name', total: 27.1 * MIB, stream, now: () => now })
  progress.update(0)
  now = 50
  progress.update(1 * MIB)
  t.equal(stream.writes.length, 1, 'redraws are throttled')
  now = 2300
  progress.update(12.3 * MIB)
  t.equal(stream.writes.at(-1), '\rname  45% |#########...........| 12.3/27.1 MiB 5.3 MiB/s eta 3s\x1b[K')
  progress.finish()
  t.equal(stream.writes.at(-1), '\n')
  progress.update(27.1 * MIB)
  t.equal(stream.writes.at(-1), '\n', 'updates after finish() are ignored')
})

t.test('createProgress() shows amount and rate without a percentage when the total is unknown', async (t) => {
  const stream = fakeStream(false)
  let now = 0
  const progress = createProgress({ label: 'x', stream, intervalMs: 1000, now: () => now })
  progress.update(0)
  now = 1000
  progress.update(512 * 1024)
  t.same(stream.writes, ['x 512.0 KiB 512.0 KiB/s\n'])
  now = 2000
  progress.update(MIB, 2 * MIB)
  progress.update(2 * MIB)
  t.equal(stream.writes.at(-1), 'x 100% 2.0/2.0 MiB 1.0 MiB/s\n', 'a total given later is used')
})
