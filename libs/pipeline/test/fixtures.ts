import fs from 'node:fs';
import path from 'node:path';
import { SOURCE_FILES } from '@kineo/contract';

/** Writes CSV files from header + rows; values are written as given (quote them yourself). */
export function writeCsv(dir: string, name: string, lines: string[]): string {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, name);
  fs.writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

export function header(table: string): string {
  return SOURCE_FILES.find((f) => f.name === table)!.columns.map((c) => c.name).join(',');
}

/** The four required files with a few good rows each. */
export function writeMinimalExport(dir: string): string[] {
  return [
    writeCsv(dir, 'users.csv', [
      header('users'),
      '1,ada,E1,Ada,Lovelace,ada@example.com,Eng,London,GB,99,0,0,1700000000,1710000000',
      '2,grace,E2,Grace,Hopper,grace@example.com,Eng,NYC,US,99,0,0,2023-11-14,2024-03-09T16:00:00Z',
    ]),
    writeCsv(dir, 'job_assignments.csv', [
      header('job_assignments'),
      '10,1,JA1,Lead,1,,,,,,1700000000,0',
      '20,2,JA2,Dev,1,10,,,,,1700000000,0',
    ]),
    writeCsv(dir, 'courses.csv', [header('courses'), '100,Fire safety,FS,C100,1,0,1,1700000000,1']),
    writeCsv(dir, 'course_completions.csv', [
      header('course_completions'),
      '1000,1,100,1700000000,1700100000,1700200000,50,,,',
      '1001,2,100,1700000000,0,0,10,,,',
    ]),
  ];
}

/**
 * course_completions.csv with one row of each kind a load quarantines, between good ones: line 3 a
 * non-number id, 4 an impossible date, 5 an unknown status code, 6 and 7 ragged, 8 an id too large
 * for 64 bits, 9 a code far out of range, 10 not UTF-8; lines 2 and 11 are good (11 with ISO-8601 times).
 */
export function writeCompletionsWithBadRows(dir: string): string {
  const file = path.join(dir, 'course_completions.csv');
  fs.writeFileSync(
    file,
    Buffer.concat([
      Buffer.from(
        [
          header('course_completions'),
          '1000,1,100,1700000000,1700100000,1700200000,50,,,', // line 2: good
          '1001,x1,100,1700000000,0,0,10,,,', // line 3: non-number id
          '1002,1,101,2024-02-30,0,0,10,,,', // line 4: impossible date
          '1003,1,102,1700000000,0,0,33,,,', // line 5: unknown status code
          '1004,1,103,1700000000,0,0,10,,', // line 6: ragged (one column short)
          '1005,1,104,1700000000,0,0,10,,,,extra', // line 7: ragged (too many)
          '1008,1,107,1700000000,0,0,10,,,99999999999999999999', // line 8: id too large for 64 bits
          '1009,1,108,1700000000,0,0,99999999999999999999,,,', // line 9: a code far out of range
        ].join('\n') + '\n',
      ),
      Buffer.from('1006,1,105,1700000000,0,0,10,"caf\xe9",,\n', 'latin1'), // line 10: not UTF-8
      Buffer.from('1007,2,106,2024-07-01T09:30:00Z,2024-07-02,2024-07-03,75,"good, RPL",,\n'), // line 11: good, ISO
    ]),
  );
  return file;
}

/** What bronze._quarantine says of writeCompletionsWithBadRows' file, by line. */
export const COMPLETIONS_QUARANTINED = [
  { _source_file: 'course_completions.csv', _source_line: 3, reason: 'userid is not a whole number: "x1"' },
  { _source_file: 'course_completions.csv', _source_line: 4, reason: 'timeenrolled is not a date: "2024-02-30"' },
  { _source_file: 'course_completions.csv', _source_line: 5, reason: 'status "33" is not a code the contract lists (0, 10, 25, 50, 75)' },
  { _source_file: 'course_completions.csv', _source_line: 6, reason: 'the row has fewer columns than the header' },
  { _source_file: 'course_completions.csv', _source_line: 7, reason: 'the row has more columns than the header' },
  { _source_file: 'course_completions.csv', _source_line: 8, reason: 'positionid is too large for a 64-bit whole number: "99999999999999999999"' },
  {
    _source_file: 'course_completions.csv',
    _source_line: 9,
    reason: 'status "99999999999999999999" is not a code the contract lists (0, 10, 25, 50, 75)',
  },
  { _source_file: 'course_completions.csv', _source_line: 10, reason: 'the row is not valid UTF-8' },
];

/**
 * courses.csv with quoted course names over two and three lines, then a row whose id a later row
 * repeats, a ragged row, a ragged row with a two-line name, a non-number id, another good row over
 * two lines, the repeat and a last good row. Lines end with `eol`, inside quotes too, except one
 * name broken by a lone LF (a spreadsheet writes a cell's line break so into a CRLF file).
 */
export function writeCoursesOverSeveralLines(dir: string, eol: '\n' | '\r\n'): string {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'courses.csv');
  const records = [
    header('courses'),
    `500,"Fire safety${eol}level 1",FS,C500,1,0,1,1700000000,1`,
    `501,"First aid${eol}for${eol}beginners",FA,C501,1,0,1,1700000000,1`,
    '503,Manual handling,MH,C503,1,0,1,1700000000,1',
    '504,Ragged,RG,C504,1,0,1',
    `505,"Ragged${eol}over two lines",R2,C505,1,0,1,1700000000,1,extra`,
    'x506,Bad id,BI,C506,1,0,1,1700000000,1',
    '507,"Health\nand safety",HS,C507,1,0,1,1700000000,1',
    '503,Manual handling again,MH2,C503,1,0,1,1700000000,1',
    '508,Last,LS,C508,1,0,1,1700000000,1',
  ];
  fs.writeFileSync(file, records.join(eol) + eol);
  return file;
}

