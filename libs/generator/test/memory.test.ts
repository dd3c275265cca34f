import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { removeTempDirs, tempDir } from './support/fixture';

interface Measured {
  users: number;
  rows: number;
  ms: number;
  rssBefore: number;
  rssPeak: number;
  rssGrowth: number;
}

const MB = 1024 * 1024;

function measure(users: number): Measured {
  const script = path.join(__dirname, 'support', 'measure-memory.ts');
  const out = execFileSync(process.execPath, ['-r', '@swc-node/register', script, String(users), tempDir(`memory-${users}`)], {
    cwd: path.join(__dirname, '..'),
    encoding: 'utf8',
    maxBuffer: MB,
  });
  return JSON.parse(out) as Measured;
}

describe('memory', () => {
  afterAll(removeTempDirs);

  it('stays flat from 5,000 to 50,000 users while the rows grow tenfold', () => {
    const small = measure(5_000);
    const large = measure(50_000);
    const line = (m: Measured) =>
      `${m.users} users: ${m.rows} rows in ${m.ms} ms, RSS ${(m.rssBefore / MB).toFixed(0)} -> ${(m.rssPeak / MB).toFixed(0)} MB (+${(m.rssGrowth / MB).toFixed(0)} MB)`;
    console.log(`${line(small)}\n${line(large)}`);
    const ratio = large.rows / small.rows;
    expect(ratio).toBeGreaterThan(8);
    expect(ratio).toBeLessThan(12);
    // Holding rows would cost hundreds of MB at 50,000 users (3.6 million rows); streaming costs only the
    // typed arrays (about 40 bytes a user) and a heap that settles once the garbage collector has sized it.
    expect(large.rssGrowth - small.rssGrowth).toBeLessThan(150 * MB);
  });
});
