import { isSignificant, tokenizeSql, type SqlToken } from '../../src/databricks/sql-text.util';
import { DatabricksSqlError, notEmulated } from './errors';

/**
 * The part of Databricks SQL that DuckDB spells or means differently, rewritten token by token
 * for the statements this project sends. Only what Databricks documents is translated; anything
 * else passes through unchanged and DuckDB answers it as it would.
 *
 * - `` `name` `` is an identifier and `"text"` a string literal (Databricks' default, without
 *   ANSI double-quoted identifiers); string literals take backslash escapes.
 * - `a [NOT] RLIKE b` is a regular-expression search (DuckDB: `regexp_matches`).
 * - `regexp_replace(s, p, r)` replaces every match (DuckDB replaces the first unless told 'g').
 * - `named_struct('k', v, ...)` builds a struct (DuckDB: `struct_pack`), and `to_json` leaves out
 *   NULL fields (Spark's `ignoreNullFields` default).
 * - `monotonically_increasing_id()` numbers rows from 0 in the order they are read; within one
 *   partition (one file read whole) that is 0, 1, 2, ... which is all this stand-in has.
 *
 * What the pipeline's models use, with the session time zone UTC as the warehouse runs it:
 * - `timestamp_seconds(n)` is the UTC timestamp n seconds after the epoch; `unix_timestamp(t)`
 *   the whole seconds from the epoch to t (floored, a BIGINT).
 * - `try_cast(s as timestamp)` reads an ISO-8601 date or date-time, honouring a zone offset and
 *   taking a time without one as UTC; NULL when s is not one. Other `try_cast`s pass through.
 * - `date_format(t, 'pattern')` with the pattern letters yyyy, MM, dd, HH, mm, ss only.
 * - `date_add(d, n)` is the date n days after d (a DATE, also for a timestamp).
 * - `regexp_extract(s, p[, group])` takes group 1 when none is given (DuckDB: the whole match).
 */
export function toDuckDbSql(sql: string): string {
  const pieces = translatePieces(sql);
  return rewriteRlike(pieces)
    .map((p) => p.text)
    .join('');
}

/**
 * The value of a Databricks string literal token (quotes included in `text`). Backslash escapes
 * are read; a doubled quote is where two literals meet, and adjacent literals run together
 * (`'a''b'` is "ab"), so it stands for nothing.
 */
export function stringValue(text: string): string {
  const body = text.slice(1, -1);
  const quote = text[0];
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const ch = body[i];
    if (ch === quote && body[i + 1] === quote) {
      i++;
    } else if (ch === '\\' && i + 1 < body.length) {
      const next = body[++i];
      if (next === 'u' && /^[0-9a-fA-F]{4}$/.test(body.slice(i + 1, i + 5))) {
        out += String.fromCharCode(parseInt(body.slice(i + 1, i + 5), 16));
        i += 4;
      } else {
        out += { n: '\n', t: '\t', r: '\r', b: '\b', '0': '\0', Z: '\x1a' }[next] ?? next;
      }
    } else out += ch;
  }
  return out;
}

export const duckLiteral = (value: string) => `'${value.replace(/'/g, "''")}'`;
export const duckIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;

export type OptionValue = string | number | boolean;

export interface ReadFilesCall {
  /** Character offsets of `read_files(...)` in the statement. */
  start: number;
  end: number;
  path: string;
  /** Options by lower-cased name. */
  options: Map<string, OptionValue>;
}

/** Every `read_files('<path>', name => value, ...)` call in a statement. */
export function findReadFilesCalls(sql: string): ReadFilesCall[] {
  const tokens = tokenizeSql(sql).filter(isSignificant);
  const calls: ReadFilesCall[] = [];
  for (let i = 0; i < tokens.length; i++) {
    if (tokens[i].kind !== 'word' || tokens[i].text.toLowerCase() !== 'read_files' || tokens[i + 1]?.text !== '(') continue;
    const close = matchingParen(tokens, i + 1);
    const args = splitArgs(tokens, i + 2, close);
    const [first, ...named] = args;
    if (first?.length !== 1 || first[0].kind !== 'string') throw notEmulated('read_files over anything but one path literal');
    const options = new Map<string, OptionValue>();
    for (const arg of named) {
      if (arg.length !== 4 || arg[0].kind !== 'word' || arg[1].text !== '=' || arg[2].text !== '>') {
        throw notEmulated(`read_files argument ${arg.map((t) => t.text).join(' ')}`);
      }
      const value = arg[3];
      const key = arg[0].text.toLowerCase();
      if (value.kind === 'string') options.set(key, stringValue(value.text));
      else if (value.kind === 'number') options.set(key, Number(value.text));
      else if (value.kind === 'word' && /^(true|false)$/i.test(value.text)) options.set(key, value.text.toLowerCase() === 'true');
      else throw notEmulated(`read_files option value ${value.text}`);
    }
    calls.push({ start: tokens[i].start, end: tokens[close].end, path: stringValue(first[0].text), options });
    i = close;
  }
  return calls;
}

