import t from 'tap'
import { encodeSse, formatSse } from '../../../src/http/sse.js'

t.test('encodeSse() writes a data-only event as one data line and a blank line', async (t) => {
  t.equal(new TextDecoder().decode(encodeSse({ data: '{"a":1}' })), 'data: {"a":1}\n\n')
})

t.test('encodeSse() splits multi-line data on LF, CRLF and CR', async (t) => {
  t.equal(formatSse({ data: 'one\ntwo\r\nthree\rfour' }), 'data: one\ndata: two\ndata: three\ndata: four\n\n')
  t.equal(formatSse({ data: '' }), 'data: \n\n')
  t.equal(formatSse({ data: 'end\n' }), 'data: end\ndata: \n\n')
})

t.test('encodeSse() writes event, id and retry before data', async (t) => {
  t.equal(
    formatSse({ event: 'thread.run.created', id: '7', retry: 1000, data: '{}' }),
    'event: thread.run.created\nid: 7\nretry: 1000\ndata: {}\n\n',
  )
})

t.test('encodeSse() rejects line breaks in event and id', async (t) => {
  t.throws(() => encodeSse({ event: 'a\nb', data: 'x' }), /event: it contains a line break/)
  t.throws(() => encodeSse({ event: 'a\rb', data: 'x' }), /line break/)
  t.throws(() => encodeSse({ id: '1\r\n2', data: 'x' }), /id: it contains a line break/)
  t.throws(() => encodeSse({ retry: -1, data: 'x' }), /retry/)
})

t.test('encodeSse() writes comments as colon lines that clients skip', async (t) => {
  t.equal(formatSse({ comment: 'ping' }), ': ping\n\n')
  t.equal(formatSse({ comment: 'a\nb' }), ': a\n: b\n\n')
})

t.test('encodeSse() encodes as UTF-8', async (t) => {
  t.same([...encodeSse({ data: 'é' })], [...new TextEncoder().encode('data: é\n\n')])
})
