import { ConfigError, loadSettings, type Settings } from '@kineo/config';
import { Logger } from '@nestjs/common';
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

async function main(): Promise<void> {
  const settings = settingsOrExit();
  const app = await createGateway(settings);
  app.enableShutdownHooks();
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