interface Piece {
  text: string;
  /** The source token kind, or 'call' for a rewritten function call. */
  kind: SqlToken['kind'] | 'call';
}

function matchingParen(tokens: SqlToken[], open: number): number {
  let depth = 0;
  for (let i = open; i < tokens.length; i++) {
    if (tokens[i].kind !== 'punct') continue;
    if (tokens[i].text === '(') depth++;
    else if (tokens[i].text === ')' && --depth === 0) return i;
  }
  throw new DatabricksSqlError('[PARSE_SYNTAX_ERROR] Syntax error: unbalanced parentheses. SQLSTATE: 42601', '42601');
}

/** Arguments between `from` and `to` (exclusive), split at top-level commas. */
function splitArgs(tokens: SqlToken[], from: number, to: number): SqlToken[][] {
  const args: SqlToken[][] = [];
  let current: SqlToken[] = [];
  let depth = 0;
  for (let i = from; i < to; i++) {
    const t = tokens[i];
    if (t.kind === 'punct' && t.text === '(') depth++;
    if (t.kind === 'punct' && t.text === ')') depth--;
    if (depth === 0 && t.kind === 'punct' && t.text === ',') {
      args.push(current);
      current = [];
    } else current.push(t);
  }
  if (current.length > 0) args.push(current);
  return args;
}

const REWRITTEN_CALLS = new Set([
  'monotonically_increasing_id',
  'named_struct',
  'to_json',
  'regexp_replace',
  'timestamp_seconds',
  'unix_timestamp',
  'try_cast',
  'date_format',
  'date_add',
  'regexp_extract',
]);

function translatePieces(sql: string): Piece[] {
  const all = tokenizeSql(sql);
  const pieces: Piece[] = [];
  for (let i = 0; i < all.length; i++) {
    const token = all[i];
    const name = token.kind === 'word' ? token.text.toLowerCase() : '';
    const open = REWRITTEN_CALLS.has(name) ? nextSignificant(all, i) : undefined;
    if (open !== undefined && all[open].text === '(') {
      const significant = all.map((t, k) => k).filter((k) => isSignificant(all[k]));
      const openAt = significant.indexOf(open);
      const sigTokens = significant.map((k) => all[k]);
      const closeAt = matchingParen(sigTokens, openAt);
      const args = splitArgs(sigTokens, openAt + 1, closeAt).map((arg) =>
        arg.length === 0 ? '' : sql.slice(arg[0].start, arg[arg.length - 1].end),
      );
      pieces.push({ kind: 'call', text: rewriteCall(name, args) });
      i = significant[closeAt];
      continue;
    }
    pieces.push({ kind: token.kind === 'dquoted' ? 'string' : token.kind, text: translateToken(token) });
  }
  return pieces;
}

function nextSignificant(tokens: SqlToken[], index: number): number | undefined {
  for (let i = index + 1; i < tokens.length; i++) if (isSignificant(tokens[i])) return i;
  return undefined;
}

function translateToken(token: SqlToken): string {
  switch (token.kind) {
    case 'quoted':
      return duckIdent(token.text.slice(1, -1).replace(/``/g, '`'));
    case 'dquoted':
      return duckLiteral(stringValue(token.text));
    case 'string':
      return /\\|''/.test(token.text) ? duckLiteral(stringValue(token.text)) : token.text;
    default:
      return token.text;
  }
}

