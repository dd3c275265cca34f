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

  it("local: offboarding removes the tenant's whole folder (runs, resumable uploads, drops) and says what it held", async () => {
    const store = createLandingStore({ KINEO_DATA_DIR: path.join(dir, 'local-offboard'), LANDING_STORE: 'local', LANDING_BLOB_URL: undefined, LANDING_BLOB_AUTH: 'managed-identity' });
    writeRun(store, RUN, { 'users.csv': 'id\n1\n' });
    const landing = path.join(dir, 'local-offboard', 'landing');
    for (const [file, text] of [[`${NAMESPACE}/.resumable/0123`, 'id\n'], [`${NAMESPACE}/incoming/courses.csv`, 'id,x\n'], ['t_acme2/incoming/users.csv', 'id\n']] as const) {
      fs.mkdirSync(path.dirname(path.join(landing, file)), { recursive: true });
      fs.writeFileSync(path.join(landing, file), text);
    }

    expect(await store.removeNamespace(NAMESPACE)).toEqual({ files: 3, bytes: 5 + 3 + 5 });
    expect(fs.readdirSync(landing)).toEqual(['t_acme2']);
    expect(await store.removeNamespace(NAMESPACE)).toEqual({ files: 0, bytes: 0 });
    await expect(store.removeNamespace('../t_acme2')).rejects.toThrow('"../t_acme2" is not a tenant namespace');
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

    it('lands a blob in a run by a server-side copy of the version that was read, and takes it back', async () => {
      const gateway = createLandingStore(settings('gateway')) as AzureBlobLandingStore;
      const source = `${NAMESPACE}/.resumable/upload-1`;
      await gateway.container.getBlockBlobClient(source).upload('id\n1\n', 5, { metadata: { tusupload: 'e30=' } });
      const { etag } = await gateway.container.getBlobClient(source).getProperties();

      await gateway.copyIntoRun(source, etag!, NAMESPACE, RUN, 'users.csv');
      const copy = gateway.container.getBlobClient(`${NAMESPACE}/${RUN}/users.csv`);
      expect((await copy.downloadToBuffer()).toString()).toBe('id\n1\n');
      const copied = await copy.getProperties();
      expect(copied.copySource).toBe(gateway.container.getBlobClient(source).url);
      expect(copied.metadata).toEqual({ copiedfrom: `${NAMESPACE}__resumable_upload_1` });
      // The source changed after it was read: what would land is not what was counted.
      await gateway.container.getBlockBlobClient(source).upload('id\n1\n2\n', 7);
      await expect(gateway.copyIntoRun(source, etag!, NAMESPACE, RUN, 'courses.csv')).rejects.toMatchObject({ statusCode: 412 });

      await gateway.removeRunFile(NAMESPACE, RUN, 'users.csv');
      await gateway.removeRunFile(NAMESPACE, RUN, 'users.csv');
      expect(await copy.exists()).toBe(false);
      await gateway.container.deleteBlob(source);
    });

    it("offboarding deletes every blob under the tenant's prefix, uncommitted uploads included, and says how many", async () => {
      const worker = createLandingStore(settings('worker-offboard')) as AzureBlobLandingStore;
      const put = (name: string, text: string) => worker.container.getBlockBlobClient(name).upload(text, Buffer.byteLength(text));
      await put(`${NAMESPACE}/${RUN}/users.csv`, 'id\n1\n');
      // An unfinished resumable upload: committed so far, plus a block staged and never committed.
      await put(`${NAMESPACE}/.resumable/partial`, 'id,');
      await worker.container.getBlockBlobClient(`${NAMESPACE}/.resumable/partial`).stageBlock(Buffer.from('00000001').toString('base64'), 'x\n', 2);
      await worker.container.getBlockBlobClient(`${NAMESPACE}/.resumable/never-committed`).stageBlock(Buffer.from('00000000').toString('base64'), 'abc', 3);
      await put(`t_acme2/${RUN}/users.csv`, 'id\n');
      writeRun(worker, RUN, { 'users.csv': 'id\n1\n' });

      // Bytes are what each blob holds committed: a staged block is no part of a blob until committed.
      expect(await worker.removeNamespace(NAMESPACE)).toEqual({ files: 3, bytes: 5 + 3 });
      const left: string[] = [];
      for await (const blob of worker.container.listBlobsFlat({ includeUncommitedBlobs: true })) left.push(blob.name);
      expect(left).toEqual([`t_acme2/${RUN}/users.csv`]);
      expect(fs.existsSync(path.join(dir, 'worker-offboard', 'landing', NAMESPACE))).toBe(false);
      expect(await worker.removeNamespace(NAMESPACE)).toEqual({ files: 0, bytes: 0 });
    });

    it('names the missing file and where it was looked for when a run is not in the container', async () => {
      const worker = createLandingStore(settings('worker'));
      await expect(worker.fetchRun(NAMESPACE, OTHER_RUN, [{ name: 'courses.csv', path: '/elsewhere/courses.csv' }])).rejects.toThrow(
        `The file "courses.csv" of load ${OTHER_RUN} is not in the landing store (${azurite.blobUrl}/landing/${NAMESPACE}/${OTHER_RUN}/courses.csv)`,
      );
    });
  });
});
