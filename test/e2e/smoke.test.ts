import t from 'tap'
import { startTestServer, TRANSPORTS } from '../helpers/server.js'

for (const transport of TRANSPORTS) {
  t.test(`${transport}: chat completion through the openai SDK`, async (t) => {
    const s = await startTestServer({ transport })
    t.teardown(() => s.close())
    t.equal(s.server.transport, transport)
    const res = await s.client.chat.completions.create({
      model: 'stories260K',
      messages: [{ role: 'user', content: 'Hi' }],
      max_tokens: 10,
      temperature: 0,
    })
    t.equal(res.object, 'chat.completion')
    t.equal(res.usage?.completion_tokens, 10)
    const stream = await s.client.chat.completions.create({
      model: 'stories260K',
      messages: [{ role: 'user', content: 'Hi' }],
      max_tokens: 10,
      temperature: 0,
      stream: true,
      stream_options: { include_usage: true },
    })
    let text = ''
    let usage = null
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? ''
      usage = chunk.usage ?? usage
    }
    t.equal(text, res.choices[0]?.message.content)
    t.equal(usage?.completion_tokens, 10)
  })
}
