import fs from 'node:fs';
import path from 'node:path';
import { DomainError } from '@kineo/errors';
import { Prisma, type PrismaClient } from '../generated/prisma';

/**
 * A logical copy of the metadata database: each table's rows as one JSON file, read in one
 * repeatable-read transaction, so every table (and the tenants' data versions the warehouse copy
 * follows) is as of one instant. Not pg_dump: the embedded server's package ships no pg_dump, and
 * Debian's (15) refuses a newer server (18).
 */
export interface MetadataDump {
  /** The instant the copy shows: the reading transaction's start. */
  pointInTime: string;
  serverVersion: string;
  /** Migrations applied to the copied database, oldest first. */
  migrations: string[];
  tables: { name: string; columns: string[]; rows: number; file: string }[];
  tenants: { slug: string; namespace: string; dataVersion: number; warehouseEngine: string }[];
}

const MIGRATIONS_TABLE = '_prisma_migrations';
const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** Writes every table of the current schema into `dir` (one `<table>.json` each). */
export async function dumpMetadata(prisma: PrismaClient, dir: string): Promise<MetadataDump> {
  fs.mkdirSync(dir, { recursive: true });
  return prisma.$transaction(
    async (tx) => {
      await tx.$executeRawUnsafe('set transaction read only');
      const [{ at, version }] = await tx.$queryRawUnsafe<{ at: Date; version: string }[]>(
        "select transaction_timestamp() as at, current_setting('server_version') as version",
      );
      const names = await tx.$queryRawUnsafe<{ name: string }[]>(
        "select table_name as name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE' order by 1",
      );
      const tables: MetadataDump['tables'] = [];
      for (const { name } of names) {
        const columns = await columnsOf(tx, name);
        const [{ data, rows }] = await tx.$queryRawUnsafe<{ data: string; rows: bigint }[]>(
          `select coalesce(json_agg(t), '[]'::json)::text as data, count(*) as rows from ${ident(name)} t`,
        );
        const file = `${name}.json`;
        fs.writeFileSync(path.join(dir, file), data);
        tables.push({ name, columns, rows: Number(rows), file });
      }
      const migrations = (
        await tx.$queryRawUnsafe<{ name: string }[]>(
          `select migration_name as name from ${MIGRATIONS_TABLE} where finished_at is not null and rolled_back_at is null order by migration_name`,
        )
      ).map((m) => m.name);
      const tenants = await tx.$queryRawUnsafe<MetadataDump['tenants']>(
        'select slug, namespace, data_version as "dataVersion", warehouse_engine::text as "warehouseEngine" from tenant order by slug',
      );
      return { pointInTime: at.toISOString(), serverVersion: version, migrations, tables, tenants };
    },
    { isolationLevel: Prisma.TransactionIsolationLevel.RepeatableRead, timeout: 600_000, maxWait: 30_000 },
  );
}

/** A backup this database cannot take (a newer schema). */
export class MetadataRestoreError extends DomainError<'BACKUP_SCHEMA_NEWER'> {}

/**
 * Loads a dump into a migrated database (every table emptied first), parents before children, and
 * moves each serial column's sequence past the restored rows. Columns the dump lacks (a migration
 * newer than the backup) take their defaults; a dump from a newer schema than this one is refused.
 */
export async function restoreMetadata(prisma: PrismaClient, dir: string, dump: Pick<MetadataDump, 'migrations' | 'tables'>): Promise<void> {
  const applied = new Set(
    (
      await prisma.$queryRawUnsafe<{ name: string }[]>(
        `select migration_name as name from ${MIGRATIONS_TABLE} where finished_at is not null and rolled_back_at is null`,
      )
    ).map((m) => m.name),
  );
  const unknown = dump.migrations.filter((m) => !applied.has(m));
  if (unknown.length > 0) {
    throw new MetadataRestoreError('BACKUP_SCHEMA_NEWER', `The backup was taken with a newer schema than this Kineo knows (migrations ${unknown.join(', ')}); restore it with that release or later.`);
  }
  await prisma.$transaction(
    async (tx) => {
      const tables = dump.tables.filter((t) => t.name !== MIGRATIONS_TABLE);
      const order = await insertionOrder(tx, tables.map((t) => t.name));
      if (order.length > 0) await tx.$executeRawUnsafe(`truncate table ${order.map(ident).join(', ')} cascade`);
      for (const name of order) {
        const table = tables.find((t) => t.name === name)!;
        const present = new Set(await columnsOf(tx, name));
        const columns = table.columns.filter((c) => present.has(c)).map(ident).join(', ');
        const data = fs.readFileSync(path.join(dir, table.file), 'utf8');
        await tx.$executeRawUnsafe(`insert into ${ident(name)} (${columns}) select ${columns} from json_populate_recordset(null::${ident(name)}, $1::json)`, data);
      }
      const serials = await tx.$queryRawUnsafe<{ table: string; column: string; sequence: string }[]>(
        `select table_name as "table", column_name as "column", pg_get_serial_sequence(quote_ident(table_name), column_name) as sequence
           from information_schema.columns where table_schema = current_schema() and column_default like 'nextval(%'`,
      );
      for (const s of serials) {
        if (!s.sequence) continue;
        await tx.$queryRawUnsafe(`select setval($1::regclass, coalesce((select max(${ident(s.column)}) from ${ident(s.table)}), 0) + 1, false)`, s.sequence);
      }
    },
    { timeout: 600_000, maxWait: 30_000 },
  );
}

type Tx = Prisma.TransactionClient;

async function columnsOf(tx: Tx, table: string): Promise<string[]> {
  return (
    await tx.$queryRawUnsafe<{ name: string }[]>(
      'select column_name as name from information_schema.columns where table_schema = current_schema() and table_name = $1 order by ordinal_position',
      table,
    )
  ).map((c) => c.name);
}

/** The tables in an order where every table comes after those its foreign keys point to. */
async function insertionOrder(tx: Tx, tables: string[]): Promise<string[]> {
  const edges = await tx.$queryRawUnsafe<{ child: string; parent: string }[]>(
    `select c.relname as child, p.relname as parent from pg_constraint k
       join pg_class c on c.oid = k.conrelid join pg_class p on p.oid = k.confrelid
       join pg_namespace n on n.oid = c.relnamespace
      where k.contype = 'f' and n.nspname = current_schema()`,
  );
  const wanted = new Set(tables);
  const order: string[] = [];
  const seen = new Set<string>();
  const visit = (table: string) => {
    if (seen.has(table)) return;
    seen.add(table);
    for (const edge of edges) if (edge.child === table && edge.parent !== table && wanted.has(edge.parent)) visit(edge.parent);
    order.push(table);
  };
  for (const table of [...tables].sort()) visit(table);
  return order;
}
