import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
  BIGINT,
  BOOLEAN,
  DATE,
  DOUBLE,
  DuckDBDateValue,
  DuckDBInstance,
  DuckDBTimestampValue,
  INTEGER,
  SQLNULL,
  TIMESTAMP,
  VARCHAR,
  type DuckDBConnection,
  type DuckDBType,
  type DuckDBValue,
} from '@duckdb/node-api';
import { identifierChains, isSignificant, tokenizeSql, identifierName, type SqlToken } from '../../src/databricks/sql-text.util';
import { textValue } from '../../src/text-value.util';
import { columnCodec, type ColumnCodec } from './arrow-results';
import { DatabricksSqlError, notEmulated } from './errors';
import { duckIdent, duckLiteral, findReadFilesCalls, stringValue, toDuckDbSql, type ReadFilesCall } from './sql-translate';
import { TypeId, type SparkParameter } from './thrift-runtime';
import type { StagingOperation, VolumeStore } from './volumes';

export { DatabricksSqlError } from './errors';

export interface EngineSession {
  catalog: string;
  schema: string;
  connection: DuckDBConnection;
  configuration: Map<string, string>;
}

export interface StatementOutput {
  codecs: ColumnCodec[];
  /** Column-major values. */
  columns: DuckDBValue[][];
  rowCount: number;
  /** The one row tells the client which HTTP request moves the file (PUT, GET, REMOVE). */
  staging?: boolean;
}

interface DeltaVersion {
  version: number;
  committedAt: Date;
}

const DEFAULT_CATALOG = 'hive_metastore';
const HISTORY_SCHEMA = '__delta_history';
const HIDDEN_SCHEMAS = new Set(['main', 'pg_catalog', 'information_schema', HISTORY_SCHEMA]);

const q = (name: string) => `"${name.replace(/"/g, '""')}"`;
const lit = (value: string) => `'${value.replace(/'/g, "''")}'`;

const notFoundCatalog = (name: string) =>
  new DatabricksSqlError(`[NO_SUCH_CATALOG_EXCEPTION] Catalog '${name}' was not found. Please verify the catalog name and then retry the query or command again. SQLSTATE: 42704`, '42704');
const notFoundSchema = (name: string) =>
  new DatabricksSqlError(`[SCHEMA_NOT_FOUND] The schema \`${name}\` cannot be found. Verify the spelling and correctness of the schema and catalog. SQLSTATE: 42704`, '42704');
const notFoundTable = (name: string) =>
  new DatabricksSqlError(`[TABLE_OR_VIEW_NOT_FOUND] The table or view \`${name}\` cannot be found. Verify the spelling and correctness of the schema and catalog. SQLSTATE: 42P01`, '42P01');

/** DuckDB's first line, reworded where a SQL warehouse has its own error class. */
export function databricksError(error: unknown): DatabricksSqlError {
  if (error instanceof DatabricksSqlError) return error;
  const first = String((error as Error)?.message ?? error).split('\n')[0];
  let m = /Table with name "?([^"!]+?)"? does not exist/.exec(first);
  if (m) return notFoundTable(m[1]);
  m = /Catalog "([^"]+)" does not exist/.exec(first);
  if (m) return notFoundCatalog(m[1]);
  m = /Schema with name "?([^"!]+?)"? does not exist/.exec(first);
  if (m) return notFoundSchema(m[1]);
  return new DatabricksSqlError(first);
}

/** Reads the significant tokens of one statement, keyword by keyword. */
class Words {
  private at = 0;
  constructor(private readonly tokens: SqlToken[]) {}

  peek(): string | undefined {
    const t = this.tokens[this.at];
    return t?.kind === 'word' ? t.text.toLowerCase() : undefined;
  }

  accept(...words: string[]): boolean {
    for (let i = 0; i < words.length; i++) {
      const t = this.tokens[this.at + i];
      if (t?.kind !== 'word' || t.text.toLowerCase() !== words[i]) return false;
    }
    this.at += words.length;
    return true;
  }

  name(): string[] {
    const parts: string[] = [];
    for (;;) {
      const t = this.tokens[this.at];
      if (!t || (t.kind !== 'word' && t.kind !== 'quoted' && t.kind !== 'dquoted')) break;
      parts.push(identifierName(t));
      this.at++;
      if (this.tokens[this.at]?.text !== '.') break;
      this.at++;
    }
    return parts;
  }

  string(): string | undefined {
    const t = this.tokens[this.at];
    if (t?.kind !== 'string') return undefined;
    this.at++;
    return stringValue(t.text);
  }

  int(): number | undefined {
    const t = this.tokens[this.at];
    if (t?.kind !== 'number' || !/^\d+$/.test(t.text)) return undefined;
    this.at++;
    return Number(t.text);
  }

