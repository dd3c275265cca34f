import { Command } from 'commander';
import { TenantService } from '@kineo/db';
import type { CliContext } from '../context';
import { printStackStatus, stackUp } from './stack';

const DEMO_TENANTS = [
  { slug: 'acme-health', name: 'Acme Health Trust', planCode: 'professional', fiscalYearStartMonth: 4 },
  { slug: 'globex-retail', name: 'Globex Retail', planCode: 'starter', fiscalYearStartMonth: 7 },
];

export function demoCommand(context: () => CliContext): Command {
  return new Command('demo')
    .description('start everything with the portal, create the demo tenants and print where to go')
    .option('--no-portal', 'do not serve the portal')
    .action(async (options: { portal: boolean }) => {
      process.stdout.write('Starting the local stack (first start initialises Postgres; this takes a little while)...\n');
      const status = await stackUp({ portal: options.portal });
      printStackStatus(status);
      const ctx = context();
      const tenants = new TenantService(ctx.prisma);
      const queues = await ctx.queues();
      const existing = new Set((await tenants.list()).map((t) => t.slug));
      for (const demo of DEMO_TENANTS) {
        if (existing.has(demo.slug)) continue;
        const created = await tenants.create({ ...demo, actor: 'demo' });
        const { provisionTenantJob } = await import('@kineo/jobs');
        await queues.enqueue(provisionTenantJob, { tenantId: created.id, requestedBy: 'demo' });
      }
      const settings = ctx.settings;
      const gateway = `http://${settings.GATEWAY_HOST}:${settings.GATEWAY_PORT}`;
      process.stdout.write('\nKineo Analytics is up.\n');
      if (options.portal) process.stdout.write(`  Portal          http://127.0.0.1:${settings.PORTAL_PORT}\n`);
      process.stdout.write(`  GraphQL         ${gateway}/graphql\n`);
      process.stdout.write(`  Health          ${gateway}/health\n`);
      process.stdout.write(`  Metrics         ${gateway}/metrics\n`);
      process.stdout.write(`  Demo tenants    ${DEMO_TENANTS.map((t) => t.slug).join(', ')}  (npx kineo tenant list)\n`);
      process.stdout.write('  Logins          none yet: sign-in arrives with the auth work; the portal is open locally.\n');
      process.stdout.write('\nStop everything with: npx kineo stack down\n');
    });
}
