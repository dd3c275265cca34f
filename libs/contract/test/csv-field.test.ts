import { csvField } from '../src';

describe('csvField', () => {
  it('leaves a plain value as it is', () => {
    expect(csvField('Ngaio Marsh')).toBe('Ngaio Marsh');
    expect(csvField('')).toBe('');
  });

  it('quotes a value with a comma, a quote or a line break, doubling its quotes', () => {
    expect(csvField('Marsh, Ngaio')).toBe('"Marsh, Ngaio"');
    expect(csvField('the "Opening" night')).toBe('"the ""Opening"" night"');
    expect(csvField('line one\nline two')).toBe('"line one\nline two"');
    expect(csvField('line one\r\nline two')).toBe('"line one\r\nline two"');
  });
});
