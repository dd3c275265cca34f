import { ConfigError, loadSettings, type Settings } from '@kineo/config';
import { Logger, type INestApplication } from '@nestjs/common';
import { createGateway } from './app';
import { GRAPHQL_PATH } from './engine/graphql/graphql.module';

function settingsOrExit(): Settings {
  try {
    return loadSettings();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`kineo gateway: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return 'localhost';
  return host.includes(':') ? `[${host}]` : host;
}

/**
 * SIGTERM (a deployment replacing this replica) or SIGINT: stop listening, answer 503 on
 * connections already open, let the requests in flight finish (uploads still arriving, exports
 * still streaming), then close the app's connections and exit 0. Nest's own signal handling would
 * re-raise the signal (an exit by signal, not 0) and wait without limit; a request still running
 * after the grace is cut and the exit is 1, before the platform's SIGKILL.
 */
function drainOnSignals(app: INestApplication, graceMs: number): void {
  const logger = new Logger('Gateway');
  let draining = false;
  const drain = (signal: NodeJS.Signals) => {
    if (draining) return;
    draining = true;
    logger.log(`${signal}: draining requests in flight for up to ${graceMs} ms; new requests are refused`);
    setTimeout(() => {
      logger.error(`requests still in flight ${graceMs} ms after ${signal} (GATEWAY_SHUTDOWN_GRACE_MS); exiting without them`);
      process.exit(1);
    }, graceMs).unref();
    app.close().then(
      () => {
        logger.log('drained and stopped');
        process.exit(0);
      },
      (error: unknown) => {
        process.stderr.write(`kineo gateway: shutdown failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', drain);
  process.on('SIGINT', drain);
}

async function main(): Promise<void> {
  const settings = settingsOrExit();
  const app = await createGateway(settings);
  drainOnSignals(app, settings.GATEWAY_SHUTDOWN_GRACE_MS);
  await app.listen({ host: settings.GATEWAY_HOST, port: settings.GATEWAY_PORT });
  const base = `http://${urlHost(settings.GATEWAY_HOST)}:${settings.GATEWAY_PORT}`;
  const urls = [`GraphQL ${base}${GRAPHQL_PATH}`, `health ${base}/health`];
  if (settings.METRICS_ENABLED) urls.push(`metrics ${base}/metrics`);
  new Logger('Gateway').log(`Gateway listening on ${base} (${urls.join(', ')})`);
}

main().catch((error: unknown) => {
  process.stderr.write(`kineo gateway failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
