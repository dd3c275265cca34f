import type { DateUnit, Dialect } from '@kineo/warehouse';
import type { Model } from './model';

/** The days gold.dim_date holds; a date outside them is the unknown date (-1). */
export const DIM_DATE_FIRST = '2012-01-01';
export const DIM_DATE_LAST = '2036-12-31';

type Expand = (dialect: Dialect, args: string[]) => string;

const DATE_UNITS: readonly DateUnit[] = ['day', 'month', 'year', 'hour', 'minute', 'second'];

function unit(arg: string, allowed: readonly string[]): DateUnit {
  const value = arg.trim().replace(/^'(.*)'$/, '$1');
  if (!allowed.includes(value)) throw new Error(`"${value}" is not one of ${allowed.join(', ')}`);
  return value as DateUnit;
}

/** A SQL string literal written in a model ('...'), as the raw text it stands for. */
function stringLiteral(arg: string): string {
  const match = /^'((?:[^']|'')*)'$/.exec(arg.trim());
  if (!match) throw new Error(`expected a string literal, got ${arg.trim()}`);
  return match[1].replace(/''/g, "'");
}

function arity(name: string, args: string[], n: number): string[] {
  if (args.length !== n) throw new Error(`${name} takes ${n} argument(s), got ${args.length}`);
  return args.map((a) => a.trim());
}

/**
 * What a model may write between `{{` and `}}` where the engines' SQL differs. Each is a
 * Dialect function (same name and arguments) or a constant of the gold date dimension.
 */
const PLACEHOLDERS: Record<string, Expand> = {
  dateAdd: (d, args) => {
    const [u, n, expr] = arity('dateAdd', args, 3);
    return d.dateAdd(unit(u, DATE_UNITS), n, expr);
  },
  dateDiff: (d, args) => {
    const [u, start, end] = arity('dateDiff', args, 3);
    return d.dateDiff(unit(u, ['day', 'month', 'year']) as 'day' | 'month' | 'year', start, end);
  },
  dateKey: (d, args) => d.dateKey(arity('dateKey', args, 1)[0]),
  fromUnixSeconds: (d, args) => d.fromUnixSeconds(arity('fromUnixSeconds', args, 1)[0]),
  toUnixSeconds: (d, args) => d.toUnixSeconds(arity('toUnixSeconds', args, 1)[0]),
  concatNullSafe: (d, args) => d.concatNullSafe(...args.map((a) => a.trim())),
  fullMatch: (d, args) => {
    const [expr, regex] = arity('fullMatch', args, 2);
    return d.fullMatch(expr, stringLiteral(regex));
  },
  now: (d, args) => (arity('now', args, 0), d.now()),
  dimDateFirst: (_d, args) => (arity('dimDateFirst', args, 0), `date '${DIM_DATE_FIRST}'`),
  dimDateLast: (_d, args) => (arity('dimDateLast', args, 0), `date '${DIM_DATE_LAST}'`),
  /**
   * The name a dimension row is grouped, filtered and listed by (the same SQL on both engines,
   * written once): its name where no other row of the table has it (and it is not the unknown
   * member's 'Unknown'); else the name with `qualifier` in brackets where that pair is the only one
   * ('Payroll (Finance South)'); else the name with the LMS id ('Payroll (#42)'). So two rows of one
   * name are never summed as one. A window over the table: the model selects it from a CTE or
   * subquery that names `name`, `qualifier` and `id` as columns.
   */
  distinctLabel: (_d, args) => {
    const [name, qualifier, id] = arity('distinctLabel', args, 3);
    return (
      `case when count(*) over (partition by ${name}) = 1 and ${name} <> 'Unknown' then ${name} ` +
      `when ${qualifier} is not null and count(*) over (partition by ${name}, ${qualifier}) = 1 then ${name} || ' (' || ${qualifier} || ')' ` +
      `else ${name} || ' (#' || cast(${id} as string) || ')' end`
    );
  },
  /** The gold date key of a date or timestamp: -1 when it is NULL or outside gold.dim_date. */
  dimDateKey: (d, args) => {
    const [expr] = arity('dimDateKey', args, 1);
    return `coalesce(case when cast(${expr} as date) between date '${DIM_DATE_FIRST}' and date '${DIM_DATE_LAST}' then ${d.dateKey(expr)} end, -1)`;
  },
};

/** Splits `a, f(b, c), 'x,y'` at the commas that are not inside brackets or quotes. */
export function splitArguments(text: string): string[] {
  if (text.trim() === '') return [];
  const args: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === "'") quoted = false; // '' inside a literal closes and reopens: still right
    } else if (ch === "'") quoted = true;
    else if (ch === '(' || ch === '[' || ch === '{') depth++;
    else if (ch === ')' || ch === ']' || ch === '}') depth--;
    else if (ch === ',' && depth === 0) {
      args.push(text.slice(start, i));
      start = i + 1;
    }
  }
  if (quoted || depth !== 0) throw new Error(`unbalanced brackets or quotes in "${text}"`);
  args.push(text.slice(start));
  return args;
}

/**
 * Replaces every `{{name(args)}}` or `{{name}}` in a model's SQL with the engine's form, the
 * innermost first so placeholders can nest (`{{dimDateKey({{fromUnixSeconds(timedue)}})}}`).
 */
export function expandPlaceholders(sql: string, dialect: Dialect): string {
  let out = sql;
  for (;;) {
    const close = out.indexOf('}}');
    if (close < 0) {
      if (out.includes('{{')) throw new Error(`a "{{" is never closed: ${near(out, out.indexOf('{{'))}`);
      return out;
    }
    const open = out.lastIndexOf('{{', close);
    if (open < 0) throw new Error(`a "}}" has no "{{": ${near(out, close)}`);
    const body = out.slice(open + 2, close).trim();
    const match = /^([A-Za-z]\w*)\s*(?:\(([\s\S]*)\))?$/.exec(body);
    if (!match) throw new Error(`"{{${body}}}" is not a placeholder (name or name(arguments))`);
    const expand = PLACEHOLDERS[match[1]];
    if (!expand) throw new Error(`unknown placeholder {{${match[1]}}} (known: ${Object.keys(PLACEHOLDERS).join(', ')})`);
    let replacement: string;
    try {
      replacement = expand(dialect, match[2] === undefined ? [] : splitArguments(match[2]));
    } catch (error) {
      throw new Error(`{{${body}}}: ${error instanceof Error ? error.message : String(error)}`);
    }
    out = out.slice(0, open) + replacement + out.slice(close + 2);
  }
}

const near = (text: string, at: number) => JSON.stringify(text.slice(Math.max(0, at - 40), at + 40));

/** The model with its placeholders in the given engine's SQL. */
export function compileModel(model: Model, dialect: Dialect): Model {
  try {
    return {
      ...model,
      sql: expandPlaceholders(model.sql, dialect),
      ...(model.step !== undefined ? { step: expandPlaceholders(model.step, dialect) } : {}),
      ...(model.statements !== undefined ? { statements: model.statements.map((s) => expandPlaceholders(s, dialect)) } : {}),
      ...(model.prelude !== undefined
        ? { prelude: { when: expandPlaceholders(model.prelude.when, dialect), statements: model.prelude.statements.map((s) => expandPlaceholders(s, dialect)) } }
        : {}),
    };
  } catch (error) {
    throw new Error(`${model.source}: ${error instanceof Error ? error.message : String(error)}`);
  }
}
