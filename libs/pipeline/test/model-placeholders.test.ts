import { databricksDialect, duckdbDialect } from '@kineo/warehouse';
import { compileModel, expandPlaceholders, loadModelFiles, parseModel, splitArguments } from '../src';

describe('model placeholders', () => {
  it("expands a placeholder into each engine's form", () => {
    expect(expandPlaceholders('select {{dateKey(t.day)}} as k', duckdbDialect)).toBe("select cast(strftime(t.day, '%Y%m%d') as integer) as k");
    expect(expandPlaceholders('select {{dateKey(t.day)}} as k', databricksDialect)).toBe("select cast(date_format(t.day, 'yyyyMMdd') as int) as k");
  });

  it('expands nested placeholders, innermost first', () => {
    expect(expandPlaceholders('{{dateKey({{fromUnixSeconds(p.timedue)}})}}', databricksDialect)).toBe(
      "cast(date_format(timestamp_seconds(cast(p.timedue as bigint)), 'yyyyMMdd') as int)",
    );
  });

  it('splits arguments only at commas outside brackets and quotes', () => {
    expect(splitArguments("day, coalesce(a, b), 'x,y', f(g(1, 2))")).toEqual(['day', ' coalesce(a, b)', " 'x,y'", ' f(g(1, 2))']);
    expect(expandPlaceholders('{{dateAdd(day, coalesce(n, 0), {{dimDateFirst}})}}', duckdbDialect)).toBe(
      "(date '2012-01-01' + to_days(cast(coalesce(n, 0) as integer)))",
    );
  });

  it('passes a regular expression given as a string literal to the dialect', () => {
    expect(expandPlaceholders("{{fullMatch(v, '[0-9]{1,2}:[0-9]{2}')}}", duckdbDialect)).toBe("regexp_full_match(v, '[0-9]{1,2}:[0-9]{2}')");
    expect(expandPlaceholders("{{fullMatch(v, '[0-9]{1,2}')}}", databricksDialect)).toBe("(v rlike '^(?:[0-9]{1,2})$')");
  });

  it('gives an unknown date key (-1) outside the date dimension', () => {
    expect(expandPlaceholders('{{dimDateKey(x)}}', duckdbDialect)).toBe(
      "coalesce(case when cast(x as date) between date '2012-01-01' and date '2036-12-31' then cast(strftime(x, '%Y%m%d') as integer) end, -1)",
    );
  });

  it.each([
    ['{{nope(x)}}', /unknown placeholder \{\{nope\}\}/],
    ['{{dateKey(a, b)}}', /dateKey takes 1 argument\(s\), got 2/],
    ['{{dateAdd(week, 1, d)}}', /"week" is not one of day, month/],
    ['{{fullMatch(v, x)}}', /expected a string literal/],
    ['select {{dateKey(x)', /never closed/],
  ])('refuses %s', (sql, message) => {
    expect(() => expandPlaceholders(sql, duckdbDialect)).toThrow(message);
  });

  it('every model file compiles for both engines', () => {
    for (const model of loadModelFiles()) {
      for (const dialect of [duckdbDialect, databricksDialect]) {
        const compiled = compileModel(model, dialect);
        expect([compiled.sql, ...(compiled.statements ?? [])].join('\n')).not.toMatch(/\{\{|\}\}/);
      }
    }
  });
});

describe('incremental models', () => {
  it('read as a create statement and the statements applied after it', () => {
    const model = parseModel(
      ['-- model: silver.kept', '-- kind: incremental', '-- create', 'create table if not exists silver.kept (a int)', '-- apply', '-- why', 'insert into silver.kept values (1)', '-- apply', 'delete from silver.kept where a = 2'].join('\n'),
      'test.sql',
    );
    expect(model).toMatchObject({
      kind: 'incremental',
      sql: 'create table if not exists silver.kept (a int)',
      statements: ['insert into silver.kept values (1)', 'delete from silver.kept where a = 2'],
    });
  });

  it('need exactly one create section', () => {
    expect(() => parseModel('-- model: silver.kept\n-- kind: incremental\n-- apply\nselect 1', 'test.sql')).toThrow(/exactly one "-- create"/);
  });

  it('an unknown kind is refused', () => {
    expect(() => parseModel('-- model: silver.x\n-- kind: view\nselect 1', 'test.sql')).toThrow(/unknown kind "view"/);
  });
});
