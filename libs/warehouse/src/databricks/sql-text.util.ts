import { WarehouseError } from '../errors';
import { LAYERS, type Layer } from '../types';

/**
 * A lexical view of Databricks SQL: enough to find identifier chains (`gold.scores`,
 * `kineo_t_1.bronze.people`) outside string literals and comments. Not a parser: the
 * statement itself is still checked by the warehouse.
 */
export type SqlTokenKind = 'word' | 'quoted' | 'dquoted' | 'string' | 'number' | 'param' | 'punct' | 'space' | 'comment';

export interface SqlToken {
  kind: SqlTokenKind;
  text: string;
  start: number;
  end: number;
}

const PATTERNS: Array<[SqlTokenKind, RegExp]> = [
  ['space', /\s+/y],
  ['comment', /--[^\n]*|\/\*[\s\S]*?(?:\*\/|$)/y],
  // Databricks string literals take backslash escapes as well as doubled quotes.
  ['string', /'(?:[^'\\]|\\[\s\S]|'')*(?:'|$)/y],
  ['dquoted', /"(?:[^"\\]|\\[\s\S]|"")*(?:"|$)/y],
  ['quoted', /`(?:[^`]|``)*(?:`|$)/y],
  ['word', /[A-Za-z_][A-Za-z0-9_$]*/y],
  ['number', /[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?[A-Za-z]*/y],
  ['param', /\?/y],
];

export function tokenizeSql(sql: string): SqlToken[] {
  const tokens: SqlToken[] = [];
  let at = 0;
  while (at < sql.length) {
    let matched: SqlToken | undefined;
    for (const [kind, pattern] of PATTERNS) {
      pattern.lastIndex = at;
      const m = pattern.exec(sql);
      if (m && m[0].length > 0) {
        matched = { kind, text: m[0], start: at, end: at + m[0].length };
        break;
      }
    }
    matched ??= { kind: 'punct', text: sql[at], start: at, end: at + 1 };
    tokens.push(matched);
    at = matched.end;
  }
  return tokens;
}

export function isSignificant(token: SqlToken): boolean {
  return token.kind !== 'space' && token.kind !== 'comment';
}

function isIdentifier(token: SqlToken | undefined): token is SqlToken {
  return !!token && (token.kind === 'word' || token.kind === 'quoted' || token.kind === 'dquoted');
}

/** The name an identifier token stands for; unquoted names are case-insensitive. */
export function identifierName(token: SqlToken): string {
  if (token.kind === 'quoted') return token.text.slice(1, -1).replace(/``/g, '`');
  if (token.kind === 'dquoted') return token.text.slice(1, -1).replace(/""/g, '"');
  return token.text.toLowerCase();
}

/** The first `count` keywords of a statement, lower-cased, comments skipped. */
export function leadingWords(sql: string, count: number): string[] {
  const words: string[] = [];
  for (const token of tokenizeSql(sql)) {
    if (!isSignificant(token)) continue;
    if (token.kind !== 'word' || words.length >= count) break;
    words.push(token.text.toLowerCase());
  }
  return words;
}

export interface IdentifierChain {
  /** Token indexes of each part, in order. */
  parts: number[];
  names: string[];
  /** Index of the first significant token after the chain, if any. */
  next?: number;
}

/** Dotted identifier chains, `a`, `a.b`, `a.b.c`, in the order they appear. */
export function identifierChains(tokens: SqlToken[]): IdentifierChain[] {
  const sig = tokens.map((t, i) => i).filter((i) => isSignificant(tokens[i]));
  const chains: IdentifierChain[] = [];
  for (let k = 0; k < sig.length; k++) {
    const token = tokens[sig[k]];
    if (!isIdentifier(token)) continue;
    const prev = k > 0 ? tokens[sig[k - 1]] : undefined;
    if (prev && prev.kind === 'punct' && prev.text === '.') continue;
    const parts = [sig[k]];
    let m = k;
    while (m + 2 < sig.length && tokens[sig[m + 1]].text === '.' && tokens[sig[m + 1]].kind === 'punct' && isIdentifier(tokens[sig[m + 2]])) {
      parts.push(sig[m + 2]);
      m += 2;
    }
    chains.push({ parts, names: parts.map((i) => identifierName(tokens[i])), next: sig[m + 1] });
    k = m;
  }
  return chains;
}

interface Edit {
  start: number;
  end: number;
  text: string;
}

function applyEdits(sql: string, edits: Edit[]): string {
  let out = sql;
  for (const edit of [...edits].sort((a, b) => b.start - a.start)) {
    out = out.slice(0, edit.start) + edit.text + out.slice(edit.end);
  }
  return out;
}

function layerOf(tokens: SqlToken[], index: number): Layer | undefined {
  const token = tokens[index];
  if (token.kind !== 'word' && token.kind !== 'quoted') return undefined;
  const name = identifierName(token);
  return (LAYERS as readonly string[]).includes(name) ? (name as Layer) : undefined;
}

/**
 * Schema isolation: models say `bronze.x`, `silver.x`, `gold.x`; in a shared catalog those
 * layers are the tenant's schemas `<namespace>_bronze` and so on. Only the first part of a
 * qualified name is rewritten, never text in literals or comments, never a bare column named
 * like a layer. Layer names are reserved: a table alias called `gold` would be rewritten too.
 */
