import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ColumnSpec, SourceFileSpec } from '@kineo/contract';
import { DuckDbWarehouse, duckdbDialect, namespaceForTenantSeq } from '@kineo/warehouse';
import { columnProblem, screenedRowProblems } from '../src/ingest/validation';
import { castFirstTypedColumn } from '../src/models/silver-staging';

// What a value in an export turns into: quarantined with a reason, or loaded and typed in silver.
// The loader tests a value the cheap way first (a cast and a comparison) and runs the full checks
// (trim, regular expressions) only when unsure; the verdict must be the full checks' own.
const tenant = { tenantId: 't1', namespace: namespaceForTenantSeq(1) };

const column = {
  id: { name: 'x', kind: 'id' },
  optionalId: { name: 'x', kind: 'id', nullable: true },
  int: { name: 'x', kind: 'int', nullable: true },
  code: { name: 'x', kind: 'code', codes: [10, 25, 50] },
  bool: { name: 'x', kind: 'bool', nullable: true },
  time: { name: 'x', kind: 'time', nullable: true },
} satisfies Record<string, ColumnSpec>;

type Case = [keyof typeof column, string | null, 'problem' | { typed: string | null }];
const cases: Case[] = [
  ['id', '12', { typed: '12' }],
  ['id', ' 12 ', { typed: '12' }],
  ['id', '007', { typed: '7' }],
  ['id', '9223372036854775807', { typed: '9223372036854775807' }],
  ['id', '9223372036854775808', 'problem'],
  ['id', '+12', 'problem'],
  ['id', '-3', 'problem'],
  ['id', '1e3', 'problem'],
  ['id', '12.0', 'problem'],
  ['id', '1_000', 'problem'],
  ['id', '0x1F', 'problem'],
  ['id', '', 'problem'],
  ['id', null, 'problem'],
  ['optionalId', '', { typed: null }],
  ['optionalId', '  ', { typed: null }],
  ['optionalId', '0', { typed: null }],
  ['optionalId', '41', { typed: '41' }],
  ['int', '-5', { typed: '-5' }],
  ['int', '+5', { typed: '5' }],
  ['int', '5.5', 'problem'],
  ['code', '25', { typed: '25' }],
  ['code', ' 25', { typed: '25' }],
  ['code', '025', { typed: '25' }],
  ['code', '+25', { typed: '25' }],
  ['code', '30', 'problem'],
  ['code', '', 'problem'],
  ['bool', '1', { typed: 'true' }],
  ['bool', ' 0', { typed: 'false' }],
  ['bool', 'yes', 'problem'],
  ['time', '1751241600', { typed: '2025-06-30 00:00:00' }],
  ['time', ' 1751241600 ', { typed: '2025-06-30 00:00:00' }],
  ['time', '-1', { typed: '1969-12-31 23:59:59' }],
  ['time', '0', { typed: null }],
  ['time', ' 0 ', { typed: null }],
  ['time', '00', { typed: '1970-01-01 00:00:00' }],
  ['time', '-0', { typed: '1970-01-01 00:00:00' }],
  ['time', '007', { typed: '1970-01-01 00:00:07' }],
  ['time', '', { typed: null }],
  ['time', '2024-03-01T10:00:00Z', { typed: '2024-03-01 10:00:00' }],
  ['time', '1e9', 'problem'],
  ['time', '1751241600.5', 'problem'],
  ['time', '1234567890123', 'problem'],
  ['time', '2024-02-30', 'problem'],
];

let dir: string;
let wh: DuckDbWarehouse;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kineo-validation-'));
  wh = new DuckDbWarehouse({ rootDir: path.join(dir, 'warehouse'), landingRoot: path.join(dir, 'landing'), threads: 1 });
  await wh.provision(tenant);
});

afterAll(async () => {
  await wh.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('checking and typing one value', () => {
  it.each(cases)('%s %j: %j', async (kind, raw, expected) => {
    const col = column[kind];
    const spec: SourceFileSpec = { name: 'values', required: false, key: ['x'], columns: [col] };
    const [row] = (
      await wh.query(
        tenant,
        `select ${screenedRowProblems(spec, duckdbDialect, "''")} as problem, ${columnProblem(col, duckdbDialect, "''")} as full_check,
          cast(${castFirstTypedColumn(col, duckdbDialect, { texts: [] })} as varchar) as typed
         from (select cast(? as varchar) as x)`,
        [raw],
      )
    ).rows as { problem: string | null; full_check: string | null; typed: string | null }[];
    expect(row.problem).toBe(row.full_check);
    if (expected === 'problem') {
      expect(row.problem).toEqual(expect.stringContaining('x '));
    } else {
      expect(row.problem).toBeNull();
      expect(row.typed).toBe(expected.typed);
    }
  });
});

// null_dates.csv's texts mean "not set" in every time column, however the value spells the date.
describe('typing a time column with "not set" dates', () => {
  const sentinels = { texts: ['1970-01-01', '2147483647', 'never'] };

  it.each([
    ['1970-01-01', null],
    ['1970-01-01T00:00:00Z', null],
    ['0', null],
    ['-0', null],
    ['2147483647', null],
    [' 2147483647', null],
    ['2038-01-19T03:14:07Z', null],
    ['never', null],
    [' never ', null],
    ['1751241600', '2025-06-30 00:00:00'],
    ['2025-06-30', '2025-06-30 00:00:00'],
  ])('%j is %j', async (raw, typed) => {
    const [row] = (
      await wh.query(tenant, `select cast(${castFirstTypedColumn(column.time, duckdbDialect, sentinels)} as varchar) as typed from (select cast(? as varchar) as x)`, [raw])
    ).rows as { typed: string | null }[];
    expect(row.typed).toBe(typed);
  });
});
