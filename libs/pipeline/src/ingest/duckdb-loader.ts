import type { Dialect, WarehouseSession } from '@kineo/warehouse';
import { bronzeColumns, ident } from './bronze';
import type { LoadFileCounts, LoadFileInput } from './load-file.types';
import { keyValue, repeatedKeyProblem, screenedRowProblems } from './validation';

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
 * one line. Its rows carry the load's `_batch_seq`; ingestFiles removes them if the load does not finish.
 * `file` is the load's bronze Parquet file for this table (see parquetBronze). Null when the
 * file's content was loaded before.
 */
export async function loadCsvFile(session: WarehouseSession, dialect: Dialect, input: LoadFileInput, file: string): Promise<LoadFileCounts | null> {
  const { spec } = input;
  const lowerHeader = input.header.map((h) => h.toLowerCase());
  const contractNames = new Set(spec.columns.map((c) => c.name));
  const extras = lowerHeader.filter((h) => !contractNames.has(h));
  const columnsArg = `{${lowerHeader.map((h) => `${dialect.literal(h)}: 'VARCHAR'`).join(', ')}}`;

  const sentinelList = input.sentinels.length > 0 ? input.sentinels.map((t) => dialect.literal(t)).join(', ') : "''";
  const extra = extras.length > 0 ? `cast(json_object(${extras.map((e) => `${dialect.literal(e)}, ${ident(e)}`).join(', ')}) as varchar)` : 'cast(null as varchar)';

  // Pass one: DuckDB parses the file in parallel into a temporary table. With insertion order
  // preserved (DuckDB's default, and a guarantee of its CSV reader and CREATE TABLE AS), the
  // table's rowid is the record's place among the records DuckDB accepted, so numbering costs
  // nothing; a row_number() window here would run on one thread.
  // Pass two, in parallel: each row's line (shifted past the records DuckDB rejected before it)
  // and its contract problems (if any), into the load's bronze Parquet file; rows with problems
  // are then copied to bronze._quarantine, which touches only the (few) rows concerned.
  await session.execute('drop table if exists _rejects; drop table if exists _reject_scans; drop table if exists _load');
  await session.execute('set preserve_insertion_order = true');
  await session.execute(`create temp table _load as
    select *
    from read_csv([${dialect.literal(input.path)}], columns = ${columnsArg}, header = true, delim = ',', quote = '"',
      escape = '"', auto_detect = false, strict_mode = true, all_varchar = true,
      store_rejects = true, rejects_table = '_rejects', rejects_scan = '_reject_scans')`);

  const sha256 = await input.contentSha256();
  if (sha256 === null) {
    await session.execute('drop table if exists _load');
    return null;
  }
  const rejected = await session.query<{ n: number }>('select count(distinct line) as n from _rejects');
  const rejectedRecords = Number(rejected.rows[0].n);
  const ingestedAt = `cast(${dialect.literal(input.ingestedAt.toISOString())} as timestamp)`;
  // The header is line 1, so the n-th accepted record is on line n + 1 plus the rejected records before it.
  let numbered = '(select *, rowid + 2 as _source_line from _load)';
  if (rejectedRecords > 0) {
    await session.execute(`create or replace temp table _rej as
      select line, arg_min(error_type, column_idx) as error_type, arg_min(error_message, column_idx) as error_message,
        any_value(csv_line) as csv_line
      from _rejects group by line`);
    // The k-th rejected record (in line order) on line L has L - 1 - k accepted records before it.
    await session.execute(`create or replace temp table _rejpos as
      select accepted_before, max(rank) as rank from (
        select line - 1 - row_number() over (order by line) as accepted_before, row_number() over (order by line) as rank from _rej
      ) group by accepted_before`);
    const rejectCase = Object.entries(REJECT_REASONS)
      .map(([type, reason]) => `when ${dialect.literal(type)} then ${dialect.literal(reason)}`)
      .join(' ');
    await session.execute(`insert into bronze._quarantine
      select ${dialect.literal(input.batchId)}, ${input.batchSeq}, ${dialect.literal(spec.name)}, ${dialect.literal(input.sourceFile)}, line,
        case error_type ${rejectCase} else error_message end, csv_line, ${ingestedAt}, ${dialect.literal(sha256)}
      from _rej`);
    numbered = `(select l.*, l.rowid + 2 + coalesce(r.rank, 0) as _source_line
      from _load l asof left join _rejpos r on l.rowid + 1 > r.accepted_before)`;
  }

  // Two rows of one file with the same key (an id twice): silver would keep the later and drop the
  // other without a word, so the earlier is quarantined here, saying where the one loaded is. Only
  // a file that has such a pair pays for the window that finds them (a count of distinct keys first).
  const screened = screenedRowProblems(spec, dialect, sentinelList);
  const keys = spec.key.map((k) => keyValue(spec, k, dialect));
  const keyOfRow = keys.length === 1 ? keys[0] : `hash(${keys.join(', ')})`;
  const repeated = await session.query<{ n: number }>(`select count(${keyOfRow}) - count(distinct ${keyOfRow}) as n from _load`);
  let rows = `${numbered} numbered`;
  let problem = screened;
  if (Number(repeated.rows[0].n) > 0) {
    rows = `(select *, ${screened} as _screened from ${numbered} n0) numbered`;
    problem = repeatedKeyProblem(spec, dialect, '_screened');
  }

  // Every row goes into the load's Parquet file, those with a problem too (bronze's view leaves
  // them out), so the quarantine below reads them back from the file instead of deleting them.
  const values: Record<string, string> = {
    _extra: extra, _batch_id: dialect.literal(input.batchId), _batch_seq: String(input.batchSeq), _source_file: dialect.literal(input.sourceFile),
    _source_line: '_source_line', _ingested_at: ingestedAt, _content_sha256: dialect.literal(sha256), _problem: problem,
  };
  const select = bronzeColumns(spec).map((c) => `cast(${values[c.name] ?? ident(c.name)} as ${c.type}) as ${ident(c.name)}`);
  await session.execute(`copy (select ${select.join(', ')} from ${rows}) to ${dialect.literal(file)} (format parquet)`);
  await session.execute('drop table if exists _load; drop table if exists _rej; drop table if exists _rejpos');

  const written = `read_parquet(${dialect.literal(file)})`;
  const inserted = await session.query<{ total: number; bad: number }>(`select count(*) as total, count(_problem) as bad from ${written}`);
  const total = Number(inserted.rows[0].total);
  const bad = Number(inserted.rows[0].bad);
  if (bad > 0) {
    const contractRow = `json_object(${spec.columns.map((c) => `${dialect.literal(c.name)}, ${ident(c.name)}`).join(', ')})`;
    await session.execute(`insert into bronze._quarantine
      select _batch_id, _batch_seq, ${dialect.literal(spec.name)}, _source_file, _source_line, _problem,
        cast(json_merge_patch(${contractRow}, coalesce(_extra, '{}')) as varchar), _ingested_at, _content_sha256
      from ${written} where _problem is not null`);
  }

  const reasons = await session.query<{ reason: string; rows: number }>(
    `select reason, count(*) as rows from bronze._quarantine where _batch_id = ? and _source_file = ?
     group by reason order by rows desc, reason limit 10`,
    [input.batchId, input.sourceFile],
  );
  const loaded = total - bad;
  const quarantined = bad + rejectedRecords;
  return {
    rowsRead: loaded + quarantined,
    rowsLoaded: loaded,
    rowsQuarantined: quarantined,
    reasons: reasons.rows.map((r) => ({ reason: r.reason, rows: Number(r.rows) })),
  };
}
