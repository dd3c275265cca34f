import type { Dialect, WarehouseSession } from '@kineo/warehouse';
import { bronzeColumns, ident } from './bronze';
import type { LoadFileCounts, LoadFileInput } from './load-file.types';
import { LoadRejectedError } from './errors';
import { firstStrayLineBreak, shiftsPastBlankLines } from './source-lines';
import { keyValue, lineBreakCheck, lineBreaks, repeatedKeyProblem, rowLineBreaks, screenedRowProblems } from './validation';

/** Up to this many places where the numbering shifts, a row finds its own in a CASE (numberLines). */
const CASE_SHIFTS = 16384;

/** How many numbers a statement lists, writing the places a walk past blank lines found (numberLines). */
const LISTED_PER_STATEMENT = 50_000;

const REJECT_REASONS: Record<string, string> = {
  'TOO MANY COLUMNS': 'the row has more columns than the header',
  'MISSING COLUMNS': 'the row has fewer columns than the header',
  'INVALID ENCODING': 'the row is not valid UTF-8',
  'UNQUOTED VALUE': 'a quote is not closed, or stray text follows a closing quote',
  'LINE SIZE OVER MAXIMUM': 'the row is longer than the 2,000,000 bytes a row may hold (a value of megabytes is not one the LMS exports)',
};

/** Said of a row DuckDB rejected for a reason not listed above and without a message of its own. */
const REJECTED_UNREAD = 'the row could not be read as CSV';

