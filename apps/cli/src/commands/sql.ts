import { Command, InvalidArgumentError, Option } from 'commander';
import { csvField } from '@kineo/contract';
import { TenantService } from '@kineo/db';
import { ReadOnlyGuard, WarehouseError, type Layer, type Row } from '@kineo/warehouse';
import type { CliContext } from '../context';
import { CliError, printTable, writeOut } from '../output';

const TABLE_LIMIT = 1000;

// Not --version: the program's own --version (the CLI's release) would answer instead of the query.
function dataVersion(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('a published data version: a whole number from 1');
  return n;
}

export function sqlCommand(context: () => CliContext): Command {
  return new Command('sql')
    .description("run one read-only SELECT on a tenant's published gold data (ops: --layer silver|bronze)")
    .argument('<slug>', 'the tenant')
    .argument('<select>', 'a single SELECT; name tables by layer, e.g. gold.dim_user')
    .addOption(new Option('--layer <layer>', 'read the working layer instead of published gold').choices(['gold', 'silver', 'bronze']))
    .option('--data-version <n>', 'query a published data version other than the latest', dataVersion)
    .option('--json', 'print JSON lines, one object per row')
    .option('--csv', 'print CSV with a header row')
    .action(async (slug: string, sql: string, options: { layer?: Layer; dataVersion?: number; json?: boolean; csv?: boolean }) => {
      if (options.json && options.csv) throw new CliError('Choose one of --json and --csv.', 2);
      if (options.layer && options.dataVersion !== undefined) throw new CliError('--data-version reads published gold; it cannot be combined with --layer.', 2);
      const ctx = context();
      const tenant = await new TenantService(ctx.prisma).get(slug);
      if (tenant.status === 'offboarded') throw new CliError(`Tenant "${slug}" has been offboarded; it has no data.`);
      const ref = { tenantId: tenant.id, namespace: tenant.namespace };
      const warehouse = await ctx.warehouse();
      let rows: AsyncGenerator<Row[]>;
      if (options.layer) {
        // The working layers are for ops; the statement is still proven read-only first.
        const guard = new ReadOnlyGuard();
        try {
          await guard.assertReadOnlySelect(sql, [options.layer]);
        } finally {
          await guard.close();
        }
        rows = warehouse.stream(ref, sql, [], { chunkSize: 5000 });
      } else {
        rows = warehouse.streamPublished(ref, sql, [], { chunkSize: 5000, version: options.dataVersion });
      }
      await audit(ctx, tenant.id, sql, options.layer ?? 'gold');
      rows = retryWhileBusy(rows, () =>
        options.layer ? warehouse.stream(ref, sql, [], { chunkSize: 5000 }) : warehouse.streamPublished(ref, sql, [], { chunkSize: 5000, version: options.dataVersion }),
      );

      // One write per chunk, awaited: the result streams through at the reader's pace, never whole in memory.
      if (options.json) {
        for await (const chunk of rows) await writeOut(chunk.map((row) => json(row) + '\n').join(''));
        return;
      }
      if (options.csv) {
        let header = false;
        for await (const chunk of rows) {
          let text = '';
          for (const row of chunk) {
            if (!header) {
              text += Object.keys(row).map(csvCell).join(',') + '\r\n';
              header = true;
            }
            text += Object.values(row).map(csvCell).join(',') + '\r\n';
          }
          await writeOut(text);
        }
        return;
      }
      const shown: Row[] = [];
      let total = 0;
      let columns: string[] = [];
      for await (const chunk of rows) {
        for (const row of chunk) {
          if (total === 0) columns = Object.keys(row);
          if (shown.length < TABLE_LIMIT) shown.push(row);
          total++;
        }
      }
      printTable(shown, columns);
      process.stdout.write(
        total > TABLE_LIMIT
          ? `(${total} rows; first ${TABLE_LIMIT} shown: use --csv or --json for all)\n`
          : `(${total} row${total === 1 ? '' : 's'})\n`,
      );
    });
}

/**
 * The worker holds a tenant's working layers while a job runs; a read of them waits for it
 * (up to a minute) rather than failing.
 */
async function* retryWhileBusy(first: AsyncGenerator<Row[]>, again: () => AsyncGenerator<Row[]>): AsyncGenerator<Row[]> {
  let source = first;
  const deadline = Date.now() + 60_000;
  let warned = false;
  for (;;) {
    let yielded = false;
    try {
      for await (const chunk of source) {
        yielded = true;
        yield chunk;
      }
      return;
    } catch (error) {
      if (yielded || !(error instanceof WarehouseError) || error.code !== 'WAREHOUSE_BUSY' || Date.now() > deadline) throw error;
      if (!warned) process.stderr.write('kineo: the tenant is busy with a load or build; waiting...\n');
      warned = true;
      await new Promise((r) => setTimeout(r, 500));
      source = again();
    }
  }
}

async function audit(ctx: CliContext, tenantId: string, sql: string, layer: string) {
  // Reading a tenant's data as ops is an act on that tenant, so it is recorded.
  await ctx.prisma.auditEvent.create({
    data: { actor: ctx.actor, action: 'tenant.sql', tenantId, details: { layer, sql } },
  });
}

function json(row: Row): string {
  return JSON.stringify(row, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}

export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  return csvField(typeof value === 'object' ? JSON.stringify(value) : (value as string | number | bigint | boolean).toString());
}
