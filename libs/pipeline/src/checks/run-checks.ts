import type { WarehouseSession } from '@kineo/warehouse';
import { GOLD_TABLES, type GoldTableSpec } from './gold-tables';
import { RECONCILIATION, type ReconciliationSpec } from './reconciliation';

export type CheckName = 'unique_grain' | 'not_null_keys' | 'unknown_member' | 'resolves_to_dimension' | 'reconciliation';

export interface CheckResult {
  check: CheckName;
  /** The gold table checked, or for reconciliation the source file's table name. */
  table: string;
  status: 'passed' | 'failed';
  detail: string;
  /** For resolves_to_dimension: the key column. */
  column?: string;
  /** For reconciliation: the row counts at each layer and of each reason for a difference. */
  counts?: Record<string, number>;
}

/**
 * The quality checks of a finished build, on its session: every gold table's grain is unique and
 * its keys not NULL, every dimension has its -1 member, every key resolves to its dimension, and
 * each source file's rows reconcile from the files read to bronze, silver and gold with the reason
 * for every difference. A check that cannot run (a table missing) fails, naming the error.
 */
export async function runChecks(session: WarehouseSession): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const spec of GOLD_TABLES) results.push(...(await tableChecks(session, spec)));
  for (const spec of RECONCILIATION) results.push(await reconcile(session, spec));
  return results;
}

async function count(session: WarehouseSession, sql: string, params: (string | number)[] = []): Promise<number> {
  const result = await session.query<{ n: unknown }>(sql, params);
  return Number(result.rows[0]?.n ?? 0);
}

const failedToRun = (check: CheckName, table: string, error: unknown, column?: string): CheckResult => ({
  check,
  table,
  status: 'failed',
  detail: `could not run: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`,
  ...(column ? { column } : {}),
});

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

async function tableChecks(session: WarehouseSession, spec: GoldTableSpec): Promise<CheckResult[]> {
  const { table } = spec;
  const out: CheckResult[] = [];
  const grain = spec.grain.join(', ');

  try {
    const duplicates = await count(session, `select count(*) as n from (select ${grain} from ${table} group by ${grain} having count(*) > 1) as d`);
    let detail = `one row per (${grain})`;
    if (duplicates > 0) {
      const examples = await session.query(`select ${grain}, count(*) as rows_with_key from ${table} group by ${grain} having count(*) > 1 order by rows_with_key desc limit 3`);
      detail = `${plural(duplicates, 'value')} of (${grain}) on more than one row, e.g. ${examples.rows.map((r) => JSON.stringify(r)).join(', ')}`;
    }
    out.push({ check: 'unique_grain', table, status: duplicates === 0 ? 'passed' : 'failed', detail });
  } catch (error) {
    out.push(failedToRun('unique_grain', table, error));
    return out; // the table is not there: the other checks would only repeat it
  }

  const keyColumns = [...new Set([...spec.grain, ...spec.references.map((r) => r.column)])];
  try {
    const nulls = await session.query<Record<string, unknown>>(
      `select ${keyColumns.map((c) => `sum(case when ${c} is null then 1 else 0 end) as ${c}`).join(', ')} from ${table}`,
    );
    const withNulls = keyColumns.filter((c) => Number(nulls.rows[0]?.[c] ?? 0) > 0);
    out.push({
      check: 'not_null_keys',
      table,
      status: withNulls.length === 0 ? 'passed' : 'failed',
      detail: withNulls.length === 0
        ? `no NULL in ${keyColumns.join(', ')}`
        : `NULL keys: ${withNulls.map((c) => `${c} on ${plural(Number(nulls.rows[0][c]), 'row')}`).join(', ')}`,
    });
  } catch (error) {
    out.push(failedToRun('not_null_keys', table, error));
  }

  if (spec.unknownMemberKey) {
    try {
      const members = await count(session, `select count(*) as n from ${table} where ${spec.unknownMemberKey} = -1`);
      out.push({
        check: 'unknown_member',
        table,
        status: members === 1 ? 'passed' : 'failed',
        detail: members === 1 ? `has its -1 (unknown) member` : `${plural(members, 'row')} with ${spec.unknownMemberKey} = -1 (expected exactly one)`,
      });
    } catch (error) {
      out.push(failedToRun('unknown_member', table, error));
    }
  }

  for (const reference of spec.references) {
    const { column, dimension, key } = reference;
    try {
      const orphans = await count(
        session,
        `select count(*) as n from ${table} f where not exists (select 1 from ${dimension} d where d.${key} = f.${column})`,
      );
      let detail = `every ${column} is a ${dimension}.${key} (or -1)`;
      if (orphans > 0) {
        const examples = await session.query(
          `select distinct f.${column} as value from ${table} f where not exists (select 1 from ${dimension} d where d.${key} = f.${column}) limit 3`,
        );
        detail = `${plural(orphans, 'row')} with a ${column} that is not in ${dimension}, e.g. ${examples.rows.map((r) => String(r.value)).join(', ')}`;
      }
      out.push({ check: 'resolves_to_dimension', table, column, status: orphans === 0 ? 'passed' : 'failed', detail });
    } catch (error) {
      out.push(failedToRun('resolves_to_dimension', table, error, column));
    }
  }
  return out;
}