export function rewriteLayerReferences(sql: string, schemaFor: (layer: Layer) => string): string {
  const tokens = tokenizeSql(sql);
  const edits: Edit[] = [];
  for (const chain of identifierChains(tokens)) {
    if (chain.parts.length < 2) continue;
    const layer = layerOf(tokens, chain.parts[0]);
    if (!layer) continue;
    const schema = schemaFor(layer);
    if (schema === layer) continue;
    const token = tokens[chain.parts[0]];
    edits.push({ start: token.start, end: token.end, text: schema });
  }
  return applyEdits(sql, edits);
}

/**
 * Points every `gold.<table>` of a read-only query at the Delta version pinned by a publish
 * (`gold.<table> VERSION AS OF <n>`), naming the gold schema as `goldSchema`. A gold table that
 * is not part of the published version is refused rather than read live.
 */
export function pinPublishedTables(sql: string, goldSchema: string, pins: ReadonlyMap<string, number>, version: number): string {
  const tokens = tokenizeSql(sql);
  const edits: Edit[] = [];
  for (const chain of identifierChains(tokens)) {
    if (chain.parts.length < 2 || layerOf(tokens, chain.parts[0]) !== 'gold') continue;
    const first = tokens[chain.parts[0]];
    if (goldSchema !== 'gold') edits.push({ start: first.start, end: first.end, text: goldSchema });
    const next = chain.next === undefined ? undefined : tokens[chain.next];
    const isTable = chain.parts.length === 2 && !(next && next.kind === 'punct' && next.text === '(');
    if (!isTable) continue;
    const table = chain.names[1];
    const pinned = pins.get(table);
    if (pinned === undefined) {
      throw new WarehouseError('WAREHOUSE_QUERY_FAILED', `gold.${table} is not part of published version ${version}.`);
    }
    const last = tokens[chain.parts[1]];
    edits.push({ start: last.end, end: last.end, text: ` VERSION AS OF ${pinned}` });
  }
  return applyEdits(sql, edits);
}

export interface OwnScope {
  namespace: string;
  /** Catalog names a three-part name may start with (the tenant's own, or the shared one). */
  catalogs: string[];
  /** The tenant's schema names: the layers, or `<namespace>_<layer>` in a shared catalog. */
  schemas: string[];
  /** In a shared catalog, `information_schema` would list every tenant's tables. */
  sharedCatalog: boolean;
}

const NAMESPACE_IN_TEXT = /(?<![a-z0-9_])(kineo_)?(t_[0-9a-z]{6,12})(_(?:bronze|silver|gold))?(?![a-z0-9])/gi;
const BARE_NAMESPACE = /^t_[0-9a-z]{6,12}$/;

function refuse(reason: string): never {
  throw new WarehouseError('WAREHOUSE_QUERY_FAILED', `Refused: ${reason}`);
}

/**
 * The worker's service principal can reach every tenant's catalog, so the driver itself keeps a
 * statement inside the tenant's namespace before sending it: one statement, no session
 * switching (sessions are pooled; settings only within `session()`), no other tenant's catalog, schema or volume path, and no
 * three-part name outside the tenant's own namespace. Per-tenant principals (see the grants in
 * the provisioning report) are the server-side boundary; this is the client-side one.
 */
export function assertOwnNamespace(sql: string, scope: OwnScope, options: { sessionSettings?: boolean } = {}): void {
  const tokens = tokenizeSql(sql);
  const sig = tokens.filter(isSignificant);
  const semicolon = sig.findIndex((t) => t.kind === 'punct' && t.text === ';');
  if (semicolon >= 0 && semicolon < sig.length - 1) refuse('send one statement per call.');
  const firstWord = sig[0]?.kind === 'word' ? sig[0].text.toLowerCase() : '';
  if (firstWord === 'use') refuse('the session catalog and schema are managed by the driver.');
  if ((firstWord === 'set' || firstWord === 'reset') && !options.sessionSettings) {
    refuse('session settings are only allowed inside session(); pooled sessions are shared.');
  }
  const own = scope.namespace.toLowerCase();
  for (const token of tokens) {
    if (token.kind === 'space' || token.kind === 'comment' || token.kind === 'number' || token.kind === 'punct') continue;
    for (const m of token.text.matchAll(NAMESPACE_IN_TEXT)) {
      if ((m[1] || m[3]) && m[2].toLowerCase() !== own) refuse("the statement names another tenant's namespace.");
    }
  }
  const catalogs = new Set(scope.catalogs.map((c) => c.toLowerCase()));
  const schemas = new Set([...scope.schemas, ...LAYERS].map((s) => s.toLowerCase()));
  for (const chain of identifierChains(tokens)) {
    if (chain.names.length < 2) continue;
    for (const name of chain.names.slice(0, -1)) {
      if (BARE_NAMESPACE.test(name) && name !== own) refuse("the statement names another tenant's namespace.");
    }
    const [first, second] = chain.names;
    if (scope.sharedCatalog && first === 'information_schema') refuse('information_schema is not available to tenant statements.');
    if (chain.names.length >= 3) {
      const inOwnCatalog = catalogs.has(first) && (schemas.has(second) || (!scope.sharedCatalog && second === 'information_schema'));
      if (!inOwnCatalog && !schemas.has(first)) refuse(`name tables by layer (bronze.<table>, silver.<table>, gold.<table>), not ${chain.names.slice(0, 2).join('.')}.`);
    }
  }
}
