import type { SourceFileSpec } from '@kineo/contract';
import type { Dialect, WarehouseSession } from '@kineo/warehouse';
import { ident } from './bronze';
import { rowProblems } from './validation';

export interface LoadFileInput {
  spec: SourceFileSpec;
  /** Absolute path inside the tenant's landing area. */
  path: string;
  /** The file's name as uploaded, for reports and `_source_file`. */
  sourceFile: string;
  /** The header as written in the file, in file order. */
  header: string[];
  sha256: string;
  batchId: string;
  batchSeq: number;
  ingestedAt: Date;
}

export interface LoadFileCounts {
  rowsRead: number;
  rowsLoaded: number;
  rowsQuarantined: number;
  /** The commonest quarantine reasons, for the report. */
  reasons: { reason: string; rows: number }[];
}

const REJECT_REASONS: Record<string, string> = {
  'TOO MANY COLUMNS': 'the row has more columns than the header',
  'MISSING COLUMNS': 'the row has fewer columns than the header',
  'INVALID ENCODING': 'the row is not valid UTF-8',
  'UNQUOTED VALUE': 'a quote is not closed, or stray text follows a closing quote',
};

/**
 * Loads one CSV file into bronze with DuckDB's own reader: every column as text, rows DuckDB
 * cannot read (ragged, bad UTF-8, broken quoting) and rows that break the contract (non-numeric
 * ids, impossible dates, unknown codes) go to bronze._quarantine with their line and reason.
 * `_source_line` is the record's line in the file (the header is line 1), counting each record as
 * one line. Runs inside the caller's transaction.
 */
export async function loadCsvFile(session: WarehouseSession, dialect: Dialect, input: LoadFileInput): Promise<LoadFileCounts> {
  const { spec } = input;
  const lowerHeader = input.header.map((h) => h.toLowerCase());
  const contractNames = new Set(spec.columns.map((c) => c.name));
  const extras = lowerHeader.filter((h) => !contractNames.has(h));
  const columnsArg = `{${lowerHeader.map((h) => `${dialect.literal(h)}: 'VARCHAR'`).join(', ')}}`;

  await session.execute('drop table if exists _rejects; drop table if exists _reject_scans');
  await session.execute(`create or replace temp table _stage as
    select row_number() over () as _ord, *
    from read_csv([${dialect.literal(input.path)}], columns = ${columnsArg}, header = true, delim = ',', quote = '"',
      escape = '"', auto_detect = false, strict_mode = true, all_varchar = true,
      store_rejects = true, rejects_table = '_rejects', rejects_scan = '_reject_scans')`);
  await session.execute(`create or replace temp table _rej as
    select line, arg_min(error_type, column_idx) as error_type, arg_min(error_message, column_idx) as error_message,
      any_value(csv_line) as csv_line
    from _rejects group by line`);
  // For the accepted row with ordinal i, its line is i + 1 (header) + the rejected records before it.
  await session.execute(`create or replace temp table _rejpos as
    select accepted_before, max(rank) as rank from (
      select line - 1 - row_number() over (order by line) as accepted_before, row_number() over (order by line) as rank from _rej
    ) group by accepted_before`);

  const sentinels = 'select trim(value) from bronze.null_dates';
  const extra = extras.length > 0 ? `cast(json_object(${extras.map((e) => `${dialect.literal(e)}, s.${ident(e)}`).join(', ')}) as varchar)` : 'cast(null as varchar)';
  await session.execute(`create or replace temp table _checked as
    select s.*, s._ord + 1 + coalesce(r.rank, 0) as _line, ${rowProblems(spec, dialect, sentinels)} as _problem, ${extra} as _extra_json
    from _stage s asof left join _rejpos r on s._ord > r.accepted_before`);

  const audit = [
    dialect.literal(input.batchId),
    String(input.batchSeq),
    dialect.literal(input.sourceFile),
    '_line',
    `cast(${dialect.literal(input.ingestedAt.toISOString())} as timestamp)`,
    dialect.literal(input.sha256),
  ];
  const contractColumns = spec.columns.map((c) => ident(c.name));
  await session.execute(`insert into bronze.${spec.name} (${contractColumns.join(', ')}, _extra, _batch_id, _batch_seq, _source_file, _source_line, _ingested_at, _content_sha256)
    select ${contractColumns.join(', ')}, _extra_json, ${audit.join(', ')} from _checked where _problem is null`);
  const rawRow = `cast(json_object(${lowerHeader.map((h) => `${dialect.literal(h)}, ${ident(h)}`).join(', ')}) as varchar)`;
  await session.execute(`insert into bronze._quarantine
    select ${audit[0]}, ${audit[1]}, ${dialect.literal(spec.name)}, ${audit[2]}, _line, _problem, ${rawRow}, ${audit[4]}, ${audit[5]}
    from _checked where _problem is not null`);
  const rejectCase = Object.entries(REJECT_REASONS)
    .map(([type, reason]) => `when ${dialect.literal(type)} then ${dialect.literal(reason)}`)
    .join(' ');
  await session.execute(`insert into bronze._quarantine
    select ${audit[0]}, ${audit[1]}, ${dialect.literal(spec.name)}, ${audit[2]}, line,
      case error_type ${rejectCase} else error_message end, csv_line, ${audit[4]}, ${audit[5]}
    from _rej`);

  const counts = await session.query<{ accepted: number; bad: number; rejected: number }>(`select
    (select count(*) from _checked where _problem is null) as accepted,
    (select count(*) from _checked where _problem is not null) as bad,
    (select count(*) from _rej) as rejected`);
  const reasons = await session.query<{ reason: string; rows: number }>(
    `select reason, count(*) as rows from bronze._quarantine where _batch_id = ? and _source_file = ?
     group by reason order by rows desc, reason limit 10`,
    [input.batchId, input.sourceFile],
  );
  await session.execute('drop table if exists _stage; drop table if exists _checked; drop table if exists _rej; drop table if exists _rejpos');
  const { accepted, bad, rejected } = counts.rows[0];
  return {
    rowsRead: Number(accepted) + Number(bad) + Number(rejected),
    rowsLoaded: Number(accepted),
    rowsQuarantined: Number(bad) + Number(rejected),
    reasons: reasons.rows.map((r) => ({ reason: r.reason, rows: Number(r.rows) })),
  };
}
