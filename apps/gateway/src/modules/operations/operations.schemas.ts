import { DomainError } from '@kineo/errors';
import { SLUG_MAX } from '@kineo/tenancy';
import { z } from 'zod';

const slug = z.string().trim().min(1, { error: '"slug" is required.' }).max(SLUG_MAX, { error: `"slug" has at most ${SLUG_MAX} characters.` });

/** A BCP 47 tag; whether Intl can format for it is TenantService's check (TENANT_LOCALE_INVALID). */
export const localeSchema = z.string().trim().min(2, { error: '"locale" is a BCP 47 tag such as en-GB.' }).max(35, { error: '"locale" has at most 35 characters.' });

/** provisionTenant's input; the slug's finer rules are TenantService's, the same as `kineo tenant create`. */
export const provisionTenantSchema = z.strictObject({
  slug,
  name: z.string().trim().min(1, { error: '"name" is required.' }).max(200, { error: '"name" has at most 200 characters.' }),
  plan: z.string().trim().min(1, { error: '"plan" is required.' }),
  fiscalStartMonth: z.number().int().min(1, { error: '"fiscalStartMonth" is a month from 1 to 12.' }).max(12, { error: '"fiscalStartMonth" is a month from 1 to 12.' }),
  locale: localeSchema,
});

export const slugArgumentSchema = slug;

/** What the suspend form allows: the reason is kept whole in the audit log and read there by people. */
export const SUSPEND_REASON_MAX = 500;
export const suspendReasonSchema = z
  .string()
  .trim()
  .max(SUSPEND_REASON_MAX, { error: (issue) => `"reason" has at most ${SUSPEND_REASON_MAX} characters; this one has ${(issue.input as string).length}. Shorten it.` });

/** `value` as the schema has it, or BAD_USER_INPUT naming the field. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, argument: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = issue.path.length > 0 ? `${argument}.${issue.path.join('.')}` : argument;
  throw new DomainError('BAD_USER_INPUT', issue.message, { argument: field });
}
