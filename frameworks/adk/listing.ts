/**
 * ADK's listing answer: order by last update, then `limit` with `offset` or `page`, and the
 * `page`, `limit`, `totalItems`, `totalPages` fields, as ADK's own session services compute them.
 *
 * @module
 */
import type { ListSessionsRequest, ListSessionsResponse, Session } from '@google/adk';
import { InvalidArgumentError } from '../../src/errors.js';

/** Orders and pages `sessions` (every match) as `request` asks; newest first by default. */
export function listPage(sessions: Session[], request: ListSessionsRequest): ListSessionsResponse {
  const { limit, offset, page, order = 'desc' } = request;
  check('limit', limit, 0);
  check('offset', offset, 0);
  check('page', page, 1);
  if (order !== 'asc' && order !== 'desc') throw new InvalidArgumentError(`order must be 'asc' or 'desc'; got ${JSON.stringify(order)}`);
  const sign = order === 'asc' ? 1 : -1;
  sessions.sort((a, b) => sign * (a.lastUpdateTime - b.lastUpdateTime) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const totalItems = sessions.length;
  if (limit === undefined) {
    return { sessions: sessions.slice(offset ?? 0), page: 1, limit: totalItems, totalItems, totalPages: totalItems === 0 ? 0 : 1 };
  }
  const start = page !== undefined ? (page - 1) * limit : (offset ?? 0);
  return {
    sessions: sessions.slice(start, start + limit),
    page: page ?? (limit === 0 ? 1 : Math.floor(start / limit) + 1),
    limit,
    totalItems,
    totalPages: limit === 0 ? 0 : Math.ceil(totalItems / limit),
  };
}

function check(name: string, value: number | undefined, least: number): void {
  if (value !== undefined && !(Number.isSafeInteger(value) && value >= least)) {
    throw new InvalidArgumentError(`${name} must be a whole number >= ${least}; got ${String(value)}`);
  }
}
