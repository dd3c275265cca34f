import fs from 'node:fs';
import path from 'node:path';
import { Command, CommanderError } from 'commander';
import { loadSetting, loadSettings, type Settings } from '@kineo/config';
import { CliContext } from './context';
import { demoCommand } from './commands/demo';
import { sqlCommand } from './commands/sql';
import { stackCommand } from './commands/stack';
import { tenantCommand } from './commands/tenant';
import { flushed, reportError, watchStdout } from './output';
import { resolveDataDir } from './stack/state';
import { ingestCommand } from './commands/ingest';
import { generateCommand } from './commands/generate';
import { userCommand } from './commands/user';

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

program.addCommand(stackCommand(getSettings));
program.addCommand(tenantCommand(getContext));
program.addCommand(userCommand(getContext));
program.addCommand(generateCommand());
program.addCommand(ingestCommand(getContext));
program.addCommand(sqlCommand(getContext));
program.addCommand(demoCommand(getContext));

// Usage errors anywhere in the tree exit with 2 and the help hint, not a stack trace.
const applyToTree = (command: Command) => {
  command.exitOverride().showHelpAfterError();
  command.commands.forEach(applyToTree);
};
applyToTree(program);

async function run(): Promise<number> {
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
