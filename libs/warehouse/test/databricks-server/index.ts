import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DuckDbDatabricksEngine } from './duckdb-engine';
import { ServerHooks, ServerRecorder, TcliHandler } from './tcli-handler';
import { Processor, TBinaryProtocol, TBufferedTransport, thriftMethodName } from './thrift-runtime';
import { VolumeStore } from './volumes';
import type { DatabricksWarehouseOptions } from '../../src/databricks';

export { ServerHooks, ServerRecorder } from './tcli-handler';
export type { RequestRecord, SessionRecord, StatementRecord } from './tcli-handler';
export type { TransferRecord } from './volumes';

export interface DatabricksTestServerOptions {
  /** Bearer tokens the server accepts; a random PAT-like token when unset. */
  tokens?: string[];
  /** Catalogs that exist from the start (as Terraform would have created them). */
  catalogs?: string[];
  /** How long GetOperationStatus waits for a running statement before answering RUNNING. */
  longPollMs?: number;
}

export interface DatabricksTestServer {
  host: string;
  port: number;
  path: string;
  /** The self-signed certificate, to pass to the driver as its CA. */
  caCert: string;
  token: string;
  /** What a DatabricksWarehouse needs to reach this server with its token. */
  connection: Pick<DatabricksWarehouseOptions, 'host' | 'port' | 'path' | 'auth' | 'customCaCert'>;
  recorder: ServerRecorder;
  hooks: ServerHooks;
  /** Grants the server accepted (recorded, not enforced). */
  readonly grants: readonly string[];
  /** Unity Catalog volumes, as folders, and the presigned-URL transfers into and out of them. */
  volumes: VolumeStore;
  close(): Promise<void>;
}

function selfSignedCertificate(): { key: string; cert: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'kineo-dbx-tls-'));
  try {
    const keyFile = path.join(dir, 'key.pem');
    const certFile = path.join(dir, 'cert.pem');
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'],
      { stdio: 'ignore' },
    );
    return { key: readFileSync(keyFile, 'utf8'), cert: readFileSync(certFile, 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/**
 * A local stand-in for a Databricks SQL warehouse, close enough for the real `@databricks/sql`
 * driver: Thrift TCLIService (binary protocol, buffered transport) over HTTPS POST with bearer
 * authentication, backed by DuckDB. Listens on a free port of 127.0.0.1. Unity Catalog volumes
 * are folders under a temporary directory; staging statements (PUT, GET, REMOVE) answer with
 * presigned URLs on this same server (`/storage/<token>`), which stand for the cloud storage.
 */
export async function startDatabricksTestServer(options: DatabricksTestServerOptions = {}): Promise<DatabricksTestServer> {
  const tokens = options.tokens ?? [`dapi${randomBytes(16).toString('hex')}`];
  const httpPath = '/sql/1.0/warehouses/kineo-local';
  const volumes = new VolumeStore(mkdtempSync(path.join(tmpdir(), 'kineo-dbx-volumes-')));
  const engine = await DuckDbDatabricksEngine.create(options.catalogs ?? [], volumes);
  const recorder = new ServerRecorder();
  const hooks = new ServerHooks();
  for (const token of tokens) hooks.acceptedTokens.add(token);
  const handler = new TcliHandler(engine, recorder, hooks, options.longPollMs ?? 500);
  const processor = new Processor(handler);
  const { key, cert } = selfSignedCertificate();

  const respond = async (req: IncomingMessage, res: ServerResponse) => {
    // Presigned URLs stand for the cloud storage behind volumes: no bearer token, the URL is the grant.
    if (new URL(req.url ?? '/', 'https://localhost').pathname.startsWith('/storage/')) {
      await volumes.handle(req, res);
      return;
    }
    if (req.method !== 'POST' || new URL(req.url ?? '/', 'https://localhost').pathname !== httpPath) {
      res.writeHead(404).end();
      return;
    }
    const body = await readBody(req);
    const method = thriftMethodName(body) ?? 'unknown';
    const authorization = req.headers.authorization ?? '';
    const bearer = authorization.startsWith('Bearer ') ? authorization.slice('Bearer '.length) : '';
    if (!hooks.acceptedTokens.has(bearer)) {
      recorder.requests.push({ method, status: 401, bearer });
      res.writeHead(401, { 'content-type': 'text/plain' }).end('Unauthorized');
      return;
    }
    const fault = hooks.takeFault(method);
    recorder.requests.push({ method, status: fault ?? 200, bearer });
    if (fault === 'reset') {
      req.socket.destroy();
      return;
    }
    if (fault !== undefined) {
      res.writeHead(fault, { 'content-type': 'text/plain' }).end('Service unavailable');
      return;
    }
    TBufferedTransport.receiver((transport) => {
      const input = new TBinaryProtocol(transport);
      const output = new TBinaryProtocol(
        new TBufferedTransport(undefined, (message) => {
          res.writeHead(200, { 'content-type': 'application/x-thrift' }).end(message);
        }),
      );
      try {
        processor.process(input, output);
        transport.commitPosition();
      } catch {
        if (!res.headersSent) res.writeHead(500).end();
      }
    })(body);
  };

  const server = https.createServer({ key, cert }, (req, res) => {
    respond(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  volumes.baseUrl = `https://127.0.0.1:${port}`;

  return {
    host: '127.0.0.1',
    port,
    path: httpPath,
    caCert: cert,
    token: tokens[0],
    connection: { host: '127.0.0.1', port, path: httpPath, auth: { kind: 'token', token: tokens[0] }, customCaCert: cert },
    recorder,
    hooks,
    get grants() {
      return engine.grants;
    },
    volumes,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await handler.closeAll();
      engine.close();
      rmSync(volumes.root, { recursive: true, force: true });
    },
  };
}
