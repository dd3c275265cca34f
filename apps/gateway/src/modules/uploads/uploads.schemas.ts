import { z } from 'zod';
import { MAX_UPLOAD_FILES } from './upload-limits.util';
import { UploadError, type UploadErrorCode } from './uploads.exception';

const ISO_DATE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;

/** A date such as 2025-06-30, or a date-time with its zone; a calendar date that does not exist is refused. */
export const asOfSchema = z.unknown().transform((value, ctx) => {
  const text = typeof value === 'string' ? value.trim() : '';
  const date = new Date(text);
  const valid = ISO_DATE.test(text) && !Number.isNaN(date.getTime()) && (text.length > 10 || date.toISOString().startsWith(text));
  if (!valid) {
    ctx.addIssue({ code: 'custom', message: `"asOf" must be an ISO date such as 2025-06-30 (or a date-time with its zone), got "${String(value)}".` });
    return z.NEVER;
  }
  return date;
});

const COMPLETION_USAGE = 'Send JSON such as { "uploadIds": ["<id from the upload\'s URL>"], "asOf": "2025-06-30" } (asOf is optional).';

/** The body of `POST /uploads/complete`: the finished resumable uploads to load, each once. */
export const completionSchema = z.strictObject(
  {
    uploadIds: z
      .array(z.string({ error: `"uploadIds" must be a list of upload ids. ${COMPLETION_USAGE}` }), {
        error: `"uploadIds" must be a list of upload ids. ${COMPLETION_USAGE}`,
      })
      .min(1, { error: 'The load has no files; list the uploads to load in "uploadIds".' })
      .max(MAX_UPLOAD_FILES, { error: `A load takes at most ${MAX_UPLOAD_FILES} files; load the rest separately.` })
      .transform((ids) => [...new Set(ids)]),
    asOf: asOfSchema.optional(),
  },
  {
    error: (issue) =>
      issue.code === 'unrecognized_keys' ? `Unknown field "${issue.keys[0]}". ${COMPLETION_USAGE}` : COMPLETION_USAGE,
  },
);

export type Completion = z.infer<typeof completionSchema>;

/** A refusal whose code says more than "a field is wrong": no files at all, or too many. */
const ISSUE_CODES: Partial<Record<z.core.$ZodIssue['code'], UploadErrorCode>> = { too_small: 'UPLOAD_EMPTY', too_big: 'UPLOAD_TOO_MANY_PARTS' };

/**
 * `value` as `schema` has it, or an UploadError (400, or 413 for too many files) with the first
 * problem's message and the field it is about in `details.field`.
 */
export function parseRequest<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const code = ISSUE_CODES[issue.code] ?? 'UPLOAD_FIELD_INVALID';
  const field = issue.code === 'unrecognized_keys' ? issue.keys[0] : issue.path[0];
  throw new UploadError(code, issue.message, code === 'UPLOAD_FIELD_INVALID' && field !== undefined ? { field: String(field) } : {});
}

/** The one form field a multipart upload takes besides its files. */
export const uploadFormFieldSchema = z.strictObject(
  { asOf: asOfSchema.optional() },
  { error: (issue) => (issue.code === 'unrecognized_keys' ? `Unknown form field "${issue.keys[0]}"; an upload takes files and an optional "asOf" date.` : undefined) },
);
