import type { Dialect, WarehouseSession } from '@kineo/warehouse';
import type { LoadFileCounts, LoadFileInput } from './load-file.types';
import { repeatedKeyProblem, rowProblems } from './validation';

const CORRUPT = '_corrupt_record';
const RESCUED = '_rescued_data';

/** Worded as the DuckDB loader words DuckDB's reject types, so reports read the same on both engines. */
const MORE_COLUMNS = 'the row has more columns than the header';
const FEWER_COLUMNS = 'the row has fewer columns than the header';
const BAD_QUOTES = 'a quote is not closed, or stray text follows a closing quote';
const NOT_UTF8 = 'the row is not valid UTF-8';
const RESCUED_DATA = 'the row has values Databricks could not place in the columns of the header';

/**
 * Loads one staged CSV file (`input.path` is its `/Volumes/...` location) into bronze on
 * Databricks, with the same bronze columns, quarantine rows and reasons as `loadCsvFile`:
 * `read_files` with the header's own names as an all-STRING schema in file order (so Spark's
 * positional schema and a by-name match agree), PERMISSIVE mode, `_corrupt_record` and
 * `rescuedDataColumn`; then the contract checks of validation.ts in the Databricks dialect.
 * The file is read twice: once for the quarantined rows, once for the loaded ones.
 *
 * What differs from DuckDB, as far as Databricks lets us tell:
 * - `_source_line` is the record's ordinal + 1 (header = line 1) from `monotonically_increasing_id()`
 *   over a `multiLine` read, which keeps the file in one partition so the ids are 0, 1, 2, ... in
 *   file order. `_metadata` has the file but no line or row index for CSV. DuckDB's numbers also
 *   count records, so the two agree unless blank lines or quoted line breaks come before a row.
 * - Ragged rows are Spark's corrupt records; "more" or "fewer" columns is told by counting the
 *   delimiters outside quotes in the raw record. A record that still has the header's count is
 *   put down to its quoting. Spark parses some broken quoting leniently where DuckDB rejects it.
 * - Spark does not reject bytes that are not UTF-8: it decodes them as U+FFFD. A row holding
 *   U+FFFD is quarantined as not UTF-8, so a genuine U+FFFD in the export is quarantined too.
 * - `raw` of a quarantined row is the record's text when Spark kept it (corrupt records), else
 *   the row as JSON; `to_json` leaves out NULL fields, DuckDB's `json_object` keeps them. The
 *   same holds for `_extra`.
 * - No transaction: this inserts into bronze._quarantine and bronze.<file> as separate Delta
 *   commits. `ingestFiles` makes the load all or nothing with `removeUnfinishedLoad`.
 */
export async function loadCsvFileDatabricks(session: WarehouseSession, dialect: Dialect, input: LoadFileInput): Promise<LoadFileCounts | null> {
  const { spec } = input;
  const sha256 = await input.contentSha256();
  if (sha256 === null) return null;
  const q = (name: string) => dialect.ident(name);
  const lit = (value: string) => dialect.literal(value);
  const lowerHeader = input.header.map((h) => h.toLowerCase());
  const contractNames = new Set(spec.columns.map((c) => c.name));
  const extras = lowerHeader.filter((h) => !contractNames.has(h));
  const contractColumns = spec.columns.map((c) => q(c.name));
  const json = (names: string[]) => `to_json(named_struct(${names.map((n) => `${lit(n)}, ${q(n)}`).join(', ')}))`;

  const schema = [...input.header.map((h) => `${q(h)} STRING`), `${CORRUPT} STRING`].join(', ');
  const read = `read_files(${lit(input.path)}, format => 'csv', header => true, schema => ${lit(schema)}, mode => 'PERMISSIVE',
      columnNameOfCorruptRecord => ${lit(CORRUPT)}, rescuedDataColumn => ${lit(RESCUED)}, multiLine => true,
      sep => ',', quote => '"', escape => '"', encoding => 'UTF-8')`;
  const unquoted = `regexp_replace(${CORRUPT}, ${lit('"([^"]|"")*"')}, '')`;
  const fields = `(length(${unquoted}) - length(replace(${unquoted}, ',', '')) + 1)`;
  const sentinelList = input.sentinels.length > 0 ? input.sentinels.map((t) => lit(t)).join(', ') : "''";
  const problem = `case
      when ${CORRUPT} is not null then case when ${fields} > ${input.header.length} then ${lit(MORE_COLUMNS)}
        when ${fields} < ${input.header.length} then ${lit(FEWER_COLUMNS)} else ${lit(BAD_QUOTES)} end
      when instr(concat_ws('', ${lowerHeader.map(q).join(', ')}), ${lit('\ufffd')}) > 0 then ${lit(NOT_UTF8)}
      when ${RESCUED} is not null then ${lit(RESCUED_DATA)}
      else ${rowProblems(spec, dialect, sentinelList)} end`;
  // A key the file repeats: the earlier row is quarantined, saying where the one loaded is (as on DuckDB).
  const rows = `(select *, ${repeatedKeyProblem(spec, dialect, '_checked')} as _problem from (select *, ${problem} as _checked from (
      select *, monotonically_increasing_id() + 2 as _source_line from ${read}) numbered) unchecked) checked`;
  const ingestedAt = `cast(${lit(input.ingestedAt.toISOString())} as timestamp)`;
  const table = `bronze.${spec.name}`;

  await session.execute(`insert into bronze._quarantine
      (_batch_id, _batch_seq, table_name, _source_file, _source_line, reason, raw, _ingested_at, _content_sha256)
    select ${lit(input.batchId)}, ${input.batchSeq}, ${lit(spec.name)}, ${lit(input.sourceFile)}, _source_line, _problem,
      coalesce(${CORRUPT}, ${json([...spec.columns.map((c) => c.name), ...extras])}), ${ingestedAt}, ${lit(sha256)}
    from ${rows} where _problem is not null`);
  await session.execute(`insert into ${table}
      (${contractColumns.join(', ')}, _extra, _batch_id, _batch_seq, _source_file, _source_line, _ingested_at, _content_sha256, _problem)
    select ${contractColumns.join(', ')}, ${extras.length > 0 ? json(extras) : 'cast(null as string)'}, ${lit(input.batchId)}, ${input.batchSeq},
      ${lit(input.sourceFile)}, _source_line, ${ingestedAt}, ${lit(sha256)}, cast(null as string)
    from ${rows} where _problem is null`);

  const loaded = await session.query<{ n: number }>(
    `select count(*) as n from ${table} where _batch_seq = ? and _batch_id = ? and _source_file = ?`,
    [input.batchSeq, input.batchId, input.sourceFile],
  );
  const reasons = await session.query<{ reason: string; n: number }>(
    `select reason, count(*) as n from bronze._quarantine where _batch_id = ? and _source_file = ? group by reason order by n desc, reason`,
    [input.batchId, input.sourceFile],
  );
  const rowsLoaded = Number(loaded.rows[0].n);
  const rowsQuarantined = reasons.rows.reduce((n, r) => n + Number(r.n), 0);
  return {
    rowsRead: rowsLoaded + rowsQuarantined,
    rowsLoaded,
    rowsQuarantined,
    reasons: reasons.rows.slice(0, 10).map((r) => ({ reason: r.reason, rows: Number(r.n) })),
  };
}

