'use client';

import { useId, useRef, useState, type DragEvent } from 'react';
import { formatBytes } from '@/app/_shared/format-bytes.util';
import { useLocale } from '../../dashboards/_components/use-locale';
import { RESUMABLE_THRESHOLD_BYTES, UploadFailure, uploadMultipart, uploadResumable, type UploadReceipt } from './upload.util';

const ACCEPTED = /\.(csv|xlsx)$/i;

interface Picked {
  file: File;
  sent: number;
}

/**
 * Step 1: the export files, dropped or picked, sent as one load with a progress bar per file. A
 * refusal keeps the list as it was, so nothing has to be picked again.
 */
export function UploadStep({ onUploaded }: { onUploaded: (receipt: UploadReceipt) => void }) {
  const locale = useLocale();
  const [picked, setPicked] = useState<Picked[]>([]);
  const [problem, setProblem] = useState<string | null>(null);
  const [sending, setSending] = useState(false);
  const [dragging, setDragging] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const inputId = useId();
  const hintId = useId();

  function add(files: Iterable<File>) {
    const list = [...files];
    const refused = list.filter((f) => !ACCEPTED.test(f.name));
    const fresh = list.filter((f) => ACCEPTED.test(f.name));
    setPicked((current) => [...current.filter((p) => !fresh.some((f) => f.name === p.file.name)), ...fresh.map((file) => ({ file, sent: 0 }))]);
    setProblem(refused.length ? `Not an LMS export (.csv or .xlsx): ${refused.map((f) => f.name).join(', ')}. ${refused.length === 1 ? 'It was' : 'They were'} left out.` : null);
  }

  function onDrop(event: DragEvent<HTMLDivElement>) {
    event.preventDefault();
    setDragging(false);
    if (!sending) add(event.dataTransfer.files);
  }

  async function send() {
    const files = picked.map((p) => p.file);
    setSending(true);
    setProblem(null);
    setPicked((current) => current.map((p) => ({ ...p, sent: 0 })));
    const onProgress = (index: number, sent: number) => setPicked((current) => current.map((p, i) => (i === index ? { ...p, sent } : p)));
    try {
      const large = files.some((f) => f.size > RESUMABLE_THRESHOLD_BYTES);
      const receipt = await (large ? uploadResumable : uploadMultipart)(files, undefined, onProgress);
      setPicked([]);
      onUploaded(receipt);
    } catch (error) {
      const where = error instanceof UploadFailure && error.file ? ` (file: ${error.file})` : '';
      setProblem(`${error instanceof Error ? error.message : 'The upload failed.'}${where} Your files are still listed; fix them and upload again.`);
    } finally {
      setSending(false);
    }
  }

  const total = picked.reduce((sum, p) => sum + p.file.size, 0);
  return (
    <section className="card step" aria-labelledby="step-upload">
      <h2 id="step-upload">1. Upload your LMS export</h2>
      <div
        className={`dropzone${dragging ? ' dragging' : ''}`}
        onDragOver={(event) => {
          event.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={onDrop}
        data-testid="dropzone"
      >
        <p id={hintId}>
          Drop the export files here (users, organisations, positions, courses, completions… as <code>.csv</code>; the fiscal calendar <code>dimdates</code> also as{' '}
          <code>.xlsx</code>), or
        </p>
        <label htmlFor={inputId} className="button">
          Choose files…
        </label>
        <input
          ref={input}
          id={inputId}
          className="visually-hidden"
          type="file"
          multiple
          accept=".csv,.xlsx"
          aria-describedby={hintId}
          disabled={sending}
          onChange={(event) => {
            if (event.target.files) add(event.target.files);
            event.target.value = '';
          }}
        />
        <p className="hint">Files over {formatBytes(RESUMABLE_THRESHOLD_BYTES, locale)} are sent in resumable pieces: a dropped connection picks up where it stopped.</p>
      </div>
      {problem ? (
        <p className="notice error" role="alert">
          {problem}
        </p>
      ) : null}
      {picked.length > 0 ? (
        <>
          <div className="table-wrap">
            <table className="data-table files">
              <caption className="visually-hidden">Files to upload</caption>
              <thead>
                <tr>
                  <th scope="col">File</th>
                  <th scope="col">Size</th>
                  <th scope="col">Progress</th>
                  <th scope="col">
                    <span className="visually-hidden">Remove</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {picked.map(({ file, sent }) => (
                  <tr key={file.name}>
                    <th scope="row">{file.name}</th>
                    <td>{formatBytes(file.size, locale)}</td>
                    <td>
                      <progress max={file.size || 1} value={sent} aria-label={`Upload of ${file.name}`} />{' '}
                      <span className="muted">{file.size ? Math.round((100 * sent) / file.size) : 0}%</span>
                    </td>
                    <td>
                      <button
                        type="button"
                        className="button"
                        disabled={sending}
                        onClick={() => setPicked((current) => current.filter((p) => p.file !== file))}
                        aria-label={`Remove ${file.name}`}
                      >
                        Remove
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <p>
            <button type="button" className="button primary" onClick={() => void send()} disabled={sending}>
              {sending ? 'Uploading…' : `Upload ${picked.length} ${picked.length === 1 ? 'file' : 'files'} (${formatBytes(total, locale)})`}
            </button>
          </p>
        </>
      ) : null}
    </section>
  );
}
