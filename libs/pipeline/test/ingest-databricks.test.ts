import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DatabricksWarehouse, namespaceForTenantSeq } from '@kineo/warehouse';
import { startDatabricksTestServer, type DatabricksTestServer } from '@kineo/warehouse/test/databricks-server';
import { ingestFiles, LoadRejectedError } from '../src';
import { header, writeCsv, writeMinimalExport, writeCompletionsWithBadRows, writeCoursesOverSeveralLines, coursesOverSeveralLines, writeCoursesWithBlankLines, coursesWithBlankLines, writeCoursesDoubleSpaced, lineStarting, COMPLETIONS_QUARANTINED } from './fixtures';

const tenant = { tenantId: 't1', namespace: namespaceForTenantSeq(41) };
let batch = 0;
const nextBatch = () => ({ batchId: `00000000-0000-4000-8000-${String(++batch).padStart(12, '0')}`, source: 'test' });

describe('loading export files into bronze on Databricks', () => {
  let server: DatabricksTestServer;
  let landingRoot: string;
  let wh: DatabricksWarehouse;
  let load = 0;

  beforeAll(async () => {
    server = await startDatabricksTestServer();
    landingRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'kineo-dbx-ingest-'));
    wh = new DatabricksWarehouse({
      ...server.connection,
      landingRoot,
    });
    await wh.provision(tenant);
  });

  afterAll(async () => {
    await wh?.close();
    await server?.close();
    fs.rmSync(landingRoot, { recursive: true, force: true });
  });

  const newLanding = () => path.join(landingRoot, tenant.namespace, `load-${++load}`);
  const inFolder = (dir: string) => fs.readdirSync(dir).map((f) => ({ path: path.join(dir, f) }));
  const rows = async (sql: string) => (await wh.query(tenant, sql)).rows;
  const count = async (table: string) => Number((await rows(`select count(*) as n from ${table}`))[0].n);
  const volumeFolder = () => server.volumes.resolve(`/Volumes/kineo_${tenant.namespace}/bronze/landing`);
  /** How many statements read the file staged for a load. */
  const reads = (batchId: string, file: string) => server.recorder.statementsLike(new RegExp(`read_files\\('/Volumes/[^']*/${batchId}/${file.replace('.', '\\.')}'`)).length;

  it('stages the files in the tenant volume, loads good rows with audit columns and quarantines bad ones with file, line and reason', async () => {
    const landing = newLanding();
    writeMinimalExport(landing);
    writeCompletionsWithBadRows(landing);

    const report = await ingestFiles(wh, tenant, inFolder(landing), nextBatch());

    expect(report.files.map((f) => [f.file, f.status, f.rowsRead, f.rowsLoaded, f.rowsQuarantined])).toEqual([
      ['users.csv', 'loaded', 2, 2, 0],
      ['job_assignments.csv', 'loaded', 2, 2, 0],
      ['courses.csv', 'loaded', 1, 1, 0],
      ['course_completions.csv', 'loaded', 10, 2, 8],
    ]);
    for (const file of report.files) expect(file.rowsRead).toBe(file.rowsLoaded + file.rowsQuarantined);
    expect(await rows("select _source_file, _source_line, reason from bronze._quarantine where table_name = 'course_completions' order by _source_line")).toEqual(COMPLETIONS_QUARANTINED);
    expect(await rows('select id, rplgrade, _source_line from bronze.course_completions order by id')).toEqual([
      { id: '1000', rplgrade: null, _source_line: 2 },
      { id: '1007', rplgrade: 'good, RPL', _source_line: 11 },
    ]);
    const users = await rows('select id, username, lastaccess, _batch_id, _batch_seq, _source_file, _source_line, _content_sha256, _problem from bronze.users order by id');
    expect(users[1]).toMatchObject({ id: '2', username: 'grace', lastaccess: '2024-03-09T16:00:00Z', _batch_id: report.batchId, _batch_seq: 1, _source_file: 'users.csv', _source_line: 3, _problem: null });
    expect(users[1]._content_sha256).toMatch(/^[0-9a-f]{64}$/);
    // One line per record: read once for the quarantine and once for bronze, never for line breaks.
    expect(reads(report.batchId, 'course_completions.csv')).toBe(2);

    // Every file went through the volume with the driver's staging PUT, and was removed after its load.
    const puts = server.recorder.statementsLike(/^PUT /).map((s) => s.sql);
    expect(puts).toHaveLength(4);
    expect(puts[3]).toMatch(new RegExp(`INTO '/Volumes/kineo_${tenant.namespace}/bronze/landing/${report.batchId}/course_completions\\.csv' OVERWRITE$`));
    expect(server.volumes.transfers.filter((t) => t.method === 'PUT').map((t) => t.status)).toEqual([201, 201, 201, 201]);
    expect(fs.readdirSync(path.join(volumeFolder(), report.batchId))).toEqual([]);
  });

  it('quarantines a row whose key the file repeats, naming the line loaded instead, as on DuckDB', async () => {
    const landing = newLanding();
    writeMinimalExport(landing);
    writeCsv(landing, 'courses.csv', [header('courses'), '100,Fire safety,FS,C100,1,0,1,1700000000,1', '0100,Fire safety again,FS2,C100,1,0,1,1700000000,1']);
    const report = await ingestFiles(wh, tenant, inFolder(landing), nextBatch());
    expect(report.files.find((f) => f.table === 'courses')).toMatchObject({ rowsRead: 2, rowsLoaded: 1, rowsQuarantined: 1 });
    expect(await rows(`select _source_line, reason from bronze._quarantine where _batch_id = '${report.batchId}'`)).toEqual([
      { _source_line: 2, reason: 'id 100 is on line 3 too, which is loaded: a file holds one row per id' },
    ]);
    expect(await rows(`select fullname from bronze.courses where _batch_id = '${report.batchId}'`)).toEqual([{ fullname: 'Fire safety again' }]);
  });

  it.each([
    ['LF', '\n'],
    ['CRLF', '\r\n'],
  ] as const)('tells the line each quarantined or loaded row starts on in a %s file whose quoted fields span two and three lines, as on DuckDB', async (_, eol) => {
    const landing = newLanding();
    writeMinimalExport(landing);
    const file = writeCoursesOverSeveralLines(landing, eol);
    const expected = coursesOverSeveralLines(file);
    const report = await ingestFiles(wh, tenant, inFolder(landing), nextBatch());
    const courses = report.files.find((f) => f.table === 'courses')!;
    expect([courses.rowsRead, courses.rowsLoaded, courses.rowsQuarantined]).toEqual([9, 5, 4]);
    expect(courses.rowsRead).toBe(courses.rowsLoaded + courses.rowsQuarantined);
    const batch = `_batch_id = '${report.batchId}' and table_name = 'courses'`;
    expect(await rows(`select _source_line, reason from bronze._quarantine where ${batch} order by _source_line`)).toEqual(expected.quarantined);
    expect((await rows(`select raw from bronze._quarantine where ${batch} and reason like 'the row has%' order by _source_line`)).map((r) => r.raw)).toEqual(expected.raggedRaw);
    expect(await rows(`select id, _source_line from bronze.courses where _batch_id = '${report.batchId}' order by id`)).toEqual(expected.loaded);
    // More lines than records: read once more for line breaks, and, having some, loaded again by line.
    expect(reads(report.batchId, 'courses.csv')).toBe(5);
  });

  it.each([
    ['LF', '\n', false],
    ['CRLF', '\r\n', false],
    ['CRLF with a BOM', '\r\n', true],
  ] as const)('counts the blank lines Spark skips in the line each quarantined or loaded row starts on, in a %s file with values over several lines, as on DuckDB', async (_, eol, bom) => {
    const landing = newLanding();
    writeMinimalExport(landing);
    const file = writeCoursesWithBlankLines(landing, eol, bom);
    const expected = coursesWithBlankLines(file);
    const report = await ingestFiles(wh, tenant, inFolder(landing), nextBatch());
    const courses = report.files.find((f) => f.table === 'courses')!;
    expect([courses.rowsRead, courses.rowsLoaded, courses.rowsQuarantined]).toEqual([9, 4, 5]);
    const batch = `_batch_id = '${report.batchId}' and table_name = 'courses'`;
    expect(await rows(`select _source_line, reason from bronze._quarantine where ${batch} order by _source_line`)).toEqual(expected.quarantined);
    expect(await rows(`select raw from bronze._quarantine where ${batch} and raw like '502,%'`)).toEqual([{ raw: '502,Ragged,RG,C502,1,0,1' }]);
    expect(await rows(`select id, _source_line from bronze.courses where _batch_id = '${report.batchId}' order by id`)).toEqual(expected.loaded);
    // Read once for its records with line breaks, then loaded once by line (quarantine and bronze).
    expect(reads(report.batchId, 'courses.csv')).toBe(3);
  });

  it('numbers the rows of a file with a blank line after every second record, past a two-line value and a ragged record', async () => {
    const landing = newLanding();
    writeMinimalExport(landing);
    const { lineOfId } = writeCoursesDoubleSpaced(landing);
    const report = await ingestFiles(wh, tenant, inFolder(landing), nextBatch());
    expect(report.files.find((f) => f.table === 'courses')).toMatchObject({ rowsRead: 150, rowsLoaded: 149, rowsQuarantined: 1 });
    expect(await rows(`select _source_line, reason from bronze._quarantine where table_name = 'courses' and _batch_id = '${report.batchId}'`)).toEqual([
      { _source_line: lineOfId.get('1090'), reason: 'the row has fewer columns than the header' },
    ]);
    const loaded = await rows(`select id, _source_line from bronze.courses where id <> '100' and _batch_id = '${report.batchId}'`);
    expect(loaded).toHaveLength(149);
    expect(loaded.filter((r) => r._source_line !== lineOfId.get(r.id as string))).toEqual([]);
  });

  it('names the line a bad row is on after blank lines in a file of one line per record, as on DuckDB', async () => {
    const landing = newLanding();
    writeMinimalExport(landing);
    const programs = writeCsv(landing, 'programs.csv', [header('programs'), '1,Onboarding,ONB,P1,,1,1,,,,,', '', '', 'zz,Broken,BRK,P2,,1,1,,,,,', '2,Leadership,LDR,P3,,1,1,,,,,']);
    const report = await ingestFiles(wh, tenant, inFolder(landing), nextBatch());
    expect(report.files.find((f) => f.table === 'programs')).toMatchObject({ rowsRead: 3, rowsLoaded: 2, rowsQuarantined: 1 });
    expect(await rows(`select _source_line, reason from bronze._quarantine where table_name = 'programs' and _batch_id = '${report.batchId}'`)).toEqual([
      { _source_line: 5, reason: 'id is not a whole number: "zz"' },
    ]);
    expect(await rows(`select id, _source_line from bronze.programs where _batch_id = '${report.batchId}' order by id`)).toEqual([
      { id: '1', _source_line: 2 },
      { id: '2', _source_line: lineStarting(programs, '2,') },
    ]);
  });

  it('matches headers case-insensitively, accepts a BOM and CRLF, and keeps unknown columns in bronze', async () => {
    const landing = newLanding();
    fs.mkdirSync(landing, { recursive: true });
    fs.writeFileSync(path.join(landing, 'courses.csv'), `\ufeff${header('courses').toUpperCase()},Owner\r\n101,First aid,FA,C101,1,2,1,1700000000,1,Sam\r\n`);
    const report = await ingestFiles(wh, tenant, inFolder(landing), nextBatch());
    expect(report.files[0]).toMatchObject({ status: 'loaded', rowsRead: 1, rowsLoaded: 1, rowsQuarantined: 0 });
    expect(await rows("select fullname, _extra from bronze.courses where id = '101'")).toEqual([{ fullname: 'First aid', _extra: '{"owner":"Sam"}' }]);
  });

  it('refuses a file with blank lines before its header row, saying to remove them, and changes nothing (DuckDB skips them)', async () => {
    const loads = await count('bronze._loads');
    const landing = newLanding();
    writeMinimalExport(landing);
    writeCsv(landing, 'courses.csv', ['', '', header('courses'), '100,Fire safety,FS,C100,1,0,1,1700000000,1']);
    const error = await ingestFiles(wh, tenant, inFolder(landing), nextBatch()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LoadRejectedError);
    expect((error as Error).message).toContain('courses.csv: the file has 2 blank line(s) before its header row: remove them, so that the header is line 1, and load it again');
    expect(await count('bronze._loads')).toBe(loads);
  });

  it('changes nothing when the same files are loaded again', async () => {
    const landing = newLanding();
    writeCsv(landing, 'courses.csv', [header('courses'), '102,Manual handling,MH,C102,1,2,1,1700000000,1']);
    await ingestFiles(wh, tenant, inFolder(landing), nextBatch());
    const again = await ingestFiles(wh, tenant, inFolder(landing), nextBatch());
    expect(again.files[0]).toMatchObject({ status: 'duplicate', note: expect.stringMatching(/identical to courses\.csv already loaded/) });
    expect(await count("bronze.courses where id = '102'")).toBe(1);
  });

  it('leaves no trace of a load that fails part-way, and loading the files again works as if it never happened', async () => {
    const before = {
      loads: await count('bronze._loads'),
      files: await count('bronze._files'),
      users: await count('bronze.users'),
      quarantine: await count('bronze._quarantine'),
    };
    const landing = newLanding();
    const paths = writeMinimalExport(landing);
    writeCsv(landing, 'users.csv', [header('users'), '3,alan,E3,Alan,Turing,alan@example.com,Eng,London,GB,99,0,0,1700000000,1710000000', '4,bad,E4']);
    // The third file disappears once the first two are in bronze.
    const failed = await ingestFiles(wh, tenant, paths.map((p) => ({ path: p })), {
      ...nextBatch(),
      onProgress: ({ index }) => {
        if (index === 2) fs.rmSync(paths[2]);
      },
    }).catch((e: unknown) => e);
    expect(String((failed as Error).message)).toBe('courses.csv was removed from the landing area while it was being loaded');
    expect({
      loads: await count('bronze._loads'),
      files: await count('bronze._files'),
      users: await count('bronze.users'),
      quarantine: await count('bronze._quarantine'),
    }).toEqual(before);
    expect(server.recorder.statementsLike(/^delete from bronze\.users where _batch_seq >= \?$/)).toHaveLength(1);

    writeCsv(landing, 'courses.csv', [header('courses'), '100,Fire safety,FS,C100,1,0,1,1700000000,1']);
    const report = await ingestFiles(wh, tenant, paths.map((p) => ({ path: p })), nextBatch());
    expect(report.batchSeq).toBe(before.loads + 1);
    expect(report.files.find((f) => f.file === 'users.csv')).toMatchObject({ status: 'loaded', rowsRead: 2, rowsLoaded: 1, rowsQuarantined: 1 });
    expect(await count('bronze.users')).toBe(before.users + 1);
    expect(await rows(`select count(*) as n from bronze._loads where batch_seq = ${report.batchSeq}`)).toEqual([{ n: 1 }]);
  });
});