function rewriteCall(name: string, rawArgs: string[]): string {
  const args = rawArgs.map((a) => toDuckDbSql(a));
  switch (name) {
    case 'monotonically_increasing_id':
      if (rawArgs.length > 0) throw new DatabricksSqlError('[WRONG_NUM_ARGS] monotonically_increasing_id takes no arguments. SQLSTATE: 42605', '42605');
      return '(row_number() over () - 1)';
    case 'named_struct': {
      if (args.length % 2 !== 0) throw new DatabricksSqlError('[WRONG_NUM_ARGS] named_struct needs name/value pairs. SQLSTATE: 42605', '42605');
      const fields: string[] = [];
      for (let i = 0; i < rawArgs.length; i += 2) {
        const key = tokenizeSql(rawArgs[i].trim());
        if (key.length !== 1 || key[0].kind !== 'string') throw notEmulated('named_struct with a field name that is not a literal');
        fields.push(`${duckIdent(stringValue(key[0].text))} := ${args[i + 1]}`);
      }
      return `struct_pack(${fields.join(', ')})`;
    }
    case 'to_json':
      if (args.length !== 1) throw notEmulated('to_json with options');
      return `cast(json_merge_patch('{}', to_json(${args[0]})) as varchar)`;
    case 'regexp_replace':
      if (args.length !== 3) throw notEmulated('regexp_replace with a position');
      return `regexp_replace(${args.join(', ')}, 'g')`;
    case 'timestamp_seconds':
      arity(name, args, 1);
      return `make_timestamp(cast(${args[0]} as bigint) * 1000000)`;
    case 'unix_timestamp':
      if (args.length !== 1) throw notEmulated('unix_timestamp without exactly one argument (the current time, or a format)');
      return `cast(floor(epoch(cast(${args[0]} as timestamp))) as bigint)`;
    case 'try_cast': {
      arity(name, args, 1);
      const { expr, type } = castParts(args[0]);
      return /^timestamp$/i.test(type)
        ? `cast(try_cast(${expr} as timestamptz) at time zone 'UTC' as timestamp)`
        : `try_cast(${expr} as ${type})`;
    }
    case 'date_format':
      arity(name, args, 2);
      return `strftime(${args[0]}, ${duckLiteral(strftimePattern(rawArgs[1]))})`;
    case 'date_add':
      arity(name, args, 2);
      return `(cast(${args[0]} as date) + cast(${args[1]} as integer))`;
    case 'regexp_extract':
      if (args.length !== 2 && args.length !== 3) arity(name, args, 3);
      return `regexp_extract(${args[0]}, ${args[1]}, ${args[2] ?? 1})`;
    default:
      throw notEmulated(name);
  }
}

function arity(name: string, args: string[], n: number): void {
  if (args.length !== n) {
    throw new DatabricksSqlError(`[WRONG_NUM_ARGS] ${name} requires ${n} parameters but the actual number is ${args.length}. SQLSTATE: 42605`, '42605');
  }
}

/** `expr AS type` (the inside of a cast), split at its last top-level AS. */
function castParts(arg: string): { expr: string; type: string } {
  const tokens = tokenizeSql(arg);
  let depth = 0;
  let as: SqlToken | undefined;
  for (const t of tokens) {
    if (t.kind === 'punct' && t.text === '(') depth++;
    else if (t.kind === 'punct' && t.text === ')') depth--;
    else if (depth === 0 && t.kind === 'word' && t.text.toLowerCase() === 'as') as = t;
  }
  if (!as) throw new DatabricksSqlError('[PARSE_SYNTAX_ERROR] Syntax error: a cast needs AS and a type. SQLSTATE: 42601', '42601');
  return { expr: arg.slice(0, as.start).trim(), type: arg.slice(as.end).trim() };
}

const DATETIME_LETTERS: Record<string, string> = { yyyy: '%Y', MM: '%m', dd: '%d', HH: '%H', mm: '%M', ss: '%S' };

