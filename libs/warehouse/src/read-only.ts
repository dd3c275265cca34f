import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { duckdbNodeApi } from './duckdb/node-api.loader';
import { WarehouseError } from './errors';
import { textValue } from './text-value.util';
import type { Layer } from './types';

/**
 * Table functions that only generate values from their arguments: they read no file, setting or
 * catalog. Every other table function (read_csv, glob, duckdb_tables, pragma_*, query...) is refused.
 */
const GENERATOR_TABLE_FUNCTIONS = new Set(['range', 'generate_series', 'unnest']);

/**
 * Built-in scalar functions and macros that reveal the engine's configuration, session or catalog,
 * or change its state, rather than compute from their arguments.
 */
const REFUSED_FUNCTIONS = new Set([
  'getenv',
  'current_setting',
  'getvariable',
  'current_query',
  'current_query_id',
  'current_database',
  'current_catalog',
  'current_schema',
  'current_schemas',
  'current_connection_id',
  'current_transaction_id',
  'current_user',
  'current_role',
  'session_user',
  'user',
  'in_search_path',
  'nextval',
  'currval',
  'setseed',
  'txid_current',
  'get_block_size',
  'parse_duckdb_log_message',
]);

/** Node types the guard understands; anything else (SHOW_REF, PIVOT, a future type) is refused. */
const QUERY_NODES = new Set(['SELECT_NODE', 'SET_OPERATION_NODE', 'RECURSIVE_CTE_NODE']);
const TABLE_REFS = new Set(['BASE_TABLE', 'SUBQUERY', 'JOIN', 'EXPRESSION_LIST', 'EMPTY', 'TABLE_FUNCTION']);
const EXPRESSIONS = new Set([
  'CONSTANT',
  'COLUMN_REF',
  'FUNCTION',
  'OPERATOR',
  'CASE',
  'CAST',
  'COMPARISON',
  'CONJUNCTION',
  'SUBQUERY',
  'STAR',
  'WINDOW',
  'LAMBDA',
  'LAMBDA_REF',
  'BETWEEN',
  'COLLATE',
  'PARAMETER',
  'POSITIONAL_REFERENCE',
]);
const SAFE_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

interface Parser {
  instance: DuckDBInstance;
  connection: DuckDBConnection;
  /** Names of the engine's built-in scalar and aggregate functions (and scalar macros) in main. */
  functions: Set<string>;
}

/** An in-memory DuckDB used only to parse SQL: it has no files and no tables. */
async function openParser(): Promise<Parser> {
  const instance = await duckdbNodeApi().DuckDBInstance.create(':memory:', { enable_external_access: 'false', threads: '1' });
  let connection: DuckDBConnection | undefined;
  try {
    connection = await instance.connect();
    const reader = await connection.runAndReadAll(
      "select distinct function_name from duckdb_functions() where schema_name = 'main' and function_type in ('scalar', 'aggregate', 'macro')",
    );
    const functions = new Set(reader.getRowObjectsJS().map((r) => textValue(r.function_name, 'function_name').toLowerCase()));
    return { instance, connection, functions };
  } catch (error) {
    // Half set up, it is nobody's: closed here, or it would stay open for the life of the process.
    connection?.closeSync();
    instance.closeSync();
    throw error;
  }
}

const refuse = (reason: string): never => {
  throw new WarehouseError('WAREHOUSE_READ_ONLY', `Refused: ${reason}.`);
};

/**
 * Proves a statement only reads the tenant's own tables. DuckDB's own parser turns it into a tree
 * (never pattern matching on text), which must be exactly one SELECT built only from parts this
 * guard knows (an allow-list): tables named by layer, or a CTE name where that CTE is in scope;
 * built-in scalar and aggregate functions; and no table function other than pure generators.
 * The engine's own confinement (no external access, allowed directories) stays behind it.
 *
 * Its parser is a DuckDB instance of its own, opened at the first statement not yet approved and
 * closed by `close()`: whoever owns the guard (a warehouse) closes it with itself, so no process is
 * left holding an engine nobody will close. A check arriving while it closes is refused (a
 * parser it opened would outlive the close); a check after `close()` opens a new one.
 */
export class ReadOnlyGuard {
  private parser?: Promise<Parser>;
  private closing?: Promise<void>;
  private readonly checking = new Set<Promise<unknown>>();

  /** Whether the parser's DuckDB is open (between the first parse and `close()`). */
  get isOpen(): boolean {
    return this.parser !== undefined;
  }

