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
