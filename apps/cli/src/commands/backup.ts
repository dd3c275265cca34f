import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { z } from 'zod';
import { createSecretStore } from '@kineo/config';
import { dumpMetadata, migrateDatabase, restoreMetadata } from '@kineo/db';
import { createWarehouse } from '@kineo/warehouse';
import type { CliContext } from '../context';
import { CliError, printJson } from '../output';

const MANIFEST = 'manifest.json';
const FORMAT = 'kineo-backup';

const fileEntry = z.object({ path: z.string().min(1), sha256: z.string().regex(/^[0-9a-f]{64}$/), bytes: z.number().int().min(0) });
const manifestSchema = z.object({
  format: z.literal(FORMAT),
  version: z.literal(1),
  createdAt: z.iso.datetime(),
  pointInTime: z.iso.datetime(),
  metadata: z.object({
    serverVersion: z.string(),
    migrations: z.array(z.string()),
    tables: z.array(z.object({ name: z.string(), columns: z.array(z.string()), rows: z.number().int(), file: z.string() })),
  }),
  tenants: z.array(
    z.object({
      slug: z.string(),
      namespace: z.string().regex(/^t_[0-9a-z]+$/),
      dataVersion: z.number().int().min(0),
      warehouseEngine: z.string(),
      /** The published snapshot, when the engine's storage is files the backup can hold (DuckDB). */
      snapshot: z.string().nullable(),
    }),
  ),
  files: z.array(fileEntry),
});
type Manifest = z.infer<typeof manifestSchema>;

/**
 * `kineo backup <folder>`: the metadata database (every table, as of one instant) and each tenant's
 * published snapshot, with a manifest holding each file's SHA-256. `kineo restore <folder>` puts
 * them back into an empty data directory and database.
 */
export function backupCommand(context: () => CliContext): Command {
  return new Command('backup')
    .description("copy the metadata database and every tenant's published data into a new folder, with a manifest")
    .argument('<folder>', 'where the backup goes; must not exist or be empty')
    .option('--json', 'print the manifest as JSON')
    .action(async (folder: string, options: { json?: boolean }) => {
      const target = path.resolve(folder);
      if (fs.existsSync(target) && fs.readdirSync(target).length > 0) throw new CliError(`The backup folder ${folder} is not empty; name a new folder.`);
      const ctx = context();
      const createdAt = new Date().toISOString();
      const dump = await dumpMetadata(ctx.prisma, path.join(target, 'metadata'));
      const files: Manifest['files'] = dump.tables.map((t) => entry(target, path.join('metadata', t.file)));
      const tenants: Manifest['tenants'] = [];
      for (const tenant of dump.tenants) {
        let snapshot: string | null = null;
        if (tenant.dataVersion > 0 && tenant.warehouseEngine === 'duckdb') {
          // The version the metadata copy names, so data and metadata are of the same instant (the
          // worker keeps older versions on disk for a while, so a publish since then is no matter).
          const source = snapshotFile(ctx.settings.KINEO_DATA_DIR, tenant.namespace, tenant.dataVersion);
          if (!fs.existsSync(source)) throw new CliError(`Tenant ${tenant.slug}'s published version ${tenant.dataVersion} is missing at ${source}; nothing was backed up.`);
          snapshot = path.join('warehouse', tenant.namespace, `v${tenant.dataVersion}.duckdb`);
          fs.mkdirSync(path.dirname(path.join(target, snapshot)), { recursive: true });
          fs.copyFileSync(source, path.join(target, snapshot));
          files.push(entry(target, snapshot));
        } else if (tenant.dataVersion > 0) {
          process.stderr.write(`Tenant ${tenant.slug} lives in ${tenant.warehouseEngine}: its published data stays there (the warehouse's own backups); its metadata is in this backup.\n`);
        }
        tenants.push({ ...tenant, snapshot });
      }
      const manifest: Manifest = {
        format: FORMAT,
        version: 1,
        createdAt,
        pointInTime: dump.pointInTime,
        metadata: { serverVersion: dump.serverVersion, migrations: dump.migrations, tables: dump.tables },
        tenants,
        files,
      };
      fs.writeFileSync(path.join(target, MANIFEST), JSON.stringify(manifest, null, 2) + '\n');
      if (options.json) return printJson(manifest);
      process.stdout.write(
        `Backed up ${tenants.length} tenant(s) and ${dump.tables.length} metadata tables to ${folder}, as of ${dump.pointInTime}.\n`,
      );
    });
}

