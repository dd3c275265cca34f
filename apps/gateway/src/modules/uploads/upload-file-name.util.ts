import { UploadError } from './uploads.exception';

const MAX_NAME = 255;
const ACCEPTED = /^[A-Za-z0-9][A-Za-z0-9._-]*\.(csv|xlsx)$/i;

/**
 * The name a file is stored under in the landing folder: the base name only (a browser or a
 * hostile client may send a path), with anything outside [A-Za-z0-9._-] replaced by "_" and no
 * leading dots. Only .csv and .xlsx are taken.
 */
export function safeUploadName(sent: string | undefined): string {
  const original = sent ?? '';
  const name = uploadedName(original).replace(/[^A-Za-z0-9._-]/g, '_').replace(/^[._-]+/, '');
  if (name.length === 0 || name.length > MAX_NAME || !ACCEPTED.test(name)) {
    throw new UploadError(
      'UPLOAD_FILE_NAME_INVALID',
      `The file "${original}" cannot be taken: only .csv and .xlsx files, with names of at most ${MAX_NAME} characters, are accepted.`,
      { file: original },
    );
  }
  return name;
}

/**
 * The name the customer knows the file by ("users (1).csv"): the base name of what was sent, as
 * it was sent. Every message and list about the load names it so, not by its landed name.
 */
export function uploadedName(sent: string): string {
  return sent.split(/[/\\]/).pop() ?? '';
}

/** `uploadedAs` for a landed file: the name as sent where the landed name differs from it. */
export function uploadedAs(sent: string, landedName: string): { uploadedAs?: string } {
  const name = uploadedName(sent);
  return name === landedName ? {} : { uploadedAs: name };
}
