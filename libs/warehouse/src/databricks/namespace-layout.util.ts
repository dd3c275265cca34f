import { WarehouseError } from '../errors';
import { assertIdentifier } from '../namespace';
import { LAYERS, type Layer } from '../types';
import { rewriteLayerReferences, type OwnScope } from './sql-text.util';

export type DatabricksIsolation =
  /** One Unity Catalog catalog per tenant, `<catalogPrefix><namespace>`, schemas bronze/silver/gold. */
  | { mode: 'catalog'; catalogPrefix?: string }
  /** Schemas `<namespace>_bronze|_silver|_gold` in one shared catalog. */
  | { mode: 'schema'; catalog: string };

export type PrincipalName = string | ((namespace: string) => string);

/** Where a tenant's layers live in Unity Catalog, for one isolation mode. */
export interface NamespaceLayout {
  readonly namespace: string;
  readonly mode: DatabricksIsolation['mode'];
  /** The tenant's catalog (catalog mode) or the shared catalog (schema mode). */
  readonly catalog: string;
  schemaFor(layer: Layer): string;
  /** `catalog.schema` of a layer. */
  qualified(layer: Layer): string;
  /**
   * The Unity Catalog volume files are staged in for `read_files` (`<catalog>.<bronze schema>.landing`)
   * and its path, `/Volumes/<catalog>/<bronze schema>/landing`.
   */
  readonly volume: { qualified: string; root: string };
  /** What a session for this tenant starts in, so `bronze.x` resolves inside the namespace. */
  readonly session: { initialCatalog: string; initialSchema: string };
  readonly scope: OwnScope;
  /** Model SQL (layer-qualified) as this layout needs it. */
  rewrite(sql: string): string;
}

const VOLUME = 'landing';

function volumeOf(catalog: string, bronzeSchema: string): NamespaceLayout['volume'] {
  return { qualified: `${catalog}.${bronzeSchema}.${VOLUME}`, root: `/Volumes/${catalog}/${bronzeSchema}/${VOLUME}` };
}

export function namespaceLayout(namespace: string, isolation: DatabricksIsolation): NamespaceLayout {
  if (isolation.mode === 'catalog') {
    const catalog = assertIdentifier(`${isolation.catalogPrefix ?? 'kineo_'}${namespace}`);
    return {
      namespace,
      mode: 'catalog',
      catalog,
      schemaFor: (layer) => layer,
      qualified: (layer) => `${catalog}.${layer}`,
      volume: volumeOf(catalog, 'bronze'),
      session: { initialCatalog: catalog, initialSchema: 'gold' },
      scope: { namespace, catalogs: [catalog], schemas: [...LAYERS], sharedCatalog: false },
      rewrite: (sql) => sql,
    };
  }
  const catalog = assertIdentifier(isolation.catalog);
  const schemaFor = (layer: Layer) => assertIdentifier(`${namespace}_${layer}`);
  return {
    namespace,
    mode: 'schema',
    catalog,
    schemaFor,
    qualified: (layer) => `${catalog}.${schemaFor(layer)}`,
    volume: volumeOf(catalog, schemaFor('bronze')),
    session: { initialCatalog: catalog, initialSchema: schemaFor('gold') },
    scope: { namespace, catalogs: [catalog], schemas: LAYERS.map(schemaFor), sharedCatalog: true },
    rewrite: (sql) => rewriteLayerReferences(sql, schemaFor),
  };
}

const PRINCIPAL_PATTERN = /^[A-Za-z0-9][A-Za-z0-9 ._@+-]{0,254}$/;

export function principalFor(name: PrincipalName, namespace: string): string {
  const principal = typeof name === 'function' ? name(namespace) : name.replace(/\{namespace\}/g, namespace);
  if (!PRINCIPAL_PATTERN.test(principal)) {
    throw new WarehouseError('WAREHOUSE_IDENTIFIER_INVALID', `refusing unsafe principal name ${JSON.stringify(principal)}`);
  }
  return `\`${principal}\``;
}

/**
 * Least privilege per tenant: the reader principal (gateway) sees only gold; the writer
 * principal (worker) reads and writes the three layers, creates tables in them, and stages
 * files in the tenant's volume.
 */
export function grantStatements(layout: NamespaceLayout, principals: { reader: PrincipalName; writer: PrincipalName }): string[] {
  const reader = principalFor(principals.reader, layout.namespace);
  const writer = principalFor(principals.writer, layout.namespace);
  const writerPrivileges = 'USE SCHEMA, CREATE TABLE, SELECT, MODIFY';
  const volumePrivileges = 'READ VOLUME, WRITE VOLUME';
  if (layout.mode === 'catalog') {
    return [
      `GRANT USE CATALOG ON CATALOG ${layout.catalog} TO ${reader}`,
      `GRANT USE SCHEMA, SELECT ON SCHEMA ${layout.qualified('gold')} TO ${reader}`,
      `GRANT USE CATALOG, ${writerPrivileges}, ${volumePrivileges} ON CATALOG ${layout.catalog} TO ${writer}`,
    ];
  }
  return [
    `GRANT USE CATALOG ON CATALOG ${layout.catalog} TO ${reader}`,
    `GRANT USE SCHEMA, SELECT ON SCHEMA ${layout.qualified('gold')} TO ${reader}`,
    `GRANT USE CATALOG ON CATALOG ${layout.catalog} TO ${writer}`,
    ...LAYERS.map(
      (layer) => `GRANT ${writerPrivileges}${layer === 'bronze' ? `, ${volumePrivileges}` : ''} ON SCHEMA ${layout.qualified(layer)} TO ${writer}`,
    ),
  ];
}
