import { WarehouseError } from '../errors';
import type { ReadOnlyGuard } from '../read-only';
import type { Layer } from '../types';
import { tokenizeSql, type SqlToken } from './sql-text.util';

/**
 * Names Spark evaluates as functions without parentheses (`select current_user`), which DuckDB's
 * parser reads as column names the guard would not look at.
 */
const BARE_SESSION_FUNCTIONS = new Set(['current_user', 'user', 'session_user', 'current_catalog', 'current_database', 'current_schema', 'current_metastore']);

/** Letters Spark accepts after a number (1L, 2.5D, 3BD); anything else is a name DuckDB would read otherwise. */
const NUMBER = /^([0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?)(?:[lLsSyYdDfF]|bd|BD)?$/;

const refuse = (reason: string): never => {
  throw new WarehouseError('WAREHOUSE_READ_ONLY', `Refused: ${reason}.`);
};

const SPARK_ESCAPES: Record<string, string> = { '0': '\0', b: '\b', n: '\n', r: '\r', t: '\t', Z: '\x1a' };

/** A Databricks string literal's value: backslash escapes; `'a''b'` is two literals run together. */
function stringValue(text: string): string {
  const body = text.slice(1, -1);
  return body.replace(/\\([\s\S])|''/g, (match: string, escaped: string | undefined) =>
    escaped === undefined ? '' : escaped === 'u' ? match : (SPARK_ESCAPES[escaped] ?? escaped),
  );
}

const duckdbString = (value: string) => `'${value.replace(/'/g, "''")}'`;
const duckdbIdentifier = (name: string) => `"${name.replace(/"/g, '""')}"`;

/**
 * Databricks SQL spelled for DuckDB's parser, so the read-only guard checks the statement Databricks
 * will run. Spark's lexer decides where strings, names and comments end; where DuckDB's would
 * decide otherwise the text is re-spelled (`name` to "name", backslash escapes to doubled quotes,
 * comments dropped) or refused when no spelling keeps both readings the same: raw and hex string
 * prefixes, double-quoted text (a string, or a name under ANSI settings), nested comments,
 * line comments Spark would continue or end early, `${...}` substitution, and bare session functions.
 */
export function databricksSqlForParser(sql: string): string {
  // Spark substitutes ${var}, ${env:NAME} and ${system:NAME} into the text before it is parsed.
  if (sql.includes('${')) refuse('${...} variable substitution is not allowed here');
  const tokens = tokenizeSql(sql);
  const out: string[] = [];
  tokens.forEach((token, i) => {
    const next: SqlToken | undefined = tokens[i + 1];
    const prev = tokens[i - 1];
    switch (token.kind) {
      case 'comment':
        if (token.text.startsWith('/*')) {
          if (!token.text.endsWith('*/') || token.text.length < 4) refuse('the statement has an unterminated comment');
          if (token.text.slice(2).includes('/*')) refuse('nested comments are not allowed here');
        } else if (/[\\\r]/.test(token.text)) {
          // Spark continues a line comment after a trailing backslash and ends it at a carriage return.
          refuse('a line comment with a backslash or carriage return is not allowed here');
        }
        out.push(' ');
        return;
      case 'quoted':
        if (!/^`(?:[^`]|``)*`$/.test(token.text)) refuse('the statement has an unterminated `name`');
        out.push(duckdbIdentifier(token.text.slice(1, -1).replace(/``/g, '`')));
        return;
      case 'dquoted':
        return refuse(`double-quoted text is a string or a name depending on settings; write 'text' or \`name\` instead of ${token.text.slice(0, 40)}`);
      case 'string':
        if (!/^'(?:[^'\\]|\\[\s\S]|'')*'$/.test(token.text)) refuse('the statement has an unterminated string');
        out.push(duckdbString(stringValue(token.text)));
        return;
      case 'number': {
        const m = NUMBER.exec(token.text);
        // Spark reads 1_000 or 1a as one name where DuckDB reads a number and a name.
        if (!m || next?.kind === 'word') refuse(`"${token.text}${next?.kind === 'word' ? next.text : ''}" is not a number`);
        out.push(m![1]);
        return;
      }
      case 'word': {
        const lower = token.text.toLowerCase();
        if ((lower === 'r' || lower === 'x') && next && (next.kind === 'string' || next.kind === 'dquoted') && next.start === token.end) {
          refuse('raw and hex string literals are not allowed here');
        }
        const qualified = (prev?.kind === 'punct' && prev.text === '.') || (next?.kind === 'punct' && next.text === '.');
        if (BARE_SESSION_FUNCTIONS.has(lower) && !qualified) refuse(`${token.text} is a session function on Databricks and is not allowed here`);
        out.push(token.text);
        return;
      }
      default:
        out.push(token.text);
    }
  });
  return out.join('');
}

/**
 * The read-only guard for a statement written in Databricks SQL. Functions are allowed by DuckDB's
 * built-ins, so a Databricks-only one (secret, reflect, java_method, read_files, http_request...) is refused.
 */
export async function assertReadOnlyDatabricksSelect(guard: ReadOnlyGuard, sql: string, allowedLayers: readonly Layer[]): Promise<void> {
  await guard.assertReadOnlySelect(databricksSqlForParser(sql), allowedLayers);
}
