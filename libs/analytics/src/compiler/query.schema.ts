import { z } from 'zod';
import { FILTER_OPERATORS, GRANULARITIES } from '../analytics.types';

export const DEFAULT_LIMIT = 1000;
export const MAX_LIMIT = 50_000;
/** Deep enough for any list a tenant has (one row per learner, course or item), and no further. */
export const MAX_OFFSET = 10_000_000;

const member = z.string().min(1).max(200);
const filterValue = z.union([z.string().max(1000), z.number(), z.boolean()]);

export const filterSchema = z.strictObject({
  member,
  operator: z.enum(FILTER_OPERATORS),
  values: z.array(filterValue).max(1000).optional(),
});

export const querySchema = z.strictObject({
  measures: z.array(member).min(1, 'a query asks for at least one measure').max(50),
  dimensions: z.array(member).max(20).optional(),
  filters: z.array(filterSchema).max(50).optional(),
  timeDimension: z
    .strictObject({
      dimension: member,
      granularity: z.enum(GRANULARITIES).optional(),
      dateRange: z.tuple([z.string(), z.string()]).optional(),
      fiscalYear: z.number().int().min(1900).max(2200).optional(),
    })
    .optional(),
  order: z.array(z.strictObject({ member, direction: z.enum(['asc', 'desc']) })).max(20).optional(),
  limit: z
    .number()
    .int('a whole number of rows')
    .min(1, 'at least 1 row')
    .max(MAX_LIMIT, `at most ${MAX_LIMIT.toLocaleString('en-GB')} rows (an export has every row)`)
    .optional(),
  offset: z.number().int().min(0).max(MAX_OFFSET).optional(),
  total: z.boolean().optional(),
});

/** A zod issue as "where: what", e.g. "filters.0.operator: Invalid option ...". */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.length ? i.path.join('.') : 'query'}: ${i.message}`).join('; ');
}
