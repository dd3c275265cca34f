import { Command, InvalidArgumentError, Option } from 'commander';
import { TENANT_ROLES, UserService, validateNewUser, type UserGrant, type UserSummary } from '@kineo/auth';
import type { TenantRole } from '@kineo/db';
import type { CliContext } from '../context';
import { CliError, printJson, printTable } from '../output';


interface CreateOptions {
  password?: string;
  passwordStdin?: boolean;
  tenant?: string;
  role?: TenantRole;
  lmsUserId?: number;
  ops?: boolean;
  name?: string;
  json?: boolean;
}

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('a positive whole number');
  return n;
}

/** The grant the options describe; a contradictory or incomplete set is a usage error (exit 2). */
function grantOf(options: CreateOptions): UserGrant {
  if (options.ops) {
    if (options.tenant || options.role || options.lmsUserId !== undefined) {
      throw new CliError('--ops makes a Kineo ops user outside every tenant; do not combine it with --tenant, --role or --lms-user-id.', 2);
    }
    return { ops: true };
  }
  if (!options.tenant || !options.role) {
    throw new CliError('Say where the user belongs: --tenant <slug> --role <org_admin|manager|viewer>, or --ops for Kineo ops.', 2);
  }
  return { tenantSlug: options.tenant, role: options.role, ...(options.lmsUserId !== undefined ? { lmsUserId: options.lmsUserId } : {}) };
}

async function passwordOf(options: CreateOptions): Promise<string> {
  if (options.password !== undefined && options.passwordStdin) throw new CliError('Give the password one way: --password or --password-stdin.', 2);
  if (options.password !== undefined) return options.password;
  if (!options.passwordStdin) throw new CliError('A password is needed: --password-stdin (preferred: it stays out of shell history) or --password <password>.', 2);
  if (process.stdin.isTTY) process.stderr.write('Type the password, then press Enter and Ctrl-D.\n');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  // Only the line ending that `echo` or a here-string adds; other spaces are part of the password.
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

function grantsText(user: UserSummary): string {
  const grants = user.memberships.map((m) => `${m.tenant}:${m.role}${m.lmsUserId !== null ? ` (lms ${m.lmsUserId})` : ''}`);
  if (user.platformRole === 'kineo_ops') grants.unshift('kineo_ops');
  return grants.join(', ');
}

export function userCommand(context: () => CliContext): Command {
  const user = new Command('user').description('create and list the people who sign in');

  user
    .command('create')
    .description("create an account with a password, in a tenant or as Kineo ops (an existing account gets the grant, keeping its password)")
    .argument('<email>')
    .option('--password-stdin', 'read the password from standard input (keeps it out of shell history)')
    .option('--password <password>', 'the password, at least 12 characters')
    .option('--tenant <slug>', 'the tenant the user belongs to')
    .addOption(new Option('--role <role>', 'their role in the tenant').choices(TENANT_ROLES))
    .option('--lms-user-id <id>', "the user's id in the LMS; a manager's dashboards show this user's reports", positiveInteger)
    .option('--ops', 'Kineo ops: a platform user outside every tenant')
    .option('--name <name>', 'the name shown for the user')
    .option('--json', 'print JSON')
    .action(async (email: string, options: CreateOptions) => {
      const grant = grantOf(options);
      const password = await passwordOf(options);
      validateNewUser({ email, password, grant });
      const ctx = context();
      const { user: created, created: isNew } = await new UserService(ctx.prisma).create({
        email,
        password,
        grant,
        actor: ctx.actor,
        ...(options.name ? { displayName: options.name } : {}),
      });
      if (options.json) return printJson({ ...created, created: isNew });
      const what = 'ops' in grant ? 'Kineo ops' : `${grant.role} in ${grant.tenantSlug}`;
      process.stdout.write(
        isNew
          ? `Created user ${created.email} (${what}).\n`
          : `User ${created.email} already existed: added ${what}; their password is unchanged.\n`,
      );
    });

  user
    .command('list')
    .description('list accounts, or the members of one tenant')
    .option('--tenant <slug>', 'only the members of this tenant')
    .option('--json', 'print JSON')
    .action(async (options: { tenant?: string; json?: boolean }) => {
      const users = await new UserService(context().prisma).list({ tenantSlug: options.tenant });
      if (options.json) return printJson(users);
      printTable(
        users.map((u) => ({ ...u, access: grantsText(u) })),
        ['email', 'displayName', 'status', 'access', 'lastLoginAt', 'createdAt'],
      );
    });

  return user;
}