/**
 * The line of `file` (the header is line 1) that starts with `start`, counted as an editor counts
 * them: a line ends with LF (CRLF ends with LF too).
 */
export function lineStarting(file: string, start: string): number {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const found = lines.filter((l) => l.startsWith(start));
  if (found.length !== 1) throw new Error(`${found.length} lines of ${file} start with ${start}`);
  return lines.indexOf(found[0]) + 1;
}

/** What bronze._quarantine and bronze.courses hold of writeCoursesOverSeveralLines' file, each row on the line it starts on. */
export function coursesOverSeveralLines(file: string) {
  const line = (start: string) => lineStarting(file, start);
  const raw = fs.readFileSync(file, 'utf8');
  // A record's text: from its first line to the next record's, less the line end between them.
  const from = (start: string) => raw.indexOf(`\n${start}`) + 1;
  const record = (start: string, next: string) => raw.slice(from(start), from(next)).replace(/\r?\n$/, '');
  return {
    quarantined: [
      { _source_line: line('503,Manual handling,'), reason: `id 503 is on line ${line('503,Manual handling again,')} too, which is loaded: a file holds one row per id` },
      { _source_line: line('504,'), reason: 'the row has fewer columns than the header' },
      { _source_line: line('505,'), reason: 'the row has more columns than the header' },
      { _source_line: line('x506,'), reason: 'id is not a whole number: "x506"' },
    ],
    /** The ragged rows as the file has them, line breaks and all. */
    raggedRaw: [record('504,', '505,'), record('505,', 'x506,')],
    loaded: [
      { id: '500', _source_line: line('500,') },
      { id: '501', _source_line: line('501,') },
      { id: '503', _source_line: line('503,Manual handling again,') },
      { id: '507', _source_line: line('507,') },
      { id: '508', _source_line: line('508,') },
    ],
  };
}

/**
 * courses.csv with blank lines after the header, between records (two in a row), before rejected
 * records and at the end, a quoted name over two lines and one with a blank line inside it, a line
 * of spaces (a record of one field, not a blank line), a ragged row, a ragged row over two lines, a
 * non-number id and a repeated id. Lines end with `eol`, blank ones too; `bom` starts it with a BOM.
 */
export function writeCoursesWithBlankLines(dir: string, eol: '\n' | '\r\n', bom = false): string {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'courses.csv');
  const records = [
    header('courses'),
    '',
    `500,"Fire safety${eol}level 1",FS,C500,1,0,1,1700000000,1`,
    '',
    '',
    `501,"First aid${eol}${eol}for beginners",FA,C501,1,0,1,1700000000,1`,
    '502,Ragged,RG,C502,1,0,1',
    '',
    '503,Manual handling,MH,C503,1,0,1,1700000000,1',
    '   ',
    'x504,Bad id,BI,C504,1,0,1,1700000000,1',
    '',
    `505,"Ragged${eol}over two lines",R2,C505,1,0,1,1700000000,1,extra`,
    '503,Manual handling again,MH2,C503,1,0,1,1700000000,1',
    '',
    '506,Last,LS,C506,1,0,1,1700000000,1',
    '',
    '',
  ];
  fs.writeFileSync(file, (bom ? '\ufeff' : '') + records.join(eol) + eol);
  return file;
}

/** What bronze._quarantine and bronze.courses hold of writeCoursesWithBlankLines' file, each row on the line it starts on. */
export function coursesWithBlankLines(file: string) {
  const line = (start: string) => lineStarting(file, start);
  return {
    quarantined: [
      { _source_line: line('502,'), reason: 'the row has fewer columns than the header' },
      { _source_line: line('503,Manual handling,'), reason: `id 503 is on line ${line('503,Manual handling again,')} too, which is loaded: a file holds one row per id` },
      { _source_line: line('   '), reason: 'the row has fewer columns than the header' },
      { _source_line: line('x504,'), reason: 'id is not a whole number: "x504"' },
      { _source_line: line('505,'), reason: 'the row has more columns than the header' },
    ],
    loaded: [
      { id: '500', _source_line: line('500,') },
      { id: '501', _source_line: line('501,') },
      { id: '503', _source_line: line('503,Manual handling again,') },
      { id: '506', _source_line: line('506,') },
    ],
  };
}

/**
 * courses.csv of `records` records, a blank line after every second one (150 records: more places
 * where the numbering shifts than Databricks finds in a CASE; 34,000: more than DuckDB does), one
 * record's name over two lines and one ragged record. Returns the file and the line of each id,
 * from its text.
 */
export function writeCoursesDoubleSpaced(dir: string, records = 150): { file: string; lineOfId: Map<string, number> } {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'courses.csv');
  const lines = [header('courses')];
  for (let i = 0; i < records; i++) {
    const name = i === 40 ? '"Two\nlines"' : `Course ${i}`;
    lines.push(i === 90 ? `${1000 + i},Ragged,RG,C${i},1,0,1` : `${1000 + i},${name},S${i},C${i},1,0,1,1700000000,1`);
    if (i % 2 === 1) lines.push('');
  }
  fs.writeFileSync(file, lines.join('\n') + '\n');
  return { file, lineOfId: linesOfIds(file) };
}

/** Where each record of `file` starts, from its text: a record starts on a line that starts with its id (digits, then a comma). */
export function linesOfIds(file: string): Map<string, number> {
  const lineOfId = new Map<string, number>();
  fs.readFileSync(file, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      const id = /^(\d+),/.exec(line)?.[1];
      if (id !== undefined) lineOfId.set(id, i + 1);
    });
  return lineOfId;
}
