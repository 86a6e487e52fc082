import t from 'tap'
import { startTestServer } from '../helpers/server.js'

// chatml whose generation prompt opens a reasoning block (llama-server's "thinking forced open"): what the model
// writes is reasoning until it writes </think>, which stories260K never does
const THINKING_CHATML =
  "{% for message in messages %}{{ '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>\\n' }}" +
  "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n<think>\\n' }}{% endif %}"

t.test('a template that opens <think>: the output is a reasoning item, streamed and counted', async (t) => {
  const s = await startTestServer({ transport: 'uws', args: ['--chat-template', THINKING_CHATML] })
  t.teardown(() => s.close())
  const stream = s.client.responses.stream({
    model: 'stories260K',
    input: 'Once upon a time',
    max_output_tokens: 8,
    temperature: 0,
  })
  let deltas = ''
  const types: string[] = []
  for await (const event of stream) {
    types.push(event.type)
    if (event.type === 'response.reasoning_text.delta') deltas += event.delta
    t.not(event.type, 'response.output_text.delta', 'no answer text: the model never closed its reasoning')
  }
  const response = await stream.finalResponse()
  t.equal(response.status, 'incomplete')
  t.same(response.incomplete_details, { reason: 'max_output_tokens' })
  t.equal(response.output.length, 1, 'only the reasoning item')
  const item = response.output[0]
  if (item?.type !== 'reasoning') return t.fail(`a reasoning item, got ${item?.type}`)
  t.match(item.id, /^rs_[0-9A-Za-z]{24}$/)
  t.same(item.summary, [])
  t.equal(item.status, 'incomplete')
  t.equal(item.content?.length, 1)
  t.equal(item.content?.[0]?.type, 'reasoning_text')
  t.ok(deltas.length > 0, 'reasoning text was streamed')
  t.equal(item.content?.[0]?.text, deltas, 'the item holds the streamed deltas merged')
  t.ok(types.includes('response.reasoning_text.done'))
  const usage = response.usage
  t.ok((usage?.output_tokens_details.reasoning_tokens ?? 0) > 0, 'reasoning tokens counted')
  t.ok((usage?.output_tokens_details.reasoning_tokens ?? 0) <= (usage?.output_tokens ?? 0))

  const stored = await s.client.responses.retrieve(response.id)
  t.same(stored.output, response.output, 'the stored response keeps the reasoning item')
  const next = await s.client.responses.create({
    model: 'stories260K',
    previous_response_id: response.id,
    input: 'Go on',
    max_output_tokens: 2,
    temperature: 0,
  })
  t.equal(next.output[0]?.type, 'reasoning', 'a chained response reasons too (the earlier reasoning left the prompt)')
})
