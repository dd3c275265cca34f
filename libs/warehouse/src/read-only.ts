import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { WarehouseError } from './errors';
import type { Layer } from './types';

const ALLOWED_TABLE_FUNCTIONS = new Set(['range', 'generate_series', 'unnest']);
const FORBIDDEN_FUNCTIONS = new Set(['getenv', 'current_setting', 'read_text', 'read_blob', 'query', 'query_table']);

let parser: Promise<DuckDBConnection> | undefined;

/** An in-memory DuckDB used only to parse SQL: it has no files and no tables. */
function parserConnection(): Promise<DuckDBConnection> {
  parser ??= DuckDBInstance.create(':memory:', { enable_external_access: 'false', threads: '1' }).then((i) => i.connect());
  return parser;
}

/**
 * Proves a statement only reads the tenant's own tables: exactly one SELECT (checked by DuckDB's
 * own parser, not by pattern matching), tables named by layer only (never by catalog, so another
 * namespace cannot be named), and no table function that reads files or runs other SQL.
 */
export async function assertReadOnlySelect(sql: string, allowedLayers: readonly Layer[]): Promise<void> {
  const connection = await parserConnection();
  const reader = await connection.runAndReadAll('select json_serialize_sql(?::varchar) as j', [sql]);
  const parsed = JSON.parse(String(reader.getRowObjectsJS()[0].j)) as {
    error: boolean;
    error_message?: string;
    statements?: unknown[];
  };
  if (parsed.error) {
    const reason = /Only SELECT/.test(parsed.error_message ?? '')
      ? 'only a single SELECT statement is allowed here'
      : `the statement could not be parsed: ${parsed.error_message}`;
    throw new WarehouseError('WAREHOUSE_READ_ONLY', `Refused: ${reason}.`);
  }
  if ((parsed.statements ?? []).length !== 1) {
    throw new WarehouseError('WAREHOUSE_READ_ONLY', 'Refused: only a single SELECT statement is allowed here.');
  }
  const ctes = new Set<string>();
  collectCteNames(parsed.statements, ctes);
  walk(parsed.statements, (node) => {
    if (node.type === 'TABLE_FUNCTION') {
      const fn = (node.function as { function_name?: string } | undefined)?.function_name ?? '';
      if (!ALLOWED_TABLE_FUNCTIONS.has(fn.toLowerCase())) {
        throw new WarehouseError('WAREHOUSE_READ_ONLY', `Refused: the table function ${fn}() is not allowed here.`);
      }
    }
    if (node.class === 'FUNCTION' && typeof node.function_name === 'string' && FORBIDDEN_FUNCTIONS.has(node.function_name.toLowerCase())) {
      throw new WarehouseError('WAREHOUSE_READ_ONLY', `Refused: the function ${node.function_name}() is not allowed here.`);
    }
    if (node.type === 'BASE_TABLE') {
      const catalog = String(node.catalog_name ?? '');
      const schema = String(node.schema_name ?? '');
      const table = String(node.table_name ?? '');
      if (catalog !== '') {
        throw new WarehouseError('WAREHOUSE_READ_ONLY', `Refused: name tables by layer (for example gold.${table}), not by catalog.`);
      }
      if (schema === '' && ctes.has(table)) return;
      if (!(allowedLayers as readonly string[]).includes(schema)) {
        throw new WarehouseError(
          'WAREHOUSE_READ_ONLY',
          `Refused: ${schema ? `${schema}.${table}` : table} is not a table this query may read; use ${allowedLayers.map((l) => `${l}.<table>`).join(' or ')}.`,
        );
      }
    }
  });
}

type JsonNode = Record<string, unknown>;

function walk(value: unknown, visit: (node: JsonNode) => void): void {
  if (Array.isArray(value)) {
    for (const item of value) walk(item, visit);
  } else if (value && typeof value === 'object') {
    visit(value as JsonNode);
    for (const child of Object.values(value)) walk(child, visit);
  }
}

function collectCteNames(value: unknown, names: Set<string>): void {
  walk(value, (node) => {
    const map = (node.cte_map as { map?: { key: string }[] } | undefined)?.map;
    if (Array.isArray(map)) for (const entry of map) names.add(entry.key);
  });
}