  async assertReadOnlySelect(sql: string, allowedLayers: readonly Layer[]): Promise<void> {
    const key = `${allowedLayers.join(',')}\n${sql}`;
    if (approved.has(key)) {
      // Most recently approved goes last, so the oldest is dropped first.
      approved.delete(key);
      approved.add(key);
      return;
    }
    await this.check(sql, allowedLayers);
    if (approved.size >= APPROVED_MAX) approved.delete(approved.values().next().value!);
    approved.add(key);
  }

  /** Waits for the checks in flight (and a parser still opening), then closes the parser. */
  async close(): Promise<void> {
    if (this.closing) return this.closing;
    const parser = this.parser;
    this.parser = undefined;
    if (!parser) return;
    const closing = (async () => {
      await Promise.allSettled([...this.checking]);
      const opened = await parser.catch(() => undefined);
      opened?.connection.closeSync();
      opened?.instance.closeSync();
    })();
    this.closing = closing;
    try {
      await closing;
    } finally {
      this.closing = undefined;
    }
  }

  private async check(sql: string, allowedLayers: readonly Layer[]): Promise<void> {
    if (this.closing) {
      throw new WarehouseError('WAREHOUSE_UNAVAILABLE', 'The SQL checker is closing with its warehouse: the statement was not checked or run; try again.');
    }
    if (!this.parser) {
      const opening = openParser();
      this.parser = opening;
      // A parser that failed to open is not kept: the next check tries again instead of failing forever.
      opening.catch(() => {
        if (this.parser === opening) this.parser = undefined;
      });
    }
    const parser = this.parser;
    // Still in use once its parser is taken: a close waits for it before closing the engine under it.
    const parsing = parser.then(({ connection }) => connection.runAndReadAll('select json_serialize_sql(?::varchar) as j', [sql]));
    this.checking.add(parsing);
    let reader;
    try {
      reader = await parsing;
    } finally {
      this.checking.delete(parsing);
    }
    checkParsed(reader.getRowObjectsJS()[0].j, allowedLayers, (await parser).functions);
  }
}

/**
 * Statements (with the layers they were allowed) this process has already proven read-only, by any
 * guard. The verdict depends only on the text and the layers (values are bound as parameters, never
 * in the text), and a dashboard sends the same few texts on every request: parsing each again
 * through the one parser connection, one after another, cost an uncached six-tile dashboard 6-10 ms
 * in the gateway. Refusals are not remembered (each one is reported again, in full). Bounded: a
 * compiled statement is about 1 KB of text.
 */
const approved = new Set<string>();
const APPROVED_MAX = 1_000;

function checkParsed(serialized: unknown, allowedLayers: readonly Layer[], functions: Set<string>): void {
  const parsed = JSON.parse(textValue(serialized, 'j')) as {
    error: boolean;
    error_message?: string;
    statements?: { node: unknown }[];
  };
  if (parsed.error) {
    refuse(
      /Only SELECT/.test(parsed.error_message ?? '')
        ? 'only a single SELECT statement is allowed here'
        : `the statement could not be parsed: ${parsed.error_message}`,
    );
  }
  const statements = parsed.statements ?? [];
  if (statements.length !== 1) refuse('only a single SELECT statement is allowed here');
  new Guard(allowedLayers, functions).visit(statements[0].node, new Set(), 'query');
}

type JsonNode = Record<string, unknown>;

/** A name in the parse tree, '' when absent; anything but text is a tree this check does not know, so it refuses. */
function nameIn(node: JsonNode, key: string): string {
  const value = node[key];
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : refuse(`the statement could not be checked (its ${key} is not a name)`);
}
type Slot = 'query' | 'table' | 'table-function' | 'expression' | 'other';

class Guard {
  constructor(
    private readonly layers: readonly string[],
    private readonly functions: Set<string>,
  ) {}

  /**
   * Walks the tree carrying the CTE names in scope: a WITH's names are visible in its own query
   * and everything nested in it, a CTE's definition sees only the CTEs before it (and itself when
   * recursive), and nothing outside the WITH sees them. A name out of scope is a real table.
   */
  visit(value: unknown, scope: ReadonlySet<string>, slot: Slot): void {
    if (Array.isArray(value)) {
      for (const item of value) this.visit(item, scope, slot);
      return;
    }
    if (!value || typeof value !== 'object') return;
    const node = value as JsonNode;
    const kind = this.check(node, scope, slot);
    let inner = scope;
    if (kind === 'query') inner = this.visitCtes(node, scope);
    for (const [key, child] of Object.entries(node)) {
      if (key === 'cte_map') continue;
      this.visit(child, inner, slotOf(key, kind));
    }
  }

