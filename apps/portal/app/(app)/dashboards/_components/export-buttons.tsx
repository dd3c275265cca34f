'use client';

import { useState } from 'react';
import { downloadExport } from '@/app/_client/download.util';

/** CSV and XLSX of the list the table beside it shows (same query, filters, scope and order; every row, not the page on screen), in a file named after `label`. */
export function ExportButtons({ label, request }: { label: string; request: Record<string, unknown> }) {
  const [pending, setPending] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);

  async function run(format: 'csv' | 'xlsx') {
    setPending(format);
    setProblem(null);
    try {
      await downloadExport({ ...request, format }, label);
    } catch (error) {
      setProblem(error instanceof Error ? error.message : 'The export failed.');
    } finally {
      setPending(null);
    }
  }

  return (
    <div className="exports" role="group" aria-label={`Export ${label}`}>
      {(['csv', 'xlsx'] as const).map((format) => (
        <button key={format} type="button" className="button small" onClick={() => void run(format)} disabled={pending !== null}>
          {pending === format ? 'Exporting…' : `Export ${format.toUpperCase()}`}
        </button>
      ))}
      {problem ? (
        <span className="error-text" role="alert">
          {problem}
        </span>
      ) : null}
    </div>
  );
}
