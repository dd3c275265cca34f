/**
 * Run in a child process by the memory test: generates an export and prints how far the resident set
 * grew above where it stood before generating.
 */
import { generateExport } from '../../src';

async function main(): Promise<void> {
  const [users, dir] = [Number(process.argv[2]), process.argv[3]];
  const before = process.memoryUsage().rss;
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
  const started = Date.now();
  const report = await generateExport({ dir, users, seed: 1, asOf: new Date('2025-03-15T00:00:00Z') });
  const ms = Date.now() - started;
  clearInterval(sampler);
  peak = Math.max(peak, process.resourceUsage().maxRSS * 1024);
  process.stdout.write(JSON.stringify({ users, rows: report.totalRows, ms, rssBefore: before, rssPeak: peak, rssGrowth: peak - before }));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
