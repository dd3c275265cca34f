import path from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { generateExport, MIN_USERS, type TimeFormat } from '@kineo/generator';
import { printJson, printTable } from '../output';
import { isoDate } from '../options';

const positiveInt = (min: number) => (value: string) => {
  const n = Number(value.replace(/_/g, ''));
  if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`a whole number of at least ${min}`);
  return n;
};

export function generateCommand(): Command {
  return new Command('generate')
    .description('write a realistic synthetic LMS export (every file of the contract) for demos, tests and benchmarks')
    .argument('<dir>', 'where to write the files')
    .requiredOption('--users <n>', `how many users (at least ${MIN_USERS})`, positiveInt(MIN_USERS))
    .option('--seed <n>', 'the same seed gives byte-identical files', positiveInt(0), 1)
    .option('--years <n>', 'years of learning history before --as-of', positiveInt(1), 3)
    .option('--as-of <date>', "the export's now (default: today)", isoDate)
    .option('--fiscal-calendar', 'also write dimdates.xlsx')
    .option('--fiscal-start <month>', 'fiscal-year start month for dimdates.xlsx', positiveInt(1), 7)
    .addOption(new Option('--time-format <format>', 'how times are written').choices(['unix', 'iso', 'mixed']).default('unix'))
    .option('--json', 'print the report as JSON')
    .action(
      async (
        dir: string,
        options: { users: number; seed: number; years: number; asOf?: Date; fiscalCalendar?: boolean; fiscalStart: number; timeFormat: TimeFormat; json?: boolean },
      ) => {
        let last = '';
        const report = await generateExport({
          dir: path.resolve(dir),
          users: options.users,
          seed: options.seed,
          years: options.years,
          asOf: options.asOf,
          fiscalCalendar: options.fiscalCalendar,
          fiscalYearStartMonth: options.fiscalStart,
          timeFormat: options.timeFormat,
          onProgress: options.json
            ? undefined
            : (p) => {
                const line = `writing ${p.file} ${p.rows.toLocaleString('en-GB')} rows`;
                if (line !== last && process.stderr.isTTY) process.stderr.write(`\r\x1b[2K${line}`);
                last = line;
              },
        });
        if (process.stderr.isTTY && !options.json) process.stderr.write('\r\x1b[2K');
        if (options.json) return printJson(report);
        printTable(
          Object.entries(report.files).map(([file, f]) => ({ file, rows: f.rows, mib: (f.bytes / 1024 / 1024).toFixed(1) })),
          ['file', 'rows', 'mib'],
        );
        process.stdout.write(
          `\n${report.totalRows.toLocaleString('en-GB')} rows for ${report.users.toLocaleString('en-GB')} users, as of ${report.asOf}, seed ${report.seed}, ` +
            `in ${(report.durationMs / 1000).toFixed(1)} s, into ${report.dir}\n`,
        );
      },
    );
}
