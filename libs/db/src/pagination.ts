import { DomainError } from '@kineo/errors';

export const PAGE_DEFAULT = 20;
export const PAGE_MAX = 100;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Whether `id` can be a row's uuid. A lookup by an id that cannot be one answers "not found" at
 * once: Postgres would refuse the comparison, and the caller would get an internal error.
 */
export function isUuid(id: string): boolean {
  return UUID.test(id);
}

export interface PageRequest {
  /** How many items; PAGE_DEFAULT when not given, at most PAGE_MAX. */
  first?: number | null;
  /** The `endCursor` of the previous page. */
  after?: string | null;
}

export interface Page<T> {
  items: T[];
  /** Pass as `after` for the next page; null on the last page. */
  endCursor: string | null;
  hasNextPage: boolean;
}

/** A keyset position: the sort value and the id that breaks ties, opaque to callers. */
export interface Keyset {
  key: string;
  id: string;
}

export class PaginationError extends DomainError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('BAD_USER_INPUT', message, details);
  }
}

/** The page size, checked: a caller asking for 0 or 10 000 learns the bounds instead of a silent clamp. */
export function pageSize(first: number | null | undefined, argument = 'first'): number {
  if (first === undefined || first === null) return PAGE_DEFAULT;
  if (!Number.isInteger(first) || first < 1 || first > PAGE_MAX) {
    throw new PaginationError(`"${argument}" must be a whole number from 1 to ${PAGE_MAX}, got ${first}.`, { argument, value: first });
  }
  return first;
}

export function encodeCursor(position: Keyset): string {
  return Buffer.from(JSON.stringify([position.key, position.id]), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string | null | undefined, argument = 'after'): Keyset | undefined {
  if (cursor === undefined || cursor === null || cursor === '') return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2 && typeof value[0] === 'string' && typeof value[1] === 'string') {
      return { key: value[0], id: value[1] };
    }
  } catch {
    // Falls through to the error below: the cursor was not one this service handed out.
  }
  throw new PaginationError(`"${argument}" is not a cursor from a previous page; pass the endCursor you were given.`, { argument });
}

/**
 * Cuts a page out of `size + 1` fetched rows: the extra row only tells whether there is a next page.
 */
export function toPage<T>(rows: T[], size: number, positionOf: (row: T) => Keyset): Page<T> {
  const items = rows.slice(0, size);
  const hasNextPage = rows.length > size;
  const last = items[items.length - 1];
  return { items, hasNextPage, endCursor: hasNextPage && last ? encodeCursor(positionOf(last)) : null };
}

/** Prisma `where` for "older than the cursor" on (createdAt desc, id desc). */
export function olderThan(position: Keyset | undefined): Record<string, unknown> {
  if (!position) return {};
  const createdAt = new Date(position.key);
  // Postgres refuses a uuid comparison with anything else, which would surface as an internal error.
  if (Number.isNaN(createdAt.getTime()) || !isUuid(position.id)) throw new PaginationError('"after" is not a cursor from a previous page.', { argument: 'after' });
  return { OR: [{ createdAt: { lt: createdAt } }, { createdAt, id: { lt: position.id } }] };
}
