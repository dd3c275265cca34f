import { Upload } from 'tus-js-client';

/** Above this size a file goes through the resumable (tus) endpoint, so a dropped connection costs a chunk, not the file. */
export const RESUMABLE_THRESHOLD_BYTES = 50_000_000;
const CHUNK_BYTES = 8 * 1024 * 1024;

export interface UploadReceipt {
  ingestionRunId: string;
  buildRunId: string;
  asOf: string;
  files: { name: string; bytes: number }[];
}

/** Bytes of each file sent so far, by the file's place in the list. */
export type OnProgress = (index: number, bytesSent: number) => void;

export class UploadFailure extends Error {
  constructor(
    message: string,
    readonly code: string,
    /** The file the refusal is about, when the gateway named one. */
    readonly file?: string,
  ) {
    super(message);
    this.name = 'UploadFailure';
  }
}

interface RestProblem {
  code?: string;
  message?: string;
  details?: { file?: string };
}

function failureOf(status: number, text: string): UploadFailure {
  let body: RestProblem = {};
  try {
    body = JSON.parse(text) as RestProblem;
  } catch {
    // Not JSON (a proxy's page): the status still says what happened.
  }
  return new UploadFailure(body.message ?? `The upload failed (HTTP ${status}).`, body.code ?? 'UPLOAD_FAILED', body.details?.file);
}

/** Which file a count of bytes sent of the multipart body is in, and how far into it (part headers are small next to files). */
function spread(files: File[], sent: number, onProgress: OnProgress): void {
  let before = 0;
  files.forEach((file, index) => {
    onProgress(index, Math.max(0, Math.min(file.size, sent - before)));
    before += file.size;
  });
}

/** One load of every file in one multipart request (through the portal to the gateway's POST /uploads). */
export function uploadMultipart(files: File[], asOf: string | undefined, onProgress: OnProgress): Promise<UploadReceipt> {
  const form = new FormData();
  if (asOf) form.append('asOf', asOf);
  for (const file of files) form.append('files', file, file.name);
  return new Promise((resolve, reject) => {
    // XMLHttpRequest, not fetch: only it reports how much of a request body has been sent.
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/api/uploads');
    xhr.upload.onprogress = (event) => spread(files, event.loaded, onProgress);
    xhr.onload = () => {
      if (xhr.status === 202 || xhr.status === 200) {
        spread(files, Number.MAX_SAFE_INTEGER, onProgress);
        resolve(JSON.parse(xhr.responseText) as UploadReceipt);
      } else reject(failureOf(xhr.status, xhr.responseText));
    };
    xhr.onerror = () => reject(new UploadFailure('The connection dropped during the upload. Nothing was loaded; upload the files again.', 'UPLOAD_INTERRUPTED'));
    xhr.send(form);
  });
}

/** One file through the portal's tus endpoint; resolves with the upload's id once the gateway has every byte. */
function sendResumable(file: File, onBytes: (sent: number) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    const upload = new Upload(file, {
      endpoint: '/api/uploads/resumable',
      chunkSize: CHUNK_BYTES,
      retryDelays: [0, 1000, 3000, 5000, 10000],
      metadata: { filename: file.name },
      removeFingerprintOnSuccess: true,
      onProgress: (sent) => onBytes(sent),
      onSuccess: () => resolve(upload.url!.split('/').pop()!),
      onError: (error) => {
        const res = (error as { originalResponse?: { getStatus(): number; getBody(): string } | null }).originalResponse;
        reject(res ? failureOf(res.getStatus(), res.getBody()) : new UploadFailure(`"${file.name}" could not be sent: ${error.message}`, 'UPLOAD_INTERRUPTED', file.name));
      },
    });
    // A file the browser started sending before (a dropped tab) resumes where it stopped.
    void upload.findPreviousUploads().then((previous) => {
      if (previous[0]) upload.resumeFromPreviousUpload(previous[0]);
      upload.start();
    });
  });
}

/** Every file through the resumable endpoint, then one load of them all (POST /uploads/complete). */
export async function uploadResumable(files: File[], asOf: string | undefined, onProgress: OnProgress): Promise<UploadReceipt> {
  const uploadIds: string[] = [];
  for (const [index, file] of files.entries()) uploadIds.push(await sendResumable(file, (sent) => onProgress(index, sent)));
  const res = await fetch('/api/uploads/complete', {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ uploadIds, ...(asOf ? { asOf } : {}) }),
  });
  if (!res.ok) throw failureOf(res.status, await res.text());
  return (await res.json()) as UploadReceipt;
}
