import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Command, CommanderError } from 'commander';
import { loadSetting, loadSettings, type Settings } from '@kineo/config';
import { ATTR, startTracing, withSpan, type Tracing, type TracingSettings } from '@kineo/telemetry';
import { CliContext } from './context';
import type * as Backup from './commands/backup';
import type * as Demo from './commands/demo';
import type * as Generate from './commands/generate';
import type * as Ingest from './commands/ingest';
import type * as Sql from './commands/sql';
import type * as Stack from './commands/stack';
import type * as Tenant from './commands/tenant';
import type * as User from './commands/user';
import { flushed, reportError, watchStdout } from './output';
import { resolveDataDir } from './stack/state';

// Read when a command first needs them, so `kineo --help` or `kineo generate` work whatever the environment holds.
let settings: Settings | undefined;
const getSettings = (): Settings => {
  if (!settings) {
    const loaded = loadSettings();
    // Every process the CLI starts or talks to must agree on one data directory, wherever it runs from.
    settings = { ...loaded, KINEO_DATA_DIR: resolveDataDir(loaded.KINEO_DATA_DIR) };
  }
  return settings;
};

watchStdout();

let context: CliContext | undefined;
const getContext = () => (context ??= new CliContext(getSettings()));

const program = new Command('kineo')
  .description('Kineo Analytics: the ops and developer command line')
  .version((JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as { version: string }).version)
  .showHelpAfterError()
  .exitOverride();

const load = createRequire(__filename);
/**
 * Each top-level command, its module required only when it is the one asked for: `kineo tenant list`
 * never loads the generator, argon2 or the demo's code. Help, a usage error and an unknown command
 * load them all, so commander lists every command and suggests the nearest. In the order help lists them.
 */
const COMMANDS: [name: string, make: () => Command][] = [
  ['stack', () => (load('./commands/stack') as typeof Stack).stackCommand(getSettings)],
  ['tenant', () => (load('./commands/tenant') as typeof Tenant).tenantCommand(getContext)],
  ['user', () => (load('./commands/user') as typeof User).userCommand(getContext)],
  ['generate', () => (load('./commands/generate') as typeof Generate).generateCommand()],
  ['ingest', () => (load('./commands/ingest') as typeof Ingest).ingestCommand(getContext)],
  ['sql', () => (load('./commands/sql') as typeof Sql).sqlCommand(getContext)],
  ['demo', () => (load('./commands/demo') as typeof Demo).demoCommand(getContext)],
  ['backup', () => (load('./commands/backup') as typeof Backup).backupCommand(getContext)],
  ['restore', () => (load('./commands/backup') as typeof Backup).restoreCommand(getContext)],
];
// No option of `kineo` itself takes a value, so the first word that is not an option is the command.
const asked = process.argv.slice(2).find((arg) => !arg.startsWith('-'));
const known = COMMANDS.some(([name]) => name === asked);
for (const [name, make] of COMMANDS) if (!known || name === asked) program.addCommand(make());

// Usage errors anywhere in the tree exit with 2 and the help hint, not a stack trace.
const applyToTree = (command: Command) => {
  command.exitOverride().showHelpAfterError();
  command.commands.forEach(applyToTree);
};
applyToTree(program);

/**
 * A span per invocation, named by its command path (`kineo tenant create`), never its arguments
 * (`kineo sql` takes SQL); what the command does in the warehouse hangs under it.
 */
async function run(): Promise<number> {
  const tracing = startCliTracing();
  try {
    return await withSpan('kineo', {}, async (span) => {
      program.hook('preAction', (_root, action) => {
        const names: string[] = [];
        for (let at: Command | null = action; at && at !== program; at = at.parent) names.unshift(at.name());
        span?.updateName(`kineo ${names.join(' ')}`);
        span?.setAttribute(ATTR.command, names.join(' '));
      });
      const code = await runProgram();
      span?.setAttribute('process.exit.code', code);
      return code;
    });
  } finally {
    // Sends the spans before the process exits.
    await tracing.release().catch(() => undefined);
  }
}

/** Tracing from the OTEL_* settings alone: a command such as `kineo generate` never reads the rest. */
function startCliTracing(): Tracing {
  let otel: TracingSettings;
  try {
    otel = {
      OTEL_EXPORTER_OTLP_ENDPOINT: loadSetting('OTEL_EXPORTER_OTLP_ENDPOINT'),
      OTEL_EXPORTER_OTLP_HEADERS: loadSetting('OTEL_EXPORTER_OTLP_HEADERS'),
      OTEL_TRACES_SAMPLER_RATIO: loadSetting('OTEL_TRACES_SAMPLER_RATIO'),
    };
  } catch {
    // Reported by loadSettings() when the command reads its settings; not worth failing `--help` for.
    return startTracing({ OTEL_TRACES_SAMPLER_RATIO: 1 }, 'kineo-cli');
  }
  return startTracing(otel, 'kineo-cli');
}

async function runProgram(): Promise<number> {
  try {
    await program.parseAsync(process.argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    return reportError(error, settings?.KINEO_DEBUG ?? debugFromEnvironment());
  } finally {
    await context?.close();
  }
}

/** KINEO_DEBUG alone, for an error before the settings were read (or in reading them). */
function debugFromEnvironment(): boolean {
  try {
    return loadSetting('KINEO_DEBUG');
  } catch {
    return false;
  }
}

// Exiting straight away would drop whatever a pipe has not yet taken (everything past its 64 KiB
// buffer): set the code, wait until stdout and stderr have been handed over, and only then exit
// (something may still hold the event loop, e.g. a driver's idle socket).
void run().then(async (code) => {
  process.exitCode = code;
  await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
  process.exit();
});
