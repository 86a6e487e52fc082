import t from 'tap'
import { ToolCallAccumulator, type ToolCallPiece } from '../../../../src/engine/generation/tool-call-accumulator.js'
import {
  ArgumentsStreamer,
  NamedCallStreamer,
  type CallStreamer,
} from '../../../../src/engine/generation/tool-call-streamer.js'

// Feeds text in the given pieces (as tokens arrive) and returns every tool-call piece, in order
function stream(streamer: CallStreamer, pieces: string[]): ToolCallPiece[] {
  return pieces.flatMap((piece) => streamer.push(piece))
}

function accumulate(pieces: ToolCallPiece[]) {
  const acc = new ToolCallAccumulator()
  for (const piece of pieces) acc.add(piece)
  return acc.calls
}

// Every split of a text into characters, pairs and the whole: the result must not depend on token boundaries
function splits(text: string): string[][] {
  return [[text], [...text], text.match(/.{1,2}/gs) ?? [], text.match(/.{1,5}/gs) ?? []]
}

t.test('ToolCallAccumulator merges pieces by index: id from the first, names and arguments concatenated', async (t) => {
  const calls = accumulate([
    { index: 0, id: 'call_a', name: 'get_', arguments: '' },
    { index: 1, id: 'call_b', name: 'get_time', arguments: '{"zone":' },
    { index: 0, name: 'weather', arguments: '{"city"' },
    { index: 0, arguments: ':"Rome"}' },
    { index: 1, arguments: '"UTC"}' },
  ])
  t.same(calls, [
    { id: 'call_a', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Rome"}' } },
    { id: 'call_b', type: 'function', function: { name: 'get_time', arguments: '{"zone":"UTC"}' } },
  ])
})

t.test(
  'ToolCallAccumulator leaves no hole for an index never seen, and a later id replaces an empty one',
  async (t) => {
    const calls = accumulate([
      { index: 2, arguments: '{}' },
      { index: 2, id: 'call_late', arguments: '' },
    ])
    t.same(calls, [{ id: 'call_late', type: 'function', function: { name: '', arguments: '{}' } }])
  },
)

t.test(
  'ArgumentsStreamer: one arguments object becomes one call, header first, whatever the token split',
  async (t) => {
    const text = '{"city":"Ro\\"me","n":[1,{"a":"}"}]}'
    for (const pieces of splits(text)) {
      const streamer = new ArgumentsStreamer('get_weather')
      const out = stream(streamer, pieces)
      t.match(out[0], { index: 0, id: /^call_/, name: 'get_weather', arguments: '' }, 'id and name first')
      t.ok(
        out.slice(1).every((p) => p.id === undefined && p.name === undefined && p.index === 0),
        'then arguments only',
      )
      const calls = accumulate(out)
      t.equal(calls.length, 1)
      t.equal(calls[0]?.function.arguments, text, 'the arguments, braces and escapes inside strings included')
      t.equal(streamer.count, 1)
    }
  },
)

t.test('ArgumentsStreamer: an array of argument objects becomes parallel calls with their own ids', async (t) => {
  const text = '[{"city":"Rome"}, {"city":"Paris"}\n]'
  for (const pieces of splits(text)) {
    const streamer = new ArgumentsStreamer('get_weather')
    const calls = accumulate(stream(streamer, pieces))
    t.same(
      calls.map((c) => [c.function.name, c.function.arguments]),
      [
        ['get_weather', '{"city":"Rome"}'],
        ['get_weather', '{"city":"Paris"}'],
      ],
    )
    t.not(calls[0]?.id, calls[1]?.id)
    t.equal(streamer.count, 2)
  }
})

t.test('ArgumentsStreamer: partial JSON streams what it has; nothing before the first brace', async (t) => {
  const streamer = new ArgumentsStreamer('f')
  t.same(streamer.push('  '), [], 'whitespace before the object is no call')
  t.equal(streamer.count, 0)
  const first = streamer.push('{"a":')
  t.equal(first.length, 2)
  t.equal(first[1]?.arguments, '{"a":')
  t.same(streamer.push('"x'), [{ index: 0, arguments: '"x' }])
  t.same(streamer.push(''), [], 'an empty piece adds nothing')
})

t.test('NamedCallStreamer: a {"name","arguments"} object becomes a call whatever the token split', async (t) => {
  const text = '{"name": "get_weather", "arguments": {"city": "Rome", "q": "a,b}"} }'
  for (const pieces of splits(text)) {
    const streamer = new NamedCallStreamer()
    const out = stream(streamer, pieces)
    t.match(out[0], { index: 0, id: /^call_/, name: 'get_weather', arguments: '' }, 'id and name first')
    const calls = accumulate(out)
    t.equal(calls.length, 1)
    t.equal(calls[0]?.function.name, 'get_weather')
    t.equal(calls[0]?.function.arguments, '{"city": "Rome", "q": "a,b}"}', 'no whitespace around the value')
  }
})

t.test('NamedCallStreamer: an array of calls (parallel) becomes one call per element', async (t) => {
  const text = '[{"name":"get_weather","arguments":{"city":"Rome"}},{"name":"get_time","arguments":{}}]'
  for (const pieces of splits(text)) {
    const streamer = new NamedCallStreamer()
    const calls = accumulate(stream(streamer, pieces))
    t.same(
      calls.map((c) => [c.function.name, c.function.arguments]),
      [
        ['get_weather', '{"city":"Rome"}'],
        ['get_time', '{}'],
      ],
    )
    t.equal(streamer.count, 2)
  }
})

t.test('NamedCallStreamer: a name with escapes is decoded; arguments after the name stream as they come', async (t) => {
  const streamer = new NamedCallStreamer()
  t.same(streamer.push('{"name":"a\\u00e9'), [], 'no header until the name is complete')
  const header = streamer.push('","arguments":{"x"')
  t.match(header, [
    { index: 0, name: 'aé', arguments: '' },
    { index: 0, arguments: '{"x"' },
  ])
  t.same(streamer.push(':1'), [{ index: 0, arguments: ':1' }])
})
