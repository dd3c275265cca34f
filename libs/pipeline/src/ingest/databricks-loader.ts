import type { Dialect, WarehouseSession } from '@kineo/warehouse';
import type { LoadFileCounts, LoadFileInput } from './load-file.types';
import { LoadRejectedError } from './errors';
import { shiftsPastBlankLines, type LineShifts } from './source-lines';
import { lineBreakCheck, lineBreaks, repeatedKeyProblem, rowLineBreaks, rowProblems } from './validation';

const CORRUPT = '_corrupt_record';
const RESCUED = '_rescued_data';

/** Up to this many places where the numbering shifts, a record finds its own in a CASE (byShifts). */
const FEW_SHIFTS = 64;

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
 * The file is read twice: once for the quarantined rows, once for the loaded ones (a file with
 * a quoted line break more often, below).
 *
 * What differs from DuckDB, as far as Databricks lets us tell:
 * - `_source_line` is the physical line the record starts on (header = line 1), as on DuckDB, but
 *   counted from the records: `_metadata` has the file but no line or row index for CSV. The
 *   record's ordinal comes from `monotonically_increasing_id()` over a `multiLine` read, which
 *   keeps the file in one partition so the ids are 0, 1, 2, ... in file order. When the file has
 *   more lines than the header and its records (counted while it was hashed), a read looks for
 *   quoted line breaks (values keep them; a corrupt record's text too), and a file that has some
 *   is loaded again, each record numbered past the line breaks of the records before it. Spark
 *   skips blank lines, as DuckDB does, so neither counts them.
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
  // DuckDB's loader skips them; here they are refused with what to do rather than numbered wrongly
  // (read_files' skipRows would do, but the emulated Databricks the tests run on does not have it).
  if (input.linesBeforeHeader > 0) {
    throw new LoadRejectedError([{ file: input.sourceFile, problem: `the file has ${input.linesBeforeHeader} blank line(s) before its header row: remove them, so that the header is line 1, and load it again` }]);
  }
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
  const ingestedAt = `cast(${lit(input.ingestedAt.toISOString())} as timestamp)`;
  const table = `bronze.${spec.name}`;
  const thisFile = [input.batchSeq, input.batchId, input.sourceFile];

  const insert = async (numbered: string) => {
    // A key the file repeats: the earlier row is quarantined, saying where the one loaded is (as on DuckDB).
    const rows = `(select *, ${repeatedKeyProblem(spec, dialect, '_checked')} as _problem from (select *, ${problem} as _checked from (
      ${numbered}) numbered) unchecked) checked`;
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
  };
  const counted = async () => {
    const loaded = await session.query<{ n: number }>(`select count(*) as n from ${table} where _batch_seq = ? and _batch_id = ? and _source_file = ?`, thisFile);
    const reasons = await session.query<{ reason: string; n: number }>(
      `select reason, count(*) as n from bronze._quarantine where _batch_seq = ? and _batch_id = ? and _source_file = ? group by reason order by n desc, reason`,
      thisFile,
    );
    return { rowsLoaded: Number(loaded.rows[0].n), rowsQuarantined: reasons.rows.reduce((n, r) => n + Number(r.n), 0), reasons: reasons.rows };
  };

  // Line breaks in a record's values (a corrupt record's fields are not the record: Spark keeps its text whole).
  const breaks = `case when ${CORRUPT} is not null then ${lineBreaks(CORRUPT)} else ${rowLineBreaks(lowerHeader, dialect)} end`;
  const { lines, blankLines } = await input.lines();
  // Spark skips a blank line between records as DuckDB does. A one-column file's blank line is taken
  // for a row, as DuckDB and the test server read it (not checked against Spark).
  const skippable = lowerHeader.length > 1 ? blankLines : [];
  if (skippable.length > 0) {
    // Blank lines push the records after them down the file, and only the walk through them and the
    // records with line breaks (one read of the file for those) tells which are a value's. Spark
    // keeps the records in file order, rejected ones too, so each is one of the accepted records the
    // walk counts. Loaded once, with the lines it gives.
    const spanning = await session.query<{ place: number; breaks: number }>(
      `select _record as place, _breaks as breaks from (select monotonically_increasing_id() as _record, ${breaks} as _breaks from ${read}) records where _breaks > 0 order by _record`,
    );
    const walked = shiftsPastBlankLines(skippable, spanning.rows.map((r) => ({ place: Number(r.place), breaks: Number(r.breaks) })), []);
    await insert(byShifts(walked, `(select *, monotonically_increasing_id() as _record from ${read})`));
    const { rowsLoaded, rowsQuarantined, reasons } = await counted();
    return { rowsRead: rowsLoaded + rowsQuarantined, rowsLoaded, rowsQuarantined, reasons: reasons.slice(0, 10).map((r) => ({ reason: r.reason, rows: Number(r.n) })) };
  }
  // Numbered by record, which is the line for nearly every file.
  await insert(`select *, monotonically_increasing_id() + 2 as _source_line from ${read}`);
  let { rowsLoaded, rowsQuarantined, reasons } = await counted();
  // A quoted field over several lines puts the records after it further down the file than their
  // count says. A file of the header and one line per record has none, told by the lines counted
  // while it was hashed, at no cost here. Any other has its records with a line break counted (one
  // more read of the file); only a file with some is loaded again, each record numbered past the
  // line breaks of those before it, a running sum in file order (a window over the whole file).
  if (lines !== 1 + rowsLoaded + rowsQuarantined) {
    const spanning = await session.query<{ n: number }>(`select count(*) as n from ${read} where ${lineBreakCheck([...lowerHeader, CORRUPT], dialect)}`);
    if (Number(spanning.rows[0].n) > 0) {
      await session.execute('delete from bronze._quarantine where _batch_seq = ? and _batch_id = ? and _source_file = ?', thisFile);
      await session.execute(`delete from ${table} where _batch_seq = ? and _batch_id = ? and _source_file = ?`, thisFile);
      await insert(`select *, _record + 2 + coalesce(sum(_breaks) over (order by _record rows between unbounded preceding and 1 preceding), 0) as _source_line
        from (select *, monotonically_increasing_id() as _record, ${breaks} as _breaks from ${read}) records`);
      ({ rowsLoaded, rowsQuarantined, reasons } = await counted());
    }
  }
  return {
    rowsRead: rowsLoaded + rowsQuarantined,
    rowsLoaded,
    rowsQuarantined,
    reasons: reasons.slice(0, 10).map((r) => ({ reason: r.reason, rows: Number(r.n) })),
  };
}

/**
 * The records of `records` (numbered `_record` in file order) with their `_source_line`, from
 * shiftsPastBlankLines' places: a CASE for a few (up to FEW_SHIFTS), else the places as an inline
 * table joined to the records they start at, each record taking the last one before it with a
 * running max (the lines added only grow), a window over the file as for line breaks. The
 * statement grows with the places (a file with a blank line after each of very many records).
 */
function byShifts(walked: Pick<LineShifts, 'acceptedBefore' | 'through'>, records: string): string {
  const { acceptedBefore, through } = walked;
  if (acceptedBefore.length <= FEW_SHIFTS) {
    const whens = acceptedBefore.map((at, i) => `when _record >= ${at} then ${through[i]}`).reverse();
    return `select *, _record + 2 + ${whens.length > 0 ? `case ${whens.join(' ')} else 0 end` : '0'} as _source_line from ${records} records`;
  }
  const places = acceptedBefore.map((at, i) => `(${at}, ${through[i]})`).join(', ');
  return `select r.*, r._record + 2 + coalesce(max(s._through) over (order by r._record rows between unbounded preceding and current row), 0) as _source_line
    from ${records} r left join (values ${places}) as s(_place, _through) on s._place = r._record`;
}
