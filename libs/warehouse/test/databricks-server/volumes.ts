import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { DatabricksSqlError } from './errors';

export type StagingOperation = 'PUT' | 'GET' | 'REMOVE';

/** What a staging statement answers: the client moves the bytes itself with this request. */
export interface StagingInstruction {
  operation: StagingOperation;
  presignedUrl: string;
  headers: Record<string, string>;
  localFile: string | null;
}

export interface TransferRecord {
  method: string;
  volumePath: string;
  status: number;
  bytes: number;
}

interface Presigned {
  method: 'PUT' | 'GET' | 'DELETE';
  file: string;
  volumePath: string;
  headers: Record<string, string>;
  expiresAt: number;
}

/** The header Azure Blob Storage insists on for a PUT; the client must send what it was told to. */
const BLOB_HEADERS = { 'x-ms-blob-type': 'BlockBlob' };
const URL_LIFETIME_MS = 15 * 60_000;
const VOLUME_PATH = /^\/Volumes\/([^/]+)\/([^/]+)\/([^/]+)(?:\/(.*))?$/;

const notFoundVolume = (name: string) =>
  new DatabricksSqlError(`[UC_VOLUME_NOT_FOUND] Volume \`${name}\` does not exist. SQLSTATE: 42704`, '42704');

/**
 * Unity Catalog managed volumes as local folders, and the cloud storage behind them. A staging
 * statement (`PUT`, `GET`, `REMOVE`) does not move bytes itself: it answers with a presigned
 * URL on this server, valid once and for a short time, and the client sends or fetches the file
 * there with plain HTTP, as it would against Azure Blob Storage or S3.
 */
export class VolumeStore {
  /** HTTP requests to presigned URLs, in order. */
  readonly transfers: TransferRecord[] = [];
  /** `https://host:port`, known once the server listens. */
  baseUrl = '';
  private readonly volumes = new Set<string>();
  private readonly presigned = new Map<string, Presigned>();

  constructor(readonly root: string) {}

  create(catalog: string, schema: string, volume: string, ifNotExists: boolean): void {
    const key = `${catalog}.${schema}.${volume}`;
    if (this.volumes.has(key)) {
      if (ifNotExists) return;
      throw new DatabricksSqlError(`[VOLUME_ALREADY_EXISTS] Volume \`${key}\` already exists. SQLSTATE: 42000`, '42000');
    }
    fs.mkdirSync(this.folder(catalog, schema, volume), { recursive: true });
    this.volumes.add(key);
  }

  drop(catalog: string, schema: string, volume: string, ifExists: boolean): void {
    const key = `${catalog}.${schema}.${volume}`;
    if (!this.volumes.delete(key)) {
      if (ifExists) return;
      throw notFoundVolume(key);
    }
    fs.rmSync(this.folder(catalog, schema, volume), { recursive: true, force: true });
  }

  /** A dropped schema or catalog takes its volumes and their files with it. */
  dropAll(catalog: string, schema?: string): void {
    for (const key of [...this.volumes]) {
      const [c, s] = key.split('.');
      if (c === catalog && (schema === undefined || s === schema)) this.volumes.delete(key);
    }
    fs.rmSync(schema === undefined ? path.join(this.root, catalog) : path.join(this.root, catalog, schema), { recursive: true, force: true });
  }

  list(catalog: string, schema: string): string[] {
    return [...this.volumes].filter((key) => key.startsWith(`${catalog}.${schema}.`)).map((key) => key.split('.')[2]).sort();
  }

  /** The local file behind `/Volumes/<catalog>/<schema>/<volume>/<path>`; the volume must exist. */
  resolve(volumePath: string): string {
    const m = VOLUME_PATH.exec(volumePath);
    if (!m) throw new DatabricksSqlError(`[INVALID_VOLUME_PATH] '${volumePath}' is not a path in a volume (/Volumes/<catalog>/<schema>/<volume>/...). SQLSTATE: 42000`, '42000');
    const [catalog, schema, volume] = [m[1], m[2], m[3]].map((s) => s.toLowerCase());
    if (!this.volumes.has(`${catalog}.${schema}.${volume}`)) throw notFoundVolume(`${catalog}.${schema}.${volume}`);
    const rest = (m[4] ?? '').split('/').filter((s) => s !== '');
    if (rest.some((s) => s === '.' || s === '..')) {
      throw new DatabricksSqlError(`[INVALID_VOLUME_PATH] '${volumePath}' is not a normalised path. SQLSTATE: 42000`, '42000');
    }
    return path.join(this.folder(catalog, schema, volume), ...rest);
  }

  /** The answer to `PUT '<local>' INTO '<volume path>' [OVERWRITE]`, `GET '<volume path>' TO '<local>'`, `REMOVE '<volume path>'`. */
  stage(operation: StagingOperation, volumePath: string, localFile: string | null, overwrite = false): StagingInstruction {
    const file = this.resolve(volumePath);
    if (operation === 'PUT' && !overwrite && fs.existsSync(file)) {
      throw new DatabricksSqlError(`[FILE_ALREADY_EXISTS] The file '${volumePath}' already exists; use OVERWRITE to replace it. SQLSTATE: 42000`, '42000');
    }
    const method = operation === 'PUT' ? 'PUT' : operation === 'GET' ? 'GET' : 'DELETE';
    const headers = operation === 'PUT' ? { ...BLOB_HEADERS } : {};
    const token = randomBytes(24).toString('hex');
    this.presigned.set(token, { method, file, volumePath, headers, expiresAt: Date.now() + URL_LIFETIME_MS });
    return { operation, presignedUrl: `${this.baseUrl}/storage/${token}`, headers, localFile };
  }

  /** Serves presigned URLs: `/storage/<token>`. */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const token = new URL(req.url ?? '/', 'https://localhost').pathname.slice('/storage/'.length);
    const grant = this.presigned.get(token);
    const done = (status: number, bytes = 0, body?: Buffer) => {
      this.transfers.push({ method: req.method ?? '', volumePath: grant?.volumePath ?? '', status, bytes });
      res.writeHead(status, body ? { 'content-type': 'application/octet-stream', 'content-length': body.length } : {}).end(body);
    };
    if (!grant || grant.expiresAt < Date.now() || grant.method !== req.method) {
      req.resume();
      done(403);
      return;
    }
    this.presigned.delete(token);
    for (const [name, value] of Object.entries(grant.headers)) {
      if (req.headers[name] !== value) {
        req.resume();
        done(400);
        return;
      }
    }
    if (grant.method === 'GET') {
      if (!fs.existsSync(grant.file)) return done(404);
      const body = fs.readFileSync(grant.file);
      return done(200, body.length, body);
    }
    if (grant.method === 'DELETE') {
      if (!fs.existsSync(grant.file)) return done(404);
      fs.rmSync(grant.file);
      return done(204);
    }
    const declared = Number(req.headers['content-length']);
    const body = await new Promise<Buffer>((resolve, reject) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => resolve(Buffer.concat(chunks)));
      req.on('error', reject);
    });
    if (!Number.isFinite(declared) || declared !== body.length) return done(411);
    fs.mkdirSync(path.dirname(grant.file), { recursive: true });
    const partial = `${grant.file}.${token}.part`;
    fs.writeFileSync(partial, body);
    fs.renameSync(partial, grant.file);
    done(201, body.length);
  }

  private folder(catalog: string, schema: string, volume: string): string {
    return path.join(this.root, catalog, schema, volume);
  }
}
