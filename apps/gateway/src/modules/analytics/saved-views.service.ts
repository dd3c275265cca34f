import { Inject, Injectable } from '@nestjs/common';
import { compileQuery, type AnalyticsQuery } from '@kineo/analytics';
import type { TenantContext } from '@kineo/auth';
import { Prisma, type PrismaClient } from '@kineo/db';
import { DomainError } from '@kineo/errors';
import { z } from 'zod';
import { PRISMA } from '../../engine/database/database.module';
import { WAREHOUSE } from '../../engine/warehouse/warehouse.module';
import type { Warehouse } from '@kineo/warehouse';
import { AnalyticsService } from './analytics.service';
import { ChartKindEnum } from './analytics.types';
import type { SavedViewChart, SavedViewType } from './saved-views.types';

const NAME_MAX = 100;
/**
 * What one view's query may hold, as JSON: a view's measures, dimensions and a few filters are some
 * hundred bytes, a filter of a few hundred values some KB. Every member receives every shared view
 * with its query on Explore, so one person's views must not grow without end.
 */
export const VIEW_QUERY_MAX_BYTES = 32 * 1024;
/** Views one person may keep in an organisation (saving one again under its name replaces it). */
export const VIEWS_PER_PERSON_MAX = 200;

const saveViewSchema = z.object({
  name: z
    .string()
    .trim()
    .min(1, { error: '"name" is required: name the view.' })
    .max(NAME_MAX, { error: `"name" has at most ${NAME_MAX} characters.` }),
  chart: z.enum(Object.keys(ChartKindEnum) as [SavedViewChart, ...SavedViewChart[]], { error: `"chart" is one of ${Object.keys(ChartKindEnum).join(', ')}.` }),
  shared: z.boolean(),
});

const include = { owner: { select: { displayName: true, email: true } } } as const;
type StoredView = Prisma.SavedViewGetPayload<{ include: typeof include }>;

/**
 * Named Explore views of one tenant. A caller sees their own views and the tenant's shared ones,
 * never another tenant's; only the owner replaces or deletes a view. The query is checked by the
 * semantic layer (members, operators, limits) and compiled before it is stored, so a saved view
 * always opens.
 */
@Injectable()
export class SavedViewsService {
  constructor(
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    @Inject(WAREHOUSE) private readonly warehouse: Warehouse,
    private readonly analytics: AnalyticsService,
  ) {}

  async list(tenant: TenantContext): Promise<SavedViewType[]> {
    const views = await this.prisma.savedView.findMany({
      where: { tenantId: tenant.tenantId, OR: [{ ownerId: tenant.userId }, { shared: true }] },
      include,
      orderBy: [{ name: 'asc' }, { id: 'asc' }],
    });
    return views.map((v) => this.view(tenant, v));
  }

  async save(tenant: TenantContext, input: { name: string; chart: string; shared: boolean; query: unknown }): Promise<SavedViewType> {
    const parsed = saveViewSchema.safeParse(input);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new DomainError('BAD_USER_INPUT', issue.message, { argument: `input.${issue.path.join('.')}` });
    }
    const query = this.checked(input.query);
    const bytes = Buffer.byteLength(JSON.stringify(query));
    if (bytes > VIEW_QUERY_MAX_BYTES) {
      throw new DomainError(
        'BAD_USER_INPUT',
        `The view's query is ${Math.ceil(bytes / 1024)} KB, more than a saved view may hold (${VIEW_QUERY_MAX_BYTES / 1024} KB): filter by fewer values, or by a broader field (an organisation rather than its learners).`,
        { argument: 'input.query', bytes, limit: VIEW_QUERY_MAX_BYTES },
      );
    }
    const { name, chart, shared } = parsed.data;
    const data = { query: query as unknown as Prisma.InputJsonValue, chart, shared };
    const saved = await this.prisma.$transaction(async (tx) => {
      // Counted under a lock of the person's views, so saves at once cannot pass the cap together.
      await tx.$executeRaw`select pg_advisory_xact_lock(hashtext(${`views:${tenant.tenantId}:${tenant.userId}`}))`;
      const replaces = await tx.savedView.count({ where: { tenantId: tenant.tenantId, ownerId: tenant.userId, name } });
      if (replaces === 0 && (await tx.savedView.count({ where: { tenantId: tenant.tenantId, ownerId: tenant.userId } })) >= VIEWS_PER_PERSON_MAX) {
        throw new DomainError('BAD_USER_INPUT', `You have ${VIEWS_PER_PERSON_MAX} saved views, the most one person may keep: delete one you no longer use, or save this one under the name of one it replaces.`, {
          argument: 'input.name',
          limit: VIEWS_PER_PERSON_MAX,
        });
      }
      const view = await tx.savedView.upsert({
        where: { tenantId_ownerId_name: { tenantId: tenant.tenantId, ownerId: tenant.userId, name } },
        create: { tenantId: tenant.tenantId, ownerId: tenant.userId, name, ...data },
        update: data,
        include,
      });
      // A shared view is something the whole organisation sees appear: it is audited like other shared changes.
      if (shared) {
        await tx.auditEvent.create({ data: { actor: tenant.userId, action: 'view.shared', tenantId: tenant.tenantId, details: { viewId: view.id, name } } });
      }
      return view;
    });
    return this.view(tenant, saved);
  }

  async delete(tenant: TenantContext, id: string): Promise<string> {
    const view = z.uuid().safeParse(id).success
      ? await this.prisma.savedView.findFirst({ where: { id, tenantId: tenant.tenantId, OR: [{ ownerId: tenant.userId }, { shared: true }] } })
      : null;
    // Another tenant's view, or someone else's private one, is "not found": its existence is not told.
    if (!view) throw new DomainError('VIEW_NOT_FOUND', `There is no saved view "${id}" you can see.`, { id });
    if (view.ownerId !== tenant.userId) throw new DomainError('FORBIDDEN', `The view "${view.name}" belongs to someone else; only its owner can delete it.`);
    await this.prisma.savedView.delete({ where: { id: view.id } });
    return view.id;
  }

  /** Validated against the model and compiled (scope and date are placeholders: only the query's own validity is checked). */
  private checked(input: unknown): AnalyticsQuery {
    const query = this.analytics.validated(input);
    this.analytics.translated(() => compileQuery(query, { kind: 'tenant' }, this.warehouse.dialect, { asOf: '2000-01-01' }));
    return query;
  }

  private view(tenant: TenantContext, v: StoredView): SavedViewType {
    return {
      id: v.id,
      name: v.name,
      query: v.query,
      chart: v.chart as SavedViewChart,
      shared: v.shared,
      mine: v.ownerId === tenant.userId,
      ownerName: v.owner.displayName ?? v.owner.email,
      updatedAt: v.updatedAt,
    };
  }
}
