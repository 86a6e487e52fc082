import type { HttpRequest } from '../http/request.js'

/** The scheduler lane of a request's engine work: `batch` for the batch runner's in-process requests, else interactive. */
export function laneOf(request: HttpRequest): 'interactive' | 'batch' {
  return request.lane === 'batch' ? 'batch' : 'interactive'
}