/**
 * Loads one CSV file into bronze with DuckDB's own reader: every column as text, rows DuckDB
 * cannot read (ragged, bad UTF-8, broken quoting) and rows that break the contract (non-numeric
 * ids, impossible dates, unknown codes) go to bronze._quarantine with their line and reason.
 * `_source_line` is the physical line of the file the record starts on (the header is line 1), the
 * line an editor shows: a quoted field over several lines counts every one of them, a line ending
 * with LF or CRLF, and the blank lines DuckDB skips without a trace count too (see numberLines).
 * Its rows carry the load's `_batch_seq`; ingestFiles removes them if the load does not finish.
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
  // Pass two, in parallel: each row's line (shifted past the records DuckDB rejected before it and
  // the line breaks inside the records before it, see numberLines) and its contract problems (if
  // any), into the load's bronze Parquet file; rows with problems are then copied to
  // bronze._quarantine, which touches only the (few) rows concerned.
  await session.execute('drop table if exists _rejects; drop table if exists _reject_scans; drop table if exists _load');
  await session.execute('set preserve_insertion_order = true');
  // Blank lines before the header are skipped; every line number below is first reckoned as if the
  // header were line 1 (DuckDB's own for a rejected record counts the skipped lines: taken off),
  // and the skipped lines are added back to each row's line at the end.
  const before = input.linesBeforeHeader;
  await session.execute(`create temp table _load as
    select *
    from read_csv([${dialect.literal(input.path)}], columns = ${columnsArg}, header = true, delim = ',', quote = '"',
      escape = '"', auto_detect = false, strict_mode = true, all_varchar = true,${before > 0 ? ` skip = ${before},` : ''}
      store_rejects = true, rejects_table = '_rejects', rejects_scan = '_reject_scans')`).catch(async (error: unknown) => {
    throw (await unreadableFileRefusal(input, error)) ?? error;
  });

  const sha256 = await input.contentSha256();
  if (sha256 === null) {
    await session.execute('drop table if exists _load');
    return null;
  }
  const rejected = await session.query<{ n: number }>('select count(distinct line) as n from _rejects');
  const rejectedRecords = Number(rejected.rows[0].n);
  const ingestedAt = `cast(${dialect.literal(input.ingestedAt.toISOString())} as timestamp)`;
  if (rejectedRecords > 0) {
    // DuckDB's csv_line can start with the line breaks before the record (the LF that ended the
    // line before in a CRLF file, blank lines); a record never starts with one (that would be a
    // blank line, which DuckDB skips), so they go.
    await session.execute(`create or replace temp table _rej as
      -- A rejection of the whole line (one too long) has no column: arg_min would skip it and give null.
      select line - ${before} as line, arg_min(error_type, coalesce(column_idx, -1)) as error_type, arg_min(error_message, coalesce(column_idx, -1)) as error_message,
        ltrim(any_value(csv_line), chr(13) || chr(10)) as csv_line
      from _rejects group by line`);
  }
  // Two rows of one file with the same key (an id twice): silver would keep the later and drop the
  // other without a word, so the earlier is quarantined here, saying where the one loaded is. Only
  // a file that has such a pair pays for the window that finds them (a count of distinct keys first).
  const keys = spec.key.map((k) => keyValue(spec, k, dialect));
  const keyOfRow = keys.length === 1 ? keys[0] : `hash(${keys.join(', ')})`;
  const counted = await session.query<{ accepted: number; repeated: number }>(
    `select count(*) as accepted, count(${keyOfRow}) - count(distinct ${keyOfRow}) as repeated from _load`,
  );
  // A quoted field over several lines puts every later record further down the file than its count
  // says (see numberLines), and so does a blank line DuckDB skipped. A file of the header and one
  // line per record has no such field: nearly every file, told by the lines counted while it was
  // hashed, less its blank lines. Any other has its rows with a line break found, in a parallel
  // scan, and only a file with some pays for them. DuckDB reads a blank line of a one-column file
  // as a row (a NULL value): it skips one only between records of several columns.
  const fileLines = await input.lines();
  const lines = fileLines.lines - before;
  // Copied only for a file with blank lines before its header: another can list millions.
  const blankLines = before > 0 ? fileLines.blankLines.filter((line) => line > before + 1).map((line) => line - before) : fileLines.blankLines;
  const skippable = lowerHeader.length > 1 ? blankLines : [];
  let spanningRows = 0;
  if (lines - skippable.length !== 1 + Number(counted.rows[0].accepted) + rejectedRecords) {
    await session.execute(`create or replace temp table _spanning as
      select rowid as place, ${rowLineBreaks(lowerHeader, dialect)} as lines from _load where ${lineBreakCheck(lowerHeader, dialect)}`);
    const spanning = await session.query<{ n: number }>('select count(*) as n from _spanning');
    spanningRows = Number(spanning.rows[0].n);
  }
  let numbered = await numberLines(session, rejectedRecords, spanningRows, skippable);
  if (before > 0) {
    numbered = `(select * replace (_source_line + ${before} as _source_line) from ${numbered})`;
    if (rejectedRecords > 0) await session.execute(`create or replace temp table _rej as select * replace (source_line + ${before} as source_line) from _rej`);
  }
  if (rejectedRecords > 0) {
    const rejectCase = Object.entries(REJECT_REASONS)
      .map(([type, reason]) => `when ${dialect.literal(type)} then ${dialect.literal(reason)}`)
      .join(' ');
    await session.execute(`insert into bronze._quarantine
      select ${dialect.literal(input.batchId)}, ${input.batchSeq}, ${dialect.literal(spec.name)}, ${dialect.literal(input.sourceFile)}, source_line,
        coalesce(case error_type ${rejectCase} else error_message end, ${dialect.literal(REJECTED_UNREAD)}), csv_line, ${ingestedAt}, ${dialect.literal(sha256)}
      from _rej`);
  }

  // A file with a repeated key (counted above) runs the window that names the one loaded.
  const screened = screenedRowProblems(spec, dialect, sentinelList);
  let rows = `${numbered} numbered`;
  let problem = screened;
  if (Number(counted.rows[0].repeated) > 0) {
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
  await session.execute('drop table if exists _load; drop table if exists _rej; drop table if exists _spanning; drop table if exists _lines; drop table if exists _shift');

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

/**
 * Why DuckDB could not read a file, said for the customer, when its parser gave up on the file
 * (its own error names the parser's state, and a retry cannot help): a line break of another kind
 * than the file's, named with its line and the text before it, or else the file as not readable
 * as CSV. Undefined for any other failure (the disk, the engine), which stays an internal one.
 */