export function restoreCommand(context: () => CliContext): Command {
  return new Command('restore')
    .description('restore a backup into an empty data directory and metadata database')
    .argument('<folder>', 'a folder written by "kineo backup"')
    .option('--force', 'replace the tenants and metadata already there')
    .option('--json', 'print the outcome as JSON')
    .action(async (folder: string, options: { force?: boolean; json?: boolean }) => {
      const source = path.resolve(folder);
      const manifest = readManifest(source);
      const ctx = context();
      const dataDir = ctx.settings.KINEO_DATA_DIR;
      await migrateDatabase(ctx.settings.DATABASE_URL);
      const warehouseDir = path.join(dataDir, 'warehouse');
      const present = fs.existsSync(warehouseDir) ? fs.readdirSync(warehouseDir).filter((n) => n.startsWith('t_')) : [];
      const tenantsThere = await ctx.prisma.tenant.count();
      if ((present.length > 0 || tenantsThere > 0) && !options.force) {
        throw new CliError(
          `Refusing to restore: the target already holds data (${tenantsThere} tenant(s) in the metadata database, ${present.length} tenant folder(s) in ${warehouseDir}). ` +
            'Restore into an empty data directory and database, or pass --force to replace what is there.',
        );
      }
      await restoreMetadata(ctx.prisma, path.join(source, 'metadata'), manifest.metadata);
      const warehouse = await createWarehouse(ctx.settings, createSecretStore(ctx.settings), 'worker');
      try {
        for (const tenant of manifest.tenants) {
          if (tenant.warehouseEngine !== 'duckdb') continue;
          const row = await ctx.prisma.tenant.findUniqueOrThrow({ where: { slug: tenant.slug } });
          if (row.status === 'offboarded') continue;
          const ref = { tenantId: row.id, namespace: tenant.namespace };
          fs.rmSync(path.join(warehouseDir, tenant.namespace), { recursive: true, force: true });
          await warehouse.provision(ref);
          await warehouse.release(ref);
          if (!tenant.snapshot) continue;
          fs.copyFileSync(path.join(source, tenant.snapshot), snapshotFile(dataDir, tenant.namespace, tenant.dataVersion));
          // The pointer the driver reads a tenant's current version from (DuckDB's published.json).
          fs.writeFileSync(
            path.join(warehouseDir, tenant.namespace, 'published.json'),
            JSON.stringify({ version: tenant.dataVersion, publishedAt: manifest.pointInTime }),
          );
        }
      } finally {
        await warehouse.close();
      }
      const outcome = { restoredTo: manifest.pointInTime, backupTakenAt: manifest.createdAt, tenants: manifest.tenants.map((t) => t.slug) };
      if (options.json) return printJson(outcome);
      process.stdout.write(
        `Restored ${manifest.tenants.length} tenant(s) to the point in time ${manifest.pointInTime} (backup taken ${manifest.createdAt}). ` +
          'Loads and changes after that time are not in it; load the latest export files again where needed.\n',
      );
    });
}

function snapshotFile(dataDir: string, namespace: string, version: number): string {
  return path.join(dataDir, 'warehouse', namespace, 'gold', `v${version}.duckdb`);
}

function entry(root: string, relative: string): Manifest['files'][number] {
  const data = fs.readFileSync(path.join(root, relative));
  return { path: relative, sha256: createHash('sha256').update(data).digest('hex'), bytes: data.length };
}

/** The manifest, checked, and every file it lists present and unchanged; otherwise what is wrong, by name. */
function readManifest(folder: string): Manifest {
  const file = path.join(folder, MANIFEST);
  if (!fs.existsSync(file)) throw new CliError(`No backup manifest at ${file}: is ${folder} a folder written by "kineo backup"?`);
  let manifest: Manifest;
  try {
    manifest = manifestSchema.parse(JSON.parse(fs.readFileSync(file, 'utf8')));
  } catch (error) {
    const problem = error instanceof z.ZodError ? error.issues.map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`).join('; ') : (error as Error).message;
    throw new CliError(`The backup manifest ${file} is corrupt: ${problem}`);
  }
  for (const listed of manifest.files) {
    const full = path.join(folder, listed.path);
    if (path.relative(folder, full).startsWith('..')) throw new CliError(`The backup manifest ${file} is corrupt: ${listed.path} is outside the backup.`);
    if (!fs.existsSync(full)) throw new CliError(`The backup is incomplete: ${full} (listed in ${file}) is missing.`);
    const actual = entry(folder, listed.path);
    if (actual.sha256 !== listed.sha256) throw new CliError(`The backup is corrupt: ${full} does not match its SHA-256 in ${file}.`);
  }
  return manifest;
}
