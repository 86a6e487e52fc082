import t from 'tap'
import { toApiError } from '../../../src/api/errors.js'
import { BadRequestError } from '../../../src/http/errors.js'
import { StoreError } from '../../../src/store/errors.js'

t.test('toApiError() makes a value the store refused a 400, never a 500', async (t) => {
  const error = toApiError(
    new StoreError(
      'invalid_input',
      'Cannot store a value of the request: invalid byte sequence for encoding "UTF8": 0x00',
    ),
  )
  t.ok(error instanceof BadRequestError)
  t.match(error, { status: 400, type: 'invalid_request_error', code: 'invalid_value' })
  t.equal((error as BadRequestError).headers['x-should-retry'], 'false')
})