async function unreadableFileRefusal(input: LoadFileInput, error: unknown): Promise<LoadRejectedError | undefined> {
  const stray = await firstStrayLineBreak(input.path).catch(() => undefined);
  if (stray) {
    const after = `(after ${JSON.stringify(stray.before)})`;
    const problem = stray.kind === 'CR'
      ? `line ${stray.line} ends with a carriage return (CR) alone, where the file's other lines end with ${stray.fileEnds} ${after}: ` +
        'a stray CR, or lines with old Mac line endings pasted in. Remove that CR, or save the file again with one kind of line ending (Windows CRLF or Unix LF), and load it again'
      : `line ${stray.line} ends with a line feed (LF) alone, where the file's other lines end with CRLF ${after}: ` +
        'a line break inside a value that is not in double quotes, or lines with Unix line endings pasted in. Put that value in double quotes, ' +
        'or save the file again with one kind of line ending (Windows CRLF or Unix LF), and load it again';
    return new LoadRejectedError([{ file: input.sourceFile, problem }]);
  }
  const message = error instanceof Error ? error.message : String(error);
  if (!/^(?:Error: )?Invalid Input Error: [^\n]*CSV/.test(message)) return undefined;
  return new LoadRejectedError([{
    file: input.sourceFile,
    problem: 'the file cannot be read as CSV: the reader stopped at a line it cannot make sense of, and cannot say which. ' +
      'Open it in a spreadsheet and save it again as "CSV UTF-8 (comma delimited)", or export it again from the LMS, and load it again',
  }]);
}

/**
 * The rows of `_load` with `_source_line`, the physical line the record starts on (the header is
 * line 1), as a subquery; `_rej` (the rejected records) gets its `source_line` too. `_spanning`
 * holds the accepted records with a line break (`place` their rowid, `lines` their line breaks);
 * `blankLines` the file's blank lines where DuckDB skips them (the file's own numbers).
 *
 * DuckDB numbers records, not lines: `_rejects.line` is 2 + the records and blank lines before
 * it, whatever line breaks they hold, and the n-th accepted record is `rowid` n - 1. So the n-th
 * accepted record is on line n + 1, plus one line for each rejected record before it, plus the
 * line breaks inside every record before it, plus the blank lines before it. Those come from a few
 * records only (the rejected ones and those with a quoted line break) and the blank lines: each
 * accepted row takes the lines added before it, a number that changes only at those, from
 * `_shift` (a CASE nested as a binary search for up to CASE_SHIFTS places, else an asof join). A file with none of them (nearly all)
 * gets `rowid + 2`. Without blank lines the places come from `_lines`, the few records in file
 * order by the number of accepted records before each, with a running total of the lines they add
 * (one thread's work but over those few records). With blank lines, DuckDB's line for a rejected
 * record no longer tells the accepted records before it alone: a walk through the blank lines and
 * the few records in file order does (shiftsPastBlankLines), here in Node.
 */
async function numberLines(session: WarehouseSession, rejectedRecords: number, spanningRows: number, blankLines: number[]): Promise<string> {
  if (rejectedRecords === 0 && spanningRows === 0 && blankLines.length === 0) return '(select *, rowid + 2 as _source_line from _load)';
  if (blankLines.length > 0) await shiftPastBlankLines(session, rejectedRecords, spanningRows, blankLines);
  else await shiftPastRecords(session, rejectedRecords, spanningRows);
  // Up to some thousands of places (bad, multi-line rows or blank lines in a large file), each row
  // finds its own in a CASE nested as a binary search, in parallel, a dozen comparisons a row at
  // most; the asof join sorts every row, which costs the file's load about half again.
  const shifts = await session.query<{ accepted_before: number; through: number }>(
    `select accepted_before, through from _shift order by accepted_before limit ${CASE_SHIFTS + 1}`,
  );
  if (shifts.rows.length === 0) return '(select *, rowid + 2 as _source_line from _load)';
  if (shifts.rows.length <= CASE_SHIFTS) {
    const places = [{ at: 0, through: 0 }, ...shifts.rows.map((s) => ({ at: Number(s.accepted_before), through: Number(s.through) }))];
    // The shift of a row at or past places[from] and before places[to] (if any).
    const search = (from: number, to: number): string => {
      if (to - from === 1) return String(places[from].through);
      const mid = (from + to) >> 1;
      return `case when rowid >= ${places[mid].at} then ${search(mid, to)} else ${search(from, mid)} end`;
    };
    return `(select *, rowid + 2 + ${search(0, places.length)} as _source_line from _load)`;
  }
  return `(select l.*, l.rowid + 2 + coalesce(s.through, 0) as _source_line
      from _load l asof left join _shift s on l.rowid >= s.accepted_before)`;
}

