// The local Databricks server (libs/warehouse/test/databricks-server) as a process of its own, so a
// bench's gateway on the Databricks driver is measured alone: the server's DuckDB, its catalogs and
// its Thrift handling would otherwise sit in the gateway's resident memory. Prints one JSON line
// with what a client needs (host, port, HTTP path, CA certificate, token), then serves until its
// parent closes its stdin or sends SIGTERM.
// Run: node -r @swc-node/register bench/databricks-server.main.ts
import { startDatabricksTestServer } from '../libs/warehouse/test/databricks-server';

export interface DatabricksServerProcessInfo {
  host: string;
  port: number;
  path: string;
  caCert: string;
  token: string;
  pid: number;
}

async function main() {
  const server = await startDatabricksTestServer();
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= server.close().finally(() => process.exit(0));
  };
  process.once('SIGTERM', close);
  process.once('SIGINT', close);
  // A parent that dies without a signal still ends the server: its end of the pipe closes.
  process.stdin.on('end', close);
  process.stdin.resume();
  const info: DatabricksServerProcessInfo = { host: server.host, port: server.port, path: server.path, caCert: server.caCert, token: server.token, pid: process.pid };
  process.stdout.write(`${JSON.stringify(info)}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
