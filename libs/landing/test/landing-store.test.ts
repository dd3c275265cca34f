import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startAzurite, type AzuriteServer } from '@kineo/testkit';
import { AzureBlobLandingStore, createLandingStore, LocalLandingStore, type LandingStore } from '../src';

const NAMESPACE = 't_acme';
const RUN = '0b7f4c2e-8d1a-4c55-9e0f-1a2b3c4d5e6f';
const OTHER_RUN = '5c0ffee0-1234-4abc-8def-0123456789ab';

/** A run's files written in the store's local folder, as the gateway or the CLI writes them. */
function writeRun(store: LandingStore, run: string, files: Record<string, string>) {
  const dir = store.localRunDir(NAMESPACE, run);
  fs.mkdirSync(dir, { recursive: true });
  return Object.entries(files).map(([name, text]) => {
    fs.writeFileSync(path.join(dir, name), text);
    return { name, path: path.join(dir, name) };
  });
}

describe('landing stores', () => {
  let dir: string;
  let azurite: AzuriteServer;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kineo-landing-'));
    azurite = await startAzurite({ dir: path.join(dir, 'azurite') });
  });

  afterAll(async () => {
    await azurite?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('local: the run folder is the landing area; listing and removal work on it', async () => {
    const store = createLandingStore({ KINEO_DATA_DIR: path.join(dir, 'local'), LANDING_STORE: 'local', LANDING_BLOB_URL: undefined, LANDING_BLOB_AUTH: 'managed-identity' });
    expect(store).toBeInstanceOf(LocalLandingStore);
    const files = writeRun(store, RUN, { 'users.csv': 'id\n1\n', 'courses.csv': 'id\n' });
    fs.mkdirSync(path.join(dir, 'local', 'landing', NAMESPACE, 'incoming'), { recursive: true });

    await store.publishRun(NAMESPACE, RUN, files);
    await store.releaseLocalCopy(NAMESPACE, RUN);
    expect(await store.fetchRun(NAMESPACE, RUN, files)).toEqual(files);
    expect(await store.listRuns(NAMESPACE)).toEqual([{ ingestionRunId: RUN, files: 2, bytes: 8, lastModified: expect.any(Number) }]);
    await store.removeRun(NAMESPACE, RUN);
    expect(await store.listRuns(NAMESPACE)).toEqual([]);
    expect(fs.readdirSync(path.join(dir, 'local', 'landing', NAMESPACE))).toEqual(['incoming']);
  });

  describe('azure-blob (Azurite)', () => {
    const settings = (dataDir: string) => ({
      KINEO_DATA_DIR: path.join(dir, dataDir),
      LANDING_STORE: 'azure-blob' as const,
      LANDING_BLOB_URL: `${azurite.blobUrl}/landing`,
      LANDING_BLOB_AUTH: 'azurite' as const,
    });

    it("moves a run from one process's disk to another's through the container, lists it and removes it", async () => {
      const gateway = createLandingStore(settings('gateway')) as AzureBlobLandingStore;
      const worker = createLandingStore(settings('worker'));
      await gateway.container.createIfNotExists();
      const files = writeRun(gateway, RUN, { 'users.csv': 'id,username\n1,a\n' });
      writeRun(gateway, OTHER_RUN, { 'courses.csv': 'id\n' });

      await gateway.publishRun(NAMESPACE, RUN, files);
      await gateway.releaseLocalCopy(NAMESPACE, RUN);
      expect(fs.existsSync(gateway.localRunDir(NAMESPACE, RUN))).toBe(false);

      const fetched = await worker.fetchRun(NAMESPACE, RUN, files);
      expect(fetched).toEqual([{ name: 'users.csv', path: path.join(worker.localRunDir(NAMESPACE, RUN), 'users.csv') }]);
      expect(fs.readFileSync(fetched[0]!.path, 'utf8')).toBe('id,username\n1,a\n');
      expect(await worker.listRuns(NAMESPACE)).toEqual([{ ingestionRunId: RUN, files: 1, bytes: 16, lastModified: expect.any(Number) }]);

      await worker.removeRun(NAMESPACE, RUN);
      expect(await worker.listRuns(NAMESPACE)).toEqual([]);
      expect(fs.existsSync(worker.localRunDir(NAMESPACE, RUN))).toBe(false);
    });

    it('names the missing file and where it was looked for when a run is not in the container', async () => {
      const worker = createLandingStore(settings('worker'));
      await expect(worker.fetchRun(NAMESPACE, OTHER_RUN, [{ name: 'courses.csv', path: '/elsewhere/courses.csv' }])).rejects.toThrow(
        `The file "courses.csv" of load ${OTHER_RUN} is not in the landing store (${azurite.blobUrl}/landing/${NAMESPACE}/${OTHER_RUN}/courses.csv)`,
      );
    });
  });
});