  private visitCtes(node: JsonNode, scope: ReadonlySet<string>): ReadonlySet<string> {
    const entries = (node.cte_map as { map?: { key: string; value: { query?: { node?: JsonNode } } }[] } | undefined)?.map ?? [];
    const names = new Set(scope);
    if (node.type === 'RECURSIVE_CTE_NODE' && typeof node.cte_name === 'string') names.add(node.cte_name.toLowerCase());
    for (const entry of entries) {
      this.visit(entry.value, names, 'other');
      names.add(entry.key.toLowerCase());
    }
    return names;
  }

  private check(node: JsonNode, scope: ReadonlySet<string>, slot: Slot): Slot | undefined {
    if (typeof node.class === 'string') {
      if (!EXPRESSIONS.has(node.class)) refuse(`${node.class.toLowerCase()} expressions are not allowed here`);
      // A table function's own call was checked as a table function; its arguments are checked below.
      if (node.class === 'FUNCTION' && slot !== 'table-function') this.checkFunction(node);
      if (node.class === 'WINDOW' && node.type === 'WINDOW_AGGREGATE') this.checkFunction(node);
      return 'expression';
    }
    const type = typeof node.type === 'string' ? node.type : undefined;
    if (type && QUERY_NODES.has(type)) return 'query';
    // Whatever key it hangs from, anything that names a table or calls a table function is checked.
    const namesTable = type === 'BASE_TABLE' || type === 'TABLE_FUNCTION' || 'table_name' in node;
    if ((slot === 'table' || namesTable) && type) {
      if (!TABLE_REFS.has(type)) refuse(type === 'SHOW_REF' ? 'SHOW, DESCRIBE and SUMMARIZE are not allowed here' : `${type.toLowerCase()} is not allowed here`);
      if (type === 'BASE_TABLE') this.checkTable(node, scope);
      if (type === 'TABLE_FUNCTION') {
        const fn = nameIn((node.function as JsonNode | undefined) ?? {}, 'function_name');
        if (!GENERATOR_TABLE_FUNCTIONS.has(fn.toLowerCase())) refuse(`the table function ${fn}() is not allowed here`);
      }
      return 'table';
    }
    if (slot === 'query' && type && !QUERY_NODES.has(type)) refuse(`${type.toLowerCase()} is not allowed here`);
    return undefined;
  }

  private checkFunction(node: JsonNode): void {
    const name = nameIn(node, 'function_name');
    const lower = name.toLowerCase();
    if (nameIn(node, 'catalog') !== '' || !['', 'main'].includes(nameIn(node, 'schema'))) {
      refuse(`the function ${name}() may not be qualified by catalog or schema here`);
    }
    if (REFUSED_FUNCTIONS.has(lower) || lower.startsWith('duckdb_') || lower.startsWith('pragma_') || !this.functions.has(lower)) {
      refuse(`the function ${name}() is not allowed here`);
    }
  }

  private checkTable(node: JsonNode, scope: ReadonlySet<string>): void {
    const catalog = nameIn(node, 'catalog_name');
    const schema = nameIn(node, 'schema_name');
    const table = nameIn(node, 'table_name');
    if (catalog !== '') refuse(`name tables by layer (for example gold.${table}), not by catalog`);
    if (schema === '' && scope.has(table.toLowerCase())) return;
    if (!this.layers.includes(schema)) {
      refuse(
        `${schema ? `${schema}.${table}` : table} is not a table this query may read; use ${this.layers.map((l) => `${l}.<table>`).join(' or ')}`,
      );
    }
    // A path or URL where a table name goes would be read as a file by a replacement scan.
    if (!SAFE_IDENTIFIER.test(table)) refuse(`"${table}" is not a table name`);
  }
}

/** Which kind of node a child key holds, so table references are checked as such. */
function slotOf(key: string, parent: Slot | undefined): Slot {
  if (key === 'from_table' || key === 'left' || key === 'right') {
    // A set operation's or recursive CTE's sides are queries; a join's sides are tables.
    return parent === 'query' ? (key === 'from_table' ? 'table' : 'query') : parent === 'table' ? 'table' : 'other';
  }
  if (key === 'function' && parent === 'table') return 'table-function';
  if (key === 'subquery' || key === 'query') return 'other';
  if (key === 'node') return 'query';
  return parent === 'expression' ? 'expression' : 'other';
}