/** A Spark datetime pattern (a literal) as strftime's; letters beyond the plain ones are refused. */
function strftimePattern(raw: string): string {
  const token = tokenizeSql(raw.trim());
  if (token.length !== 1 || token[0].kind !== 'string') throw notEmulated('date_format with a pattern that is not a literal');
  const pattern = stringValue(token[0].text);
  let out = '';
  for (let i = 0; i < pattern.length; ) {
    const letters = /^([A-Za-z])\1*/.exec(pattern.slice(i))?.[0];
    if (letters === undefined) {
      if (pattern[i] === "'") throw notEmulated('date_format with quoted text in its pattern');
      out += pattern[i] === '%' ? '%%' : pattern[i];
      i++;
      continue;
    }
    const spec = DATETIME_LETTERS[letters];
    if (!spec) throw notEmulated(`the date_format pattern letters "${letters}"`);
    out += spec;
    i += letters.length;
  }
  return out;
}

const significantPiece = (p: Piece) => p.kind !== 'space' && p.kind !== 'comment';

/** `left [NOT] RLIKE right` to `[NOT] regexp_matches(left, right)`; operands are one primary each. */
function rewriteRlike(pieces: Piece[]): Piece[] {
  for (;;) {
    const at = pieces.findIndex((p) => p.kind === 'word' && p.text.toLowerCase() === 'rlike');
    if (at < 0) return pieces;
    const before = previousIndex(pieces, at);
    const negated = before !== undefined && pieces[before].kind === 'word' && pieces[before].text.toLowerCase() === 'not';
    const leftEnd = negated ? previousIndex(pieces, before) : before;
    const rightStart = nextIndex(pieces, at);
    if (leftEnd === undefined || rightStart === undefined) throw new DatabricksSqlError('[PARSE_SYNTAX_ERROR] RLIKE needs two operands. SQLSTATE: 42601', '42601');
    const leftStart = operandStart(pieces, leftEnd);
    const rightEnd = operandEnd(pieces, rightStart);
    const text = (from: number, to: number) =>
      pieces
        .slice(from, to + 1)
        .map((p) => p.text)
        .join('');
    const replacement: Piece = { kind: 'call', text: `${negated ? 'not ' : ''}regexp_matches(${text(leftStart, leftEnd)}, ${text(rightStart, rightEnd)})` };
    pieces = [...pieces.slice(0, leftStart), replacement, ...pieces.slice(rightEnd + 1)];
  }
}

function previousIndex(pieces: Piece[], index: number): number | undefined {
  for (let i = index - 1; i >= 0; i--) if (significantPiece(pieces[i])) return i;
  return undefined;
}

function nextIndex(pieces: Piece[], index: number): number | undefined {
  for (let i = index + 1; i < pieces.length; i++) if (significantPiece(pieces[i])) return i;
  return undefined;
}

/** Where the primary ending at `end` starts: a parenthesised group (with its function name), or a dotted name. */
function operandStart(pieces: Piece[], end: number): number {
  if (pieces[end].kind === 'punct' && pieces[end].text === ')') {
    let depth = 0;
    for (let i = end; i >= 0; i--) {
      if (pieces[i].kind !== 'punct') continue;
      if (pieces[i].text === ')') depth++;
      else if (pieces[i].text === '(' && --depth === 0) {
        const name = previousIndex(pieces, i);
        return name !== undefined && pieces[name].kind === 'word' ? name : i;
      }
    }
    throw new DatabricksSqlError('[PARSE_SYNTAX_ERROR] Syntax error: unbalanced parentheses. SQLSTATE: 42601', '42601');
  }
  let start = end;
  for (;;) {
    const dot = previousIndex(pieces, start);
    const name = dot === undefined ? undefined : previousIndex(pieces, dot);
    if (dot === undefined || name === undefined || pieces[dot].text !== '.' || !['word', 'quoted', 'dquoted'].includes(pieces[name].kind)) return start;
    start = name;
  }
}

/** Where the primary starting at `start` ends: a literal, a call, a name, or a parenthesised group. */
function operandEnd(pieces: Piece[], start: number): number {
  const open = pieces[start].kind === 'word' ? nextIndex(pieces, start) : start;
  if (open === undefined || pieces[open].kind !== 'punct' || pieces[open].text !== '(') return start;
  let depth = 0;
  for (let i = open; i < pieces.length; i++) {
    if (pieces[i].kind !== 'punct') continue;
    if (pieces[i].text === '(') depth++;
    else if (pieces[i].text === ')' && --depth === 0) return i;
  }
  throw new DatabricksSqlError('[PARSE_SYNTAX_ERROR] Syntax error: unbalanced parentheses. SQLSTATE: 42601', '42601');
}
