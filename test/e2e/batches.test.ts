import fs from 'node:fs/promises'
import path from 'node:path'
import { APIError } from 'openai'
import t from 'tap'
import { newId } from '../../src/store/ids.js'
import { sweepExpired } from '../../src/store/sweep.js'
import { startTestServer, TRANSPORTS } from '../helpers/server.js'
import {
  chatLine,
  createChatBatch,
  fileLines,
  FINISHED,
  uploadBatchInput,
  usageSum,
  waitForBatch,
} from '../helpers/batches.js'

async function failure(call: () => Promise<unknown>): Promise<APIError> {
  try {
    await call()
  } catch (error) {
    if (error instanceof APIError) return error
    throw error
  }
  throw new Error('The call succeeded but was expected to fail')
}

for (const transport of TRANSPORTS) {
  t.test(`${transport}: batches`, async (t) => {
    const s = await startTestServer({ transport })
    t.teardown(() => s.close())
    const { client } = s
    const finished = (b: { status: string }) => FINISHED.has(b.status)

    t.test('a chat batch with one bad line completes with exact counts, output and error lines', async (t) => {
      const input = await uploadBatchInput(client, [chatLine('a'), chatLine('b', { max_tokens: -1 }), chatLine('c')])
      const created = await client.batches.create({
        input_file_id: input.id,
        endpoint: '/v1/chat/completions',
        completion_window: '24h',
        metadata: { run: 'one' },
      })
      t.match(created, {
        object: 'batch',
        status: 'validating',
        endpoint: '/v1/chat/completions',
        metadata: { run: 'one' },
      })
      t.equal(created.expires_at, created.created_at + 24 * 3600)
      const batch = await waitForBatch(client, created.id, finished)
      t.match(batch, {
        status: 'completed',
        request_counts: { total: 3, completed: 2, failed: 1 },
        model: 'stories260K',
      })
      for (const stamp of ['in_progress_at', 'finalizing_at', 'completed_at'] as const) t.type(batch[stamp], 'number')
      const output = await fileLines(client, batch.output_file_id ?? '')
      t.same(output.map((l) => l['custom_id']).sort(), ['a', 'c'])
      t.same(batch.usage, usageSum(output), 'usage sums the successful lines')
      t.ok((batch.usage?.output_tokens ?? 0) > 0)
      for (const line of output) {
        t.match(line, {
          id: /^batch_req_/,
          response: { status_code: 200, request_id: /^req_/, body: { object: 'chat.completion' } },
          error: null,
        })
      }
      const errors = await fileLines(client, batch.error_file_id ?? '')
      t.equal(errors.length, 1)
      t.match(errors[0], {
        custom_id: 'b',
        response: { status_code: 400, body: { error: { param: 'max_tokens', type: 'invalid_request_error' } } },
        error: null,
      })
      const files = await client.files.retrieve(batch.output_file_id ?? '')
      t.equal(files.purpose, 'batch_output')
      const listed = await client.batches.list({ limit: 100 })
      t.ok(listed.data.some((b) => b.id === batch.id))
    })

    t.test('an embeddings batch returns one embedding per line', async (t) => {
      const lines = ['one', 'two'].map((word) => ({
        custom_id: word,
        method: 'POST',
        url: '/v1/embeddings',
        body: { model: 'stories260K', input: word },
      }))
      const input = await uploadBatchInput(client, lines)
      const created = await client.batches.create({
        input_file_id: input.id,
        endpoint: '/v1/embeddings',
        completion_window: '24h',
      })
      const batch = await waitForBatch(client, created.id, finished)
      t.match(batch, { status: 'completed', request_counts: { total: 2, completed: 2, failed: 0 } })
      t.notOk(batch.error_file_id)
      const output = await fileLines(client, batch.output_file_id ?? '')
      t.equal(output.length, 2)
      for (const line of output) t.match(line.response.body, { object: 'list', data: [{ object: 'embedding' }] })
    })

    t.test('a malformed input file fails the batch naming the lines', async (t) => {
      const input = await uploadBatchInput(client, [
        chatLine('x'),
        'not json',
        chatLine('x'),
        { ...chatLine('y'), url: '/v1/completions' },
        { ...chatLine('z'), method: 'GET' },
      ])
      const created = await client.batches.create({
        input_file_id: input.id,
        endpoint: '/v1/chat/completions',
        completion_window: '24h',
      })
      const batch = await waitForBatch(client, created.id, finished)
      t.equal(batch.status, 'failed')
      t.type(batch.failed_at, 'number')
      t.same(
        batch.errors?.data?.map((e) => [e.line, e.code]),
        [
          [2, 'invalid_json'],
          [3, 'duplicate_custom_id'],
          [4, 'mismatched_url'],
          [5, 'invalid_method'],
        ],
      )
    })

    t.test('a batch past its window ends expired with its lines in the error file as batch_expired', async (t) => {
      const { store, batches } = s.app.deps
      if (!store || !batches) throw new Error('The test server has no store or batch runner')
      const input = await uploadBatchInput(client, [chatLine('e1'), chatLine('e2')])
      const createdAt = Math.floor(Date.now() / 1000) - 25 * 3600 // written as if made 25 hours ago
      const old = await store.batches.create({
        id: newId('batch'),
        object: 'batch',
        endpoint: '/v1/chat/completions',
        input_file_id: input.id,
        completion_window: '24h',
        status: 'validating',
        created_at: createdAt,
        expires_at: createdAt + 24 * 3600,
        request_counts: { total: 0, completed: 0, failed: 0 },
        metadata: null,
      })
      batches.start(old.id)
      const batch = await waitForBatch(client, old.id, finished)
      t.match(batch, { status: 'expired', request_counts: { total: 2, completed: 0, failed: 2 } })
      t.type(batch.expired_at, 'number')
      t.notOk(batch.output_file_id)
      const errors = await fileLines(client, batch.error_file_id ?? '')
      t.same(
        errors.map((l) => [l['custom_id'], l['error']?.code, l['response']]),
        [
          ['e1', 'batch_expired', null],
          ['e2', 'batch_expired', null],
        ],
      )
    })

    t.test('a responses batch runs each line through POST /v1/responses; its files expire as asked', async (t) => {
      const line = (id: string, body: Record<string, unknown> = {}) => ({
        custom_id: id,
        method: 'POST',
        url: '/v1/responses',
        body: { model: 'stories260K', input: `Tell ${id}`, max_output_tokens: 8, ...body },
      })
      const input = await uploadBatchInput(client, [line('r1'), line('r2', { temperature: 5 }), line('r3')])
      const created = await client.batches.create({
        input_file_id: input.id,
        endpoint: '/v1/responses',
        completion_window: '24h',
        output_expires_after: { anchor: 'created_at', seconds: 3600 },
      })
      t.same(created.usage, usageSum([]), 'usage starts at zero')
      const batch = await waitForBatch(client, created.id, finished)
      t.match(batch, { status: 'completed', request_counts: { total: 3, completed: 2, failed: 1 } })
      const output = await fileLines(client, batch.output_file_id ?? '')
      t.same(output.map((l) => l['custom_id']).sort(), ['r1', 'r3'])
      for (const l of output)
        t.match(l, {
          id: /^batch_req_/,
          response: {
            status_code: 200,
            request_id: /^req_/,
            body: { id: /^resp_/, object: 'response', output: Array },
          },
          error: null,
        })
      t.same(batch.usage, usageSum(output), 'usage sums input_tokens and output_tokens of the responses')
      const errors = await fileLines(client, batch.error_file_id ?? '')
      t.match(errors, [{ custom_id: 'r2', response: { status_code: 400, body: { error: { param: 'temperature' } } } }])
      const files = [batch.output_file_id ?? '', batch.error_file_id ?? '']
      for (const id of files) {
        const file = await client.files.retrieve(id)
        t.equal(file.expires_at, file.created_at + 3600, 'output_expires_after dates the output and error files')
      }
      // the periodic sweep, run as if two hours had passed: the files are gone, bytes and all
      const { store, blobs } = s.app.deps
      const swept = await sweepExpired(store, blobs, Math.floor(Date.now() / 1000) + 7200)
      t.ok(files.every((id) => swept.files.includes(id)))
      for (const id of files) {
        t.equal((await failure(() => client.files.retrieve(id))).status, 404)
        t.equal((await failure(() => client.files.content(id))).status, 404)
        await t.rejects(fs.stat(path.join(s.dataDir, 'files', id)), { code: 'ENOENT' })
      }
      const listed = await client.files.list({ purpose: 'batch_output', limit: 100 })
      t.notOk(
        listed.data.some((f) => files.includes(f.id)),
        'expired files are not listed',
      )
    })

    t.test('create refuses bad input with 400s naming the field', async (t) => {
      const notBatch = await client.files.create({ file: new File(['{}'], 'x.jsonl'), purpose: 'user_data' })
      const wrongPurpose = await failure(() =>
        client.batches.create({
          input_file_id: notBatch.id,
          endpoint: '/v1/chat/completions',
          completion_window: '24h',
        }),
      )
      t.match(wrongPurpose, { status: 400, param: 'input_file_id' })
      const unknown = await failure(() =>
        client.batches.create({
          input_file_id: 'file-000000000000000000000000',
          endpoint: '/v1/chat/completions',
          completion_window: '24h',
        }),
      )
      t.match(unknown, { status: 400, param: 'input_file_id' })
      const input = await uploadBatchInput(client, [chatLine('a')])
      const moderations = await failure(() =>
        client.batches.create({ input_file_id: input.id, endpoint: '/v1/moderations', completion_window: '24h' }),
      )
      t.match(moderations, { status: 400, param: 'endpoint' })
      const expiry = await failure(() =>
        client.batches.create({
          input_file_id: input.id,
          endpoint: '/v1/chat/completions',
          completion_window: '24h',
          output_expires_after: { anchor: 'created_at', seconds: 60 },
        }),
      )
      t.match(expiry, { status: 400, param: 'output_expires_after.seconds' })
      const malformed = await failure(() =>
        client.batches.create({
          input_file_id: 'file_abc',
          endpoint: '/v1/chat/completions',
          completion_window: '24h',
        }),
      )
      t.match(malformed, { status: 400, param: 'input_file_id', code: 'invalid_id_prefix' })
      t.match(await failure(() => client.batches.list({ after: 'batch_\u0000' })), { status: 400, param: 'after' })
      t.equal((await failure(() => client.batches.retrieve('batch_000000000000000000000000'))).status, 404)
      const nonsense = await failure(() => client.batches.retrieve('nonsense'))
      t.match(nonsense, { status: 404, message: /No batch found with id 'nonsense'/ })
      t.equal((await failure(() => client.batches.cancel('file-abc'))).status, 404)
    })

    t.test('an interactive chat is served while a 40-request batch runs; cancel keeps partial output', async (t) => {
      const { batch: created } = await createChatBatch(client, 40, 'r', 48)
      await waitForBatch(client, created.id, (b) => (b.request_counts?.completed ?? 0) >= 1)
      const chat = await client.chat.completions.create({
        model: 'stories260K',
        messages: [{ role: 'user', content: 'Hello' }],
        max_tokens: 4,
      })
      t.equal(chat.object, 'chat.completion')
      const during = await client.batches.retrieve(created.id)
      t.equal(during.status, 'in_progress', 'the batch was still running when the chat returned')
      t.ok((during.request_counts?.completed ?? 0) < 40)
      const cancelling = await client.batches.cancel(created.id)
      t.equal(cancelling.status, 'cancelling')
      t.type(cancelling.cancelling_at, 'number')
      const batch = await waitForBatch(client, created.id, finished)
      t.equal(batch.status, 'cancelled')
      t.type(batch.cancelled_at, 'number')
      const counts = batch.request_counts ?? { total: 0, completed: 0, failed: 0 }
      t.equal(counts.total, 40)
      t.ok(counts.completed >= 1 && counts.completed < 40)
      const output = await fileLines(client, batch.output_file_id ?? '')
      t.equal(output.length, counts.completed, 'the output file holds every request finished before the cancel')
      const errors = await fileLines(client, batch.error_file_id ?? '')
      t.equal(errors.length, 40 - counts.completed)
      t.match(errors[0], { response: null, error: { code: 'batch_cancelled' } })
      const ids = new Set([...output, ...errors].map((l) => l['custom_id']))
      t.equal(ids.size, 40, 'every custom_id once across both files')
      t.equal((await failure(() => client.batches.cancel(created.id))).status, 400)
    })
  })
}