/** `_shift` and `_rej.source_line` for a file without blank lines, in SQL (see numberLines). */
async function shiftPastRecords(session: WarehouseSession, rejectedRecords: number, spanningRows: number): Promise<void> {
  // The k-th rejected record (in line order) on DuckDB's line L has L - 1 - k accepted records before it.
  const rejectedEvents = `select line - 1 - row_number() over (order by line) as accepted_before, 1 as rejected, line as place,
      1 + ${lineBreaks('csv_line')} as lines from _rej`;
  // An accepted record over several lines pushes down the records after it: the rows from rowid + 1 on.
  const spanningEvents = 'select place + 1 as accepted_before, 0 as rejected, place, lines from _spanning';
  const events = [rejectedRecords > 0 ? rejectedEvents : null, spanningRows > 0 ? spanningEvents : null].filter((e) => e !== null);
  // At one count of accepted records before, the accepted record (rowid + 1) came before the rejected ones.
  await session.execute(`create or replace temp table _lines as
    select *, sum(lines) over (order by accepted_before, rejected, place rows unbounded preceding) as through
    from (${events.join(' union all ')})`);
  if (rejectedRecords > 0) {
    await session.execute(`create or replace temp table _rej as
      select r.*, l.accepted_before + 2 + l.through - l.lines as source_line
      from _rej r join _lines l on l.rejected = 1 and l.place = r.line`);
  }
  await session.execute('create or replace temp table _shift as select accepted_before, max(through) as through from _lines group by accepted_before');
}

/** `_shift` and `_rej.source_line` for a file with blank lines DuckDB skipped, from a walk in file order (see numberLines). */
async function shiftPastBlankLines(session: WarehouseSession, rejectedRecords: number, spanningRows: number, blankLines: number[]): Promise<void> {
  const spanning = spanningRows > 0 ? (await session.query<{ place: number; breaks: number }>('select place, lines as breaks from _spanning order by place')).rows : [];
  const rejected = rejectedRecords > 0 ? (await session.query<{ line: number; breaks: number }>(`select line, ${lineBreaks('csv_line')} as breaks from _rej order by line`)).rows : [];
  const walked = shiftsPastBlankLines(
    blankLines,
    spanning.map((r) => ({ place: Number(r.place), breaks: Number(r.breaks) })),
    rejected.map((r) => ({ line: Number(r.line), breaks: Number(r.breaks) })),
  );
  // In statements of a bounded size: a file can have a blank line after each of millions of records.
  const list = (values: number[]) => `[${values.join(', ')}]::bigint[]`;
  const inserts = async (table: string, columns: [string, string], first: number[], second: number[]) => {
    await session.execute(`create or replace temp table ${table} (${columns[0]} bigint, ${columns[1]} bigint)`);
    for (let from = 0; from < first.length; from += LISTED_PER_STATEMENT) {
      const to = from + LISTED_PER_STATEMENT;
      await session.execute(`insert into ${table} select unnest(${list(first.slice(from, to))}), unnest(${list(second.slice(from, to))})`);
    }
  };
  await inserts('_shift', ['accepted_before', 'through'], walked.acceptedBefore, walked.through);
  if (rejectedRecords > 0) {
    await inserts('_rej_lines', ['line', 'source_line'], [...walked.rejected.keys()], [...walked.rejected.values()]);
    await session.execute(`create or replace temp table _rej as
      select r.*, coalesce(w.source_line, r.line) as source_line from _rej r left join _rej_lines w on w.line = r.line`);
    await session.execute('drop table _rej_lines');
  }
}
