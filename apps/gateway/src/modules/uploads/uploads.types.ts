import type { Readable } from 'node:stream';
import type { StageRecord } from '@kineo/db';

/** One part of a multipart upload, as @fastify/multipart hands it over. */
export type UploadPart =
  | { type: 'file'; fieldname: string; filename: string; file: Readable & { truncated: boolean } }
  | { type: 'field'; fieldname: string; value: unknown };

export interface UploadReceipt {
  ingestionRunId: string;
  buildRunId: string;
  asOf: string;
  files: { name: string; bytes: number }[];
}

export interface UploadStatus {
  ingestionRunId: string;
  status: string;
  source: string;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  error: string | null;
  rowsRead: number;
  rowsLoaded: number;
  rowsQuarantined: number;
  /** Per file: the name before ingestion, then the ingest report (table, rows, quarantine reasons). */
  files: unknown[];
  build: {
    buildRunId: string;
    status: string;
    asOf: Date | null;
    dataVersion: number | null;
    error: string | null;
    /** Each stage's progress; an error shows only when it was written for the customer. */
    stages: StageRecord[];
  } | null;
}
