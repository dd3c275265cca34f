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

/** One file of a load: its name as sent; its status and rows once ingested (null before). */
export interface UploadFileStatus {
  file: string;
  /** loaded, duplicate (same content loaded before) or ignored; null until ingested. */
  status: string | null;
  rowsRead: number | null;
  rowsLoaded: number | null;
  rowsQuarantined: number | null;
  /** Why rows were set aside, with how many each. */
  reasons?: { reason: string; rows: number }[];
  /** Why a file was ignored, or which earlier file a duplicate repeats. */
  note?: string;
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
  /** Per file: the name it was sent with, then what became of its rows (never where it is on the server). */
  files: UploadFileStatus[];
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
