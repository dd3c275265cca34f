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
  const base = original.split(/[/\\]/).pop() ?? '';
  const name = base.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^[._-]+/, '');
  if (name.length === 0 || name.length > MAX_NAME || !ACCEPTED.test(name)) {
    throw new UploadError(
      'UPLOAD_FILE_NAME_INVALID',
      `The file "${original}" cannot be taken: only .csv and .xlsx files, with names of at most ${MAX_NAME} characters, are accepted.`,
      { file: original },
    );
  }
  return name;
}