  rest(): string {
    return this.tokens
      .slice(this.at)
      .map((t) => t.text)
      .join(' ');
  }
}

/** Databricks `LIKE` patterns in SHOW commands: `*` any characters, `|` alternatives. */
function likePattern(pattern: string | undefined): (name: string) => boolean {
  if (pattern === undefined) return () => true;
  const alternatives = pattern.split('|').map((p) => p.trim().replace(/[.+?^${}()[\]\\]/g, '\\$&').replace(/\*/g, '.*'));
  const regex = new RegExp(`^(?:${alternatives.join('|')})$`, 'i');
  return (name) => regex.test(name);
}

function bindParameters(parameters: SparkParameter[]): { values: DuckDBValue[]; types: DuckDBType[] } {
  const ordered = parameters.every((p) => typeof p.ordinal === 'number') ? [...parameters].sort((a, b) => a.ordinal! - b.ordinal!) : parameters;
  const values: DuckDBValue[] = [];
  const types: DuckDBType[] = [];
  for (const parameter of ordered) {
    const text = parameter.value?.stringValue;
    const type = (parameter.type ?? '').toUpperCase();
    if (text === null || text === undefined || type === '' || type === 'VOID') {
      values.push(null);
      types.push(SQLNULL);
    } else if (type === 'INTEGER' || type === 'INT' || type === 'SMALLINT' || type === 'TINYINT') {
      values.push(Number(text));
      types.push(INTEGER);
    } else if (type === 'BIGINT') {
      values.push(BigInt(text));
      types.push(BIGINT);
    } else if (type === 'DOUBLE' || type === 'FLOAT' || type === 'DECIMAL') {
      values.push(Number(text));
      types.push(DOUBLE);
    } else if (type === 'BOOLEAN') {
      values.push(text.toUpperCase() === 'TRUE');
      types.push(BOOLEAN);
    } else if (type === 'DATE') {
      values.push(new DuckDBDateValue(Math.round(Date.parse(`${text.slice(0, 10)}T00:00:00Z`) / 86_400_000)));
      types.push(DATE);
    } else if (type.startsWith('TIMESTAMP')) {
      values.push(new DuckDBTimestampValue(BigInt(Date.parse(text)) * 1000n));
      types.push(TIMESTAMP);
    } else {
      values.push(text);
      types.push(VARCHAR);
    }
  }
  return { values, types };
}

/**
 * The SQL side of the local Databricks: every Unity Catalog catalog is an attached DuckDB
 * database; the statements only Databricks has (catalogs, SHOW, USE, GRANT, DESCRIBE HISTORY,
 * VERSION AS OF, RESTORE) are translated here and everything else goes to DuckDB as it is.
 *
 * Delta history is emulated lazily: DESCRIBE HISTORY compares a table with its last recorded
 * version and, if it changed, copies it as the next version; `VERSION AS OF n` reads that copy.
 * A client that pins what DESCRIBE HISTORY reports and reads it back sees exactly what Delta time
 * travel would show it.
 */
