import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hashAndCountLines, shiftsPastBlankLines } from '../src';
import { firstStrayLineBreak } from '../src/ingest/source-lines';

describe("a file's lines and blank lines, counted while it is hashed", () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kineo-source-lines-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  // As an editor numbers them: a line ends with LF; a blank one is empty or a lone CR before its LF.
  const expected = (text: string) => {
    const parts = text.split('\n');
    const blankLines = parts.flatMap((part, i) => (i > 0 && i < parts.length - 1 && (part === '' || part === '\r') ? [i + 1] : []));
    return { lines: parts.length - (text.endsWith('\n') ? 1 : 0), blankLines };
  };

  it.each([
    ['LF, blank lines between records, several in a row and at the end', 'id,name\n1,a\n\n\n2,b\n\n'],
    ['CRLF, blank lines after the header and at the end', 'id,name\r\n\r\n1,a\r\n2,b\r\n\r\n'],
    ['a quoted value with a blank line, no LF at the end', 'id,name\n1,"a\n\nb"\n\n2,b'],
    ['a lone CR, a line of spaces and a CR at the very end', 'id,name\n1,\ra\n   \n\r\n2,b\n\r'],
    ['no blank line', 'id,name\r\n1,a\r\n2,b\r\n'],
  ])('finds them wherever the reads split the file: %s', async (_, text) => {
    const file = path.join(dir, 'file.csv');
    fs.writeFileSync(file, text);
    for (const chunkBytes of [1, 2, 3, 5, 1 << 20]) {
      const { lines, blankLines } = await hashAndCountLines(file, chunkBytes);
      expect({ chunkBytes, lines, blankLines }).toEqual({ chunkBytes, ...expected(text) });
    }
  });
});

describe('the first line break of another kind than the file\'s, outside quotes', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kineo-stray-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it.each([
    ['an LF alone in a CRLF file', 'id,name\r\n1,a\r\n2,Multi\nLine\r\n', { kind: 'LF', fileEnds: 'CRLF', line: 3, before: '2,Multi' }],
    ['a CR alone in a CRLF file', 'id,name\r\n1,a\rb\r\n', { kind: 'CR', fileEnds: 'CRLF', line: 2, before: '1,a' }],
    ['a CR alone in an LF file, past a quoted one', 'id,name\n1,"a\rb"\n2,b\r3,c\n', { kind: 'CR', fileEnds: 'LF', line: 3, before: '2,b' }],
    ['an LF alone after quotes inside an unquoted value', 'id,name\r\n=HYPERLINK("x"&B2),5\'11"\n2,b\r\n', { kind: 'LF', fileEnds: 'CRLF', line: 2, before: '=HYPERLINK("x"&B2),5\'11"' }],
    ['an LF alone in quotes, with a doubled quote, in a CRLF file', 'id,name\r\n1,"a ""b""\nc"\r\n2,b\r\n', undefined],
    ['an LF file', 'id,name\n1,a\n\n2,b\n', undefined],
    ['a file of CRs alone', 'id,name\r1,a\r2,b\r', undefined],
  ])('finds it wherever the reads split the file: %s', async (_, text, found) => {
    const file = path.join(dir, 'file.csv');
    fs.writeFileSync(file, text);
    for (const chunkBytes of [1, 2, 3, 1 << 20]) expect(await firstStrayLineBreak(file, chunkBytes)).toEqual(found);
  });
});

describe('the walk that numbers records past blank lines', () => {
  it('tells a blank line DuckDB skipped from one inside a quoted value, and places a rejected record after blank lines', () => {
    // 1 header; 2-4 a record whose value holds a blank line (3); 5 blank; 6 a rejected record; 7 blank; 8 a record.
    const walked = shiftsPastBlankLines([3, 5, 7], [{ place: 0, breaks: 2 }], [{ line: 4, breaks: 0 }]);
    expect(walked.rejected).toEqual(new Map([[4, 6]]));
    // The second accepted record (place 1) is on line 1 + 2 + 5.
    const lineOf = (place: number) => {
      const shift = walked.acceptedBefore.findLastIndex((at) => at <= place);
      return place + 2 + (shift === -1 ? 0 : walked.through[shift]);
    };
    expect([lineOf(0), lineOf(1)]).toEqual([2, 8]);
  });
});