async function reconcile(session: WarehouseSession, spec: ReconciliationSpec): Promise<CheckResult> {
  const { source } = spec;
  try {
    const read = await count(session, 'select coalesce(sum(rows_read), 0) as n from bronze._files where table_name = ?', [source]);
    const quarantined = await count(session, 'select count(*) as n from bronze._quarantine where table_name = ?', [source]);
    const bronze = await count(session, `select count(*) as n from bronze.${source}`);
    const silver = await count(session, `select count(*) as n from silver.${source}`);
    const counts: Record<string, number> = { read, bronze, quarantined, silver, deduplicated: bronze - silver };
    const problems: string[] = [];
    if (read !== bronze + quarantined) problems.push(`${read - bronze - quarantined} rows read are neither in bronze nor quarantined`);

    let quarantineNote = '';
    if (quarantined > 0) {
      const reasons = await session.query<{ reason: string; n: unknown }>(
        'select reason, count(*) as n from bronze._quarantine where table_name = ? group by reason order by n desc, reason limit 3',
        [source],
      );
      quarantineNote = ` (${reasons.rows.map((r) => `${Number(r.n)} × ${r.reason}`).join('; ')}${quarantined > reasons.rows.reduce((n, r) => n + Number(r.n), 0) ? '; ...' : ''})`;
    }
    let text = `read ${read} → bronze ${bronze} + quarantined ${quarantined}${quarantineNote} → silver ${silver}`;
    if (bronze !== silver) text += ` (deduplicated ${bronze - silver}: the same key loaded again, the latest load wins)`;

    if (spec.gold.length === 0) {
      text += ` → feeds ${spec.feeds}`;
    } else {
      let gold = 0;
      const parts: string[] = [];
      for (const target of spec.gold) {
        const n = await count(session, `select count(*) as n from ${target.table}${target.where ? ` where ${target.where}` : ''}`);
        gold += n;
        parts.push(`${target.table} ${n}`);
      }
      counts.gold = gold;
      const explained: string[] = [];
      let differences = 0;
      for (const difference of spec.differences) {
        const n = await count(session, difference.rows);
        if (n === 0) continue;
        differences += n;
        counts[difference.reason] = n;
        explained.push(`${n} ${difference.reason}`);
      }
      text += ` → gold ${gold} (${parts.join(' + ')})`;
      if (explained.length > 0) text += `; not in gold: ${explained.join('; ')}`;
      if (gold !== silver - differences) {
        problems.push(`gold has ${gold} rows where silver ${silver} less ${differences} explained gives ${silver - differences}`);
      }
    }
    return {
      check: 'reconciliation',
      table: source,
      status: problems.length === 0 ? 'passed' : 'failed',
      detail: problems.length === 0 ? text : `${problems.join('; ')}: ${text}`,
      counts,
    };
  } catch (error) {
    return failedToRun('reconciliation', source, error);
  }
}