export class DuckDbDatabricksEngine {
  readonly grants: string[] = [];
  private readonly history = new Map<string, DeltaVersion[]>();
  private adminQueue: Promise<unknown> = Promise.resolve();
  private reads = 0;

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly admin: DuckDBConnection,
    private readonly volumes: VolumeStore,
  ) {}

  static async create(catalogs: string[], volumes: VolumeStore): Promise<DuckDbDatabricksEngine> {
    const instance = await DuckDBInstance.create(':memory:', { threads: '2' });
    const admin = await instance.connect();
    await admin.run("set global TimeZone = 'UTC'");
    const engine = new DuckDbDatabricksEngine(instance, admin, volumes);
    for (const catalog of [DEFAULT_CATALOG, ...catalogs]) await engine.createCatalog(catalog, true);
    await admin.run(`USE ${q(DEFAULT_CATALOG)}.${q('default')}`);
    return engine;
  }

  async openSession(catalog = DEFAULT_CATALOG, schema = 'default'): Promise<EngineSession> {
    await this.serial(async () => {
      if (!(await this.catalogExists(catalog))) throw notFoundCatalog(catalog);
      if (!(await this.schemaExists(catalog, schema))) throw notFoundSchema(`${catalog}.${schema}`);
    });
    const connection = await this.instance.connect();
    await connection.run(`USE ${q(catalog)}.${q(schema)}`);
    return { catalog, schema, connection, configuration: new Map() };
  }

  closeSession(session: EngineSession): void {
    session.connection.closeSync();
  }

  close(): void {
    this.admin.closeSync();
    this.instance.closeSync();
  }

  async execute(session: EngineSession, sql: string, parameters: SparkParameter[]): Promise<StatementOutput> {
    const tokens = tokenizeSql(sql);
    const words = new Words(tokens.filter(isSignificant));
    try {
      if (words.accept('create', 'catalog')) {
        const ifNotExists = words.accept('if', 'not', 'exists');
        const name = words.name()[0];
        await this.serial(() => this.createCatalog(name, ifNotExists));
        return this.empty();
      }
      if (words.accept('drop', 'catalog')) {
        const ifExists = words.accept('if', 'exists');
        const name = words.name()[0];
        await this.serial(() => this.dropCatalog(name, ifExists));
        return this.empty();
      }
      if (words.accept('show', 'catalogs')) {
        const like = words.accept('like') ? words.string() : undefined;
        return this.serial(() => this.showCatalogs(like));
      }
      if (words.accept('show', 'schemas') || words.accept('show', 'databases')) {
        const catalog = words.accept('in') || words.accept('from') ? words.name()[0] : session.catalog;
        const like = words.accept('like') ? words.string() : undefined;
        return this.serial(() => this.showSchemas(catalog, like));
      }
      if (words.accept('show', 'tables')) {
        const where = words.accept('in') || words.accept('from') ? words.name() : [];
        const [catalog, schema] = where.length >= 2 ? where : [session.catalog, where[0] ?? session.schema];
        const like = words.accept('like') ? words.string() : undefined;
        return this.serial(() => this.showTables(catalog, schema, like));
      }
      if (words.accept('use')) {
        await this.serial(() => this.use(session, words));
        return this.empty();
      }
      if (words.peek() === 'grant' || words.peek() === 'revoke') {
        this.grants.push(sql.trim());
        return this.empty();
      }
      if (words.accept('describe', 'history') || words.accept('desc', 'history')) {
        const table = this.resolve(session, words.name());
        const limit = words.accept('limit') ? words.int() : undefined;
        return this.serial(() => this.describeHistory(table, limit));
      }
      if (words.accept('restore')) {
        words.accept('table');
        const table = this.resolve(session, words.name());
        words.accept('to');
        if (!words.accept('version', 'as', 'of')) throw notEmulated('RESTORE other than TO VERSION AS OF <n>');
        const version = words.int();
        if (version === undefined) throw syntaxError('RESTORE');
        return this.serial(() => this.restore(table, version));
      }
      if (words.accept('set')) {
        const [key, value] = words.rest().split('=').map((s) => s.trim());
        if (key) session.configuration.set(key.toUpperCase(), value ?? '');
        return this.empty();
      }
      if (words.accept('create', 'volume') || words.accept('create', 'managed', 'volume')) {
        const ifNotExists = words.accept('if', 'not', 'exists');
        const [catalog, schema, volume] = this.resolve(session, words.name());
        await this.serial(async () => {
          if (!(await this.schemaExists(catalog, schema))) throw notFoundSchema(`${catalog}.${schema}`);
          this.volumes.create(catalog, schema, volume, ifNotExists);
        });
        return this.empty();
      }
      if (words.accept('drop', 'volume')) {
        const ifExists = words.accept('if', 'exists');
        const [catalog, schema, volume] = this.resolve(session, words.name());
        this.volumes.drop(catalog, schema, volume, ifExists);
        return this.empty();
      }
      if (words.accept('show', 'volumes')) {
        const where = words.accept('in') || words.accept('from') ? words.name() : [];
        const [catalog, schema] = where.length >= 2 ? where : [session.catalog, where[0] ?? session.schema];
        const like = words.accept('like') ? words.string() : undefined;
        if (!(await this.serial(() => this.schemaExists(catalog, schema)))) throw notFoundSchema(`${catalog}.${schema}`);
        const names = this.volumes.list(catalog, schema).filter(likePattern(like));
        return this.rows(
          [
            ['database', 'VARCHAR'],
            ['volumeName', 'VARCHAR'],
          ],
          names.map((n) => [schema, n]),
        );
      }
      if (words.accept('put')) {
        const local = words.string();
        const target = words.accept('into') ? words.string() : undefined;
        if (local === undefined || target === undefined) throw syntaxError('PUT');
        return this.staging('PUT', target, local, words.accept('overwrite'));
      }
      if (words.accept('get')) {
        const source = words.string();
        const local = words.accept('to') ? words.string() : undefined;
        if (source === undefined || local === undefined) throw syntaxError('GET');
        return this.staging('GET', source, local);
      }
      if (words.accept('remove')) {
        const target = words.string();
        if (target === undefined) throw syntaxError('REMOVE');
        return this.staging('REMOVE', target, null);
      }
      const droppedSchema = this.droppedSchema(session, tokens);
      const { values, types } = bindParameters(parameters);
      const { sql: withReads, tables } = await this.readFiles(session, sql);
      try {
        const duckSql = toDuckDbSql(withReads);
        const translated = await this.serial(async () => this.timeTravel(session, duckSql, tokenizeSql(duckSql)));
        const output = await this.run(session.connection, translated, values, types);
        if (droppedSchema) this.volumes.dropAll(...droppedSchema);
        return output;
      } finally {
        // A temporary view keeps reading what read_files found; anything else is done with it.
        if (!/^\s*create\s+(or\s+replace\s+)?temp(orary)?\s+view\b/i.test(sql)) {
          for (const table of tables) await session.connection.run(`drop table if exists ${table}`);
        }
      }
    } catch (error) {
      throw databricksError(error);
    }
  }

  // --- volumes and files ---------------------------------------------------------------------

  /** A staging statement's answer: one row naming the HTTP request the client makes itself. */
  private async staging(operation: StagingOperation, volumePath: string, localFile: string | null, overwrite = false): Promise<StatementOutput> {
    const instruction = this.volumes.stage(operation, volumePath, localFile, overwrite);
    // REMOVE names no local file, so its answer has no localFile column (the driver checks any it gets).
    const local = instruction.localFile === null ? [] : [instruction.localFile];
    const output = await this.rows(
      [['operation', 'VARCHAR'], ['presignedUrl', 'VARCHAR'], ...local.map((): [string, string] => ['localFile', 'VARCHAR']), ['headers', 'VARCHAR']],
      [[instruction.operation, instruction.presignedUrl, ...local, JSON.stringify(instruction.headers)]],
    );
    // `headers` is a MAP<STRING, STRING>, which a SQL warehouse sends as JSON text.
    const headers = output.codecs.length - 1;
    output.codecs[headers] = { ...output.codecs[headers], typeId: TypeId.MAP };
    return { ...output, staging: true };
  }

  /** `DROP SCHEMA` takes the schema's volumes with it. */
  private droppedSchema(session: EngineSession, tokens: SqlToken[]): [string, string] | undefined {
    const words = new Words(tokens.filter(isSignificant));
    if (!words.accept('drop', 'schema') && !words.accept('drop', 'database')) return undefined;
    words.accept('if', 'exists');
    const name = words.name();
    return name.length >= 2 ? [name[0], name[1]] : [session.catalog, name[0]];
  }

  /**
   * `read_files` over a CSV file in a volume, as Databricks reads it (Spark's CSV reader):
   * `schema` columns applied by position after the header, every column a STRING, the file
   * decoded as UTF-8 with U+FFFD where the bytes are not UTF-8, and in PERMISSIVE mode a record
   * that does not parse into exactly the schema's columns (ragged, broken quoting) kept with its
   * text in the `columnNameOfCorruptRecord` column when the schema has one (dropped otherwise).
   * Not imitated: Spark's partial values for such a record (all NULL here), type conversion,
   * schema inference, rescue of data (`rescuedDataColumn` is NULL, and a header that does not
   * name the schema's columns exactly is refused rather than rescued), `_metadata`, Spark's
   * lenient parsing of some stray quotes (DuckDB's strict reader makes those corrupt records).
   * A UTF-8 BOM before the header is skipped; what Databricks does with one is not checked here.
   * What DuckDB reads is materialised in a temporary table for the statement.
   */
  private async readFiles(session: EngineSession, sql: string): Promise<{ sql: string; tables: string[] }> {
    const calls = findReadFilesCalls(sql);
    const tables: string[] = [];
    let out = sql;
    for (const call of [...calls].reverse()) {
      const table = await this.materialiseCsv(session, call);
      tables.push(table);
      out = `${out.slice(0, call.start)}${table}${out.slice(call.end)}`;
    }
    return { sql: out, tables };
  }

  private async materialiseCsv(session: EngineSession, call: ReadFilesCall): Promise<string> {
    const option = (name: string) => call.options.get(name.toLowerCase());
    const known = ['format', 'header', 'schema', 'mode', 'rescueddatacolumn', 'columnnameofcorruptrecord', 'multiline', 'sep', 'delimiter', 'quote', 'escape', 'encoding', 'inferschema'];
    for (const key of call.options.keys()) if (!known.includes(key)) throw notEmulated(`the read_files option ${key}`);
    if (String(option('format') ?? '').toLowerCase() !== 'csv') throw notEmulated('read_files of anything but format => \'csv\'');
    if (String(option('mode') ?? 'PERMISSIVE').toUpperCase() !== 'PERMISSIVE') throw notEmulated(`read_files mode ${String(option('mode'))}`);
    if (!/^utf-?8$/i.test(String(option('encoding') ?? 'UTF-8'))) throw notEmulated(`the encoding ${String(option('encoding'))}`);
    const file = this.volumes.resolve(call.path);
    if (!fs.existsSync(file) || !fs.statSync(file).isFile()) {
      throw new DatabricksSqlError(`[PATH_NOT_FOUND] Path does not exist: ${call.path}. SQLSTATE: 42K03`, '42K03');
    }
    const header = option('header') === true;
    const delimiter = String(option('sep') ?? option('delimiter') ?? ',');
    const quote = String(option('quote') ?? '"');
    const escape = String(option('escape') ?? '\\');
    const corruptColumn = String(option('columnNameOfCorruptRecord') ?? '_corrupt_record');
    const rescuedColumn = option('rescuedDataColumn') === undefined ? undefined : String(option('rescuedDataColumn'));

    const bytes = fs.readFileSync(file);
    const text = bytes.toString('utf8');
    const headerNames = header ? firstRecord(text.replace(/^\uFEFF/, ''), delimiter, quote) : [];
    let columns: string[];
    let keepCorrupt = false;
    const schema = option('schema');
    if (schema !== undefined) {
      const fields = parseStringSchema(String(schema));
      keepCorrupt = fields.includes(corruptColumn);
      columns = fields.filter((f) => f !== corruptColumn);
      if (header && rescuedColumn !== undefined && headerNames.join('\u0000') !== columns.join('\u0000')) {
        throw notEmulated('rescued data for a header that does not name the schema\'s columns exactly, in order');
      }
    } else {
      if (option('inferSchema') !== false) throw notEmulated('read_files schema inference (pass inferSchema => false or a schema)');
      if (!header) throw notEmulated('read_files without a header or a schema');
      columns = headerNames;
    }

    const n = ++this.reads;
    const name = (suffix: string) => `__read_files_${n}${suffix}`;
    const table = `temp.main.${name('')}`;
    // Spark decodes with replacement characters; DuckDB would reject the line instead.
    let source = file;
    if (!Buffer.from(text, 'utf8').equals(bytes)) {
      source = path.join(this.volumes.root, `.decoded-${randomBytes(8).toString('hex')}.csv`);
      fs.writeFileSync(source, text);
    }
    const c = session.connection;
    const columnsArg = `{${columns.map((col) => `${duckLiteral(col)}: 'VARCHAR'`).join(', ')}}`;
    const h = header ? 1 : 0;
    try {
      await c.run(`create temp table ${name('_rows')} as
        select row_number() over () as __ord, * from read_csv(${duckLiteral(source)}, columns = ${columnsArg}, header = ${header},
          delim = ${duckLiteral(delimiter)}, quote = ${duckLiteral(quote)}, escape = ${duckLiteral(escape)}, auto_detect = false,
          strict_mode = true, all_varchar = true, store_rejects = true,
          rejects_table = ${duckLiteral(name('_rejects'))}, rejects_scan = ${duckLiteral(name('_scans'))})`);
      // DuckDB's line for a rejected record counts the blank lines it skipped before it, which Spark
      // does not place among the records: each one skipped before it is taken off.
      const skipped = columns.length > 1 ? skippedBlankLines(text, quote) : [];
      const skippedBefore = skipped.length > 0 ? `(select count(*) from unnest([${skipped.join(', ')}]::bigint[]) s(l) where s.l < line)` : '0';
      await c.run(`create temp table ${name('_bad')} as
        select line, csv_line, line - ${h} - ${skippedBefore} as place, line - ${h} - row_number() over (order by line) - ${skippedBefore} as accepted_before
        from (select line, any_value(csv_line) as csv_line from ${name('_rejects')} group by line)`);
      // Spark's corrupt record is the record's text; DuckDB's csv_line starts with the line breaks
      // before the record (the LF that ended the line before in a CRLF file, blank lines).
      await c.run(`update ${name('_bad')} set csv_line = ltrim(csv_line, chr(13) || chr(10))`);
      const data = columns.map(duckIdent).join(', ');
      const nulls = columns.map((col) => `cast(null as varchar) as ${duckIdent(col)}`).join(', ');
      const extra = `${keepCorrupt ? `, __corrupt as ${duckIdent(corruptColumn)}` : ''}${rescuedColumn !== undefined ? `, cast(null as varchar) as ${duckIdent(rescuedColumn)}` : ''}`;
      await c.run(`create temp table ${name('')} as
        select ${data}${extra} from (
          select ${data}, cast(null as varchar) as __corrupt, r.__ord + (select count(*) from ${name('_bad')} b where b.accepted_before < r.__ord) as __key
          from ${name('_rows')} r
          ${keepCorrupt ? `union all select ${nulls}, csv_line, place from ${name('_bad')}` : ''}
        ) order by __key`);
    } finally {
      for (const suffix of ['_rows', '_bad', '_rejects', '_scans']) await c.run(`drop table if exists ${name(suffix)}`).catch(() => undefined);
      if (source !== file) fs.rmSync(source, { force: true });
    }
    return table;
  }

  // --- Databricks-only statements ----------------------------------------------------------

  private async createCatalog(name: string, ifNotExists: boolean): Promise<void> {
    if (await this.catalogExists(name)) {
      if (ifNotExists) return;
      throw new DatabricksSqlError(`[CATALOG_ALREADY_EXISTS] Catalog '${name}' already exists. SQLSTATE: 42P04`, '42P04');
    }
    await this.admin.run(`ATTACH ':memory:' AS ${q(name)}`);
    await this.admin.run(`CREATE SCHEMA ${q(name)}.${q('default')}`);
  }

  private async dropCatalog(name: string, ifExists: boolean): Promise<void> {
    if (!(await this.catalogExists(name))) {
      if (ifExists) return;
      throw notFoundCatalog(name);
    }
    await this.admin.run(`DETACH DATABASE ${q(name)}`);
    for (const key of [...this.history.keys()]) if (key.startsWith(`${name}.`)) this.history.delete(key);
    this.volumes.dropAll(name);
  }

  private async showCatalogs(like: string | undefined): Promise<StatementOutput> {
    const reader = await this.admin.runAndReadAll('select database_name from duckdb_databases() where not internal and database_name <> ? order by 1', ['memory']);
    const matches = likePattern(like);
    const names = reader.getRowsJS().map((r) => textValue(r[0], 'name')).filter(matches);
    return this.rows([['catalog', 'VARCHAR']], names.map((n) => [n]));
  }

  private async showSchemas(catalog: string, like: string | undefined): Promise<StatementOutput> {
    if (!(await this.catalogExists(catalog))) throw notFoundCatalog(catalog);
    const reader = await this.admin.runAndReadAll('select schema_name from information_schema.schemata where catalog_name = ? order by 1', [catalog]);
    const matches = likePattern(like);
    const names = reader
      .getRowsJS()
      .map((r) => textValue(r[0], 'name'))
      .filter((n) => !HIDDEN_SCHEMAS.has(n) && matches(n));
    return this.rows([['databaseName', 'VARCHAR']], names.map((n) => [n]));
  }

  private async showTables(catalog: string, schema: string, like: string | undefined): Promise<StatementOutput> {
    if (!(await this.schemaExists(catalog, schema))) throw notFoundSchema(`${catalog}.${schema}`);
    const reader = await this.admin.runAndReadAll(
      'select table_name from information_schema.tables where table_catalog = ? and table_schema = ? order by 1',
      [catalog, schema],
    );
    const matches = likePattern(like);
    const names = reader.getRowsJS().map((r) => textValue(r[0], 'name')).filter(matches);
    return this.rows(
      [
        ['database', 'VARCHAR'],
        ['tableName', 'VARCHAR'],
        ['isTemporary', 'BOOLEAN'],
      ],
      names.map((n) => [schema, n, false]),
    );
  }

  private async use(session: EngineSession, words: Words): Promise<void> {
    let catalog = session.catalog;
    let schema = session.schema;
    if (words.accept('catalog')) {
      catalog = words.name()[0];
      schema = 'default';
    } else {
      if (!words.accept('schema')) words.accept('database');
      const name = words.name();
      if (name.length >= 2) [catalog, schema] = name;
      else schema = name[0];
    }
    if (!(await this.catalogExists(catalog))) throw notFoundCatalog(catalog);
    if (!(await this.schemaExists(catalog, schema))) throw notFoundSchema(`${catalog}.${schema}`);
    await session.connection.run(`USE ${q(catalog)}.${q(schema)}`);
    session.catalog = catalog;
    session.schema = schema;
  }

  private resolve(session: EngineSession, parts: string[]): [string, string, string] {
    if (parts.length >= 3) return [parts[0], parts[1], parts[2]];
    if (parts.length === 2) return [session.catalog, parts[0], parts[1]];
    return [session.catalog, session.schema, parts[0]];
  }

  private async describeHistory([catalog, schema, table]: [string, string, string], limit: number | undefined): Promise<StatementOutput> {
    await this.assertTable(catalog, schema, table);
    const key = `${catalog}.${schema}.${table}`;
    const versions = this.history.get(key) ?? [];
    const latest = versions.at(-1);
    if (!latest || !(await this.sameContent(catalog, schema, table, latest.version))) {
      const version = latest ? latest.version + 1 : 0;
      await this.admin.run(`CREATE SCHEMA IF NOT EXISTS ${q(catalog)}.${q(HISTORY_SCHEMA)}`);
      await this.admin.run(`CREATE OR REPLACE TABLE ${this.versionTable(catalog, schema, table, version)} AS SELECT * FROM ${q(catalog)}.${q(schema)}.${q(table)}`);
      versions.push({ version, committedAt: new Date() });
      this.history.set(key, versions);
    }
    const shown = [...versions].reverse().slice(0, limit ?? versions.length);
    return this.rows(
      [
        ['version', 'BIGINT'],
        ['timestamp', 'TIMESTAMP'],
        ['operation', 'VARCHAR'],
      ],
      shown.map((v) => [v.version, v.committedAt.toISOString().replace('T', ' ').replace('Z', ''), v.version === 0 ? 'CREATE TABLE AS SELECT' : 'CREATE OR REPLACE TABLE AS SELECT']),
    );
  }

  /**
   * `RESTORE TABLE t TO VERSION AS OF n`: the table's content becomes version n's again, as a new
   * version (recorded by the next DESCRIBE HISTORY); the versions in between stay readable. Delta
   * answers with file metrics, which mean nothing here, so their columns come back empty.
   */
  private async restore([catalog, schema, table]: [string, string, string], version: number): Promise<StatementOutput> {
    await this.assertTable(catalog, schema, table);
    const versions = this.history.get(`${catalog}.${schema}.${table}`) ?? [];
    if (!versions.some((v) => v.version === version)) {
      throw new DatabricksSqlError(
        `[DELTA_VERSION_NOT_FOUND] Cannot time travel Delta table to version ${version}. Available versions: [${versions.map((v) => v.version).join(', ')}]. SQLSTATE: 22003`,
      );
    }
    await this.admin.run(`CREATE OR REPLACE TABLE ${q(catalog)}.${q(schema)}.${q(table)} AS SELECT * FROM ${this.versionTable(catalog, schema, table, version)}`);
    const metrics = ['table_size_after_restore', 'num_of_files_after_restore', 'num_removed_files', 'num_restored_files', 'removed_files_size', 'restored_files_size'];
    return this.rows(
      metrics.map((m): [string, string] => [m, 'BIGINT']),
      [metrics.map(() => null)],
    );
  }

  private async assertTable(catalog: string, schema: string, table: string): Promise<void> {
    const exists = await this.admin.runAndReadAll(
      'select count(*) from information_schema.tables where table_catalog = ? and table_schema = ? and table_name = ?',
      [catalog, schema, table],
    );
    if (Number(exists.getRowsJS()[0][0]) === 0) throw notFoundTable(`${schema}\`.\`${table}`);
  }

  private async sameContent(catalog: string, schema: string, table: string, version: number): Promise<boolean> {
    const live = `${q(catalog)}.${q(schema)}.${q(table)}`;
    const copy = this.versionTable(catalog, schema, table, version);
    const shape = async (s: string, t: string) =>
      JSON.stringify(
        (
          await this.admin.runAndReadAll(
            'select column_name, data_type from information_schema.columns where table_catalog = ? and table_schema = ? and table_name = ? order by ordinal_position',
            [catalog, s, t],
          )
        ).getRowsJS(),
      );
    if ((await shape(schema, table)) !== (await shape(HISTORY_SCHEMA, `${schema}__${table}__v${version}`))) return false;
    const diff = await this.admin.runAndReadAll(
      `select (select count(*) from (select * from ${live} except all select * from ${copy})) + (select count(*) from (select * from ${copy} except all select * from ${live}))`,
    );
    return Number(diff.getRowsJS()[0][0]) === 0;
  }

  private versionTable(catalog: string, schema: string, table: string, version: number): string {
    return `${q(catalog)}.${q(HISTORY_SCHEMA)}.${q(`${schema}__${table}__v${version}`)}`;
  }

  /** `t VERSION AS OF n` becomes the copy DESCRIBE HISTORY made of version n. */
  private async timeTravel(session: EngineSession, sql: string, tokens: SqlToken[]): Promise<string> {
    const edits: Array<{ start: number; end: number; text: string }> = [];
    const significantAfter = (index: number) => {
      for (let i = index + 1; i < tokens.length; i++) if (isSignificant(tokens[i])) return i;
      return undefined;
    };
    for (const chain of identifierChains(tokens)) {
      const seq: number[] = [];
      let at: number | undefined = chain.next;
      for (let k = 0; k < 4 && at !== undefined; k++) {
        seq.push(at);
        at = significantAfter(at);
      }
      const text = seq.map((i) => tokens[i].text.toLowerCase());
      if (text[0] !== 'version' || text[1] !== 'as' || text[2] !== 'of' || !/^\d+$/.test(text[3] ?? '')) continue;
      const [catalog, schema, table] = this.resolve(session, chain.names);
      const version = Number(text[3]);
      const versions = this.history.get(`${catalog}.${schema}.${table}`) ?? [];
      if (!versions.some((v) => v.version === version)) {
        throw new DatabricksSqlError(
          `[DELTA_VERSION_NOT_FOUND] Cannot time travel Delta table to version ${version}. Available versions: [${versions.map((v) => v.version).join(', ')}]. SQLSTATE: 22003`,
        );
      }
      edits.push({ start: tokens[chain.parts[0]].start, end: tokens[seq[3]].end, text: this.versionTable(catalog, schema, table, version) });
    }
    let out = sql;
    for (const edit of edits.sort((a, b) => b.start - a.start)) out = out.slice(0, edit.start) + edit.text + out.slice(edit.end);
    return out;
  }

  // --- plumbing ------------------------------------------------------------------------------

  private async catalogExists(name: string): Promise<boolean> {
    const reader = await this.admin.runAndReadAll('select count(*) from duckdb_databases() where database_name = ? and database_name <> ?', [name, 'memory']);
    return Number(reader.getRowsJS()[0][0]) > 0;
  }

  private async schemaExists(catalog: string, schema: string): Promise<boolean> {
    const reader = await this.admin.runAndReadAll('select count(*) from information_schema.schemata where catalog_name = ? and schema_name = ?', [catalog, schema]);
    return Number(reader.getRowsJS()[0][0]) > 0 && !HIDDEN_SCHEMAS.has(schema);
  }

  private async run(connection: DuckDBConnection, sql: string, values: DuckDBValue[] = [], types: DuckDBType[] = []): Promise<StatementOutput> {
    const result = await connection.run(sql, values, types);
    const names = result.columnNames();
    const columnTypes = result.columnTypes();
    const columns = await result.getColumns();
    return {
      codecs: names.map((name, i) => columnCodec(name, columnTypes[i])),
      columns: names.map((_, i) => columns[i] ?? []),
      rowCount: columns[0]?.length ?? 0,
    };
  }

  private rows(columns: Array<[string, string]>, rows: Array<Array<string | number | boolean | null>>): Promise<StatementOutput> {
    const value = (v: string | number | boolean | null) => (typeof v === 'string' ? lit(v) : String(v));
    const select = columns.map(([name, type], i) => `cast(c${i} as ${type}) as ${q(name)}`).join(', ');
    const sql =
      rows.length === 0
        ? `select ${columns.map(([name, type]) => `cast(null as ${type}) as ${q(name)}`).join(', ')} where false`
        : `select ${select} from (values ${rows.map((r) => `(${r.map(value).join(', ')})`).join(', ')}) as t(${columns.map((_, i) => `c${i}`).join(', ')})`;
    return this.run(this.admin, sql);
  }

  private empty(): StatementOutput {
    return { codecs: [], columns: [], rowCount: 0 };
  }

  /** Catalog changes and history copies go through one connection, one at a time. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.adminQueue.then(fn, fn);
    this.adminQueue = next.catch(() => undefined);
    return next;
  }
}

const syntaxError = (statement: string) =>
  new DatabricksSqlError(`[PARSE_SYNTAX_ERROR] Syntax error in ${statement}: expected string literals for the paths. SQLSTATE: 42601`, '42601');

/** Column names of a DDL schema string, e.g. `` `ID` STRING, name STRING ``; every column must be a STRING. */
function parseStringSchema(schema: string): string[] {
  const tokens = tokenizeSql(schema).filter(isSignificant);
  const names: string[] = [];
  for (let i = 0; i < tokens.length; i += 3) {
    const [name, type, comma] = [tokens[i], tokens[i + 1], tokens[i + 2]];
    if (!name || (name.kind !== 'word' && name.kind !== 'quoted') || type?.kind !== 'word' || (comma && comma.text !== ',')) {
      throw new DatabricksSqlError(`[PARSE_SYNTAX_ERROR] Cannot parse the schema ${JSON.stringify(schema)}. SQLSTATE: 42601`, '42601');
    }
    if (type.text.toUpperCase() !== 'STRING') throw notEmulated(`read_files columns of type ${type.text}`);
    names.push(name.kind === 'quoted' ? name.text.slice(1, -1).replace(/``/g, '`') : name.text);
  }
  return names;
}

/** The fields of a CSV text's first record. */
/**
 * DuckDB's line numbers (the header 1, each record or blank line one more) of the blank lines
 * between the records of `text` (empty, or a lone CR before the LF), which it skips.
 */
function skippedBlankLines(text: string, quote: string): number[] {
  const skipped: number[] = [];
  let line = 1;
  let quoted = false;
  let start = true;
  for (let i = text.charCodeAt(0) === 0xfeff ? 1 : 0; i < text.length; i++) {
    const ch = text[i];
    if (start && line > 1 && (ch === '\n' || (ch === '\r' && text[i + 1] === '\n'))) {
      skipped.push(line);
      line++;
      if (ch === '\r') i++;
      continue;
    }
    start = false;
    if (ch === quote) quoted = !quoted;
    else if (ch === '\n' && !quoted) {
      line++;
      start = true;
    }
  }
  return skipped;
}

function firstRecord(text: string, delimiter: string, quote: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === quote && text[i + 1] === quote) {
        field += quote;
        i++;
      } else if (ch === quote) quoted = false;
      else field += ch;
    } else if (ch === quote) quoted = true;
    else if (ch === delimiter) {
      fields.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') break;
    else field += ch;
  }
  fields.push(field);
  return fields;
}
