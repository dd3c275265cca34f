import { SOURCE_FILES, type ColumnSpec } from '@kineo/contract';
import { NULL_DATE_VALUES } from '../src';
import { AS_OF, generate, removeTempDirs, type Generated } from './support/fixture';

/** What a value of each kind of column may look like in an export the contract accepts (as ingestion checks it). */
function fits(column: ColumnSpec, value: string): boolean {
  if (value === '') return column.nullable === true;
  switch (column.kind) {
    case 'id':
      // 0 is an id too: prog_completions.coursesetid 0 is the program-level row.
      return /^\d+$/.test(value);
    case 'int':
      return /^-?\d+$/.test(value);
    case 'bool':
      return value === '0' || value === '1';
    case 'code':
      return column.codes!.map(String).includes(value);
    case 'time':
      return /^\d+$/.test(value) || !Number.isNaN(Date.parse(value)) || NULL_DATE_VALUES.includes(value as never);
    case 'text':
      return true;
  }
}

describe('a generated export against the kinds of the contract', () => {
  let g: Generated;
  beforeAll(async () => {
    g = await generate('kinds', { users: 300, seed: 3, asOf: AS_OF, timeFormat: 'mixed' });
  });
  afterAll(removeTempDirs);

  it('writes in every column only values its kind allows, and leaves only nullable columns empty', () => {
    for (const spec of SOURCE_FILES) {
      const t = g.table(spec.name);
      for (const column of spec.columns) {
        const bad = t.values(column.name).filter((v) => !fits(column, v));
        expect({ column: `${spec.name}.${column.name}`, kind: column.kind, bad: [...new Set(bad)].slice(0, 5) }).toEqual({
          column: `${spec.name}.${column.name}`,
          kind: column.kind,
          bad: [],
        });
      }
    }
  });
});
