import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { loadTerraformDir, REPO_ROOT, TERRAFORM_ROOT, type TerraformDir } from './terraform.util';

let platform: TerraformDir;
beforeAll(async () => {
  platform = await loadTerraformDir(path.join(TERRAFORM_ROOT, 'modules/platform'));
});

const resource = (type: string, name: string) => platform.resources.find((r) => r.type === type && r.name === name)!;
const metricAlerts = () => platform.locals.metric_alerts as Record<string, Record<string, unknown>>;
const logAlerts = () => platform.locals.log_alerts as Record<string, { query: string; threshold: unknown }>;

describe('Azure Monitor alerts (terraform/modules/platform/alerts.tf)', () => {
  test('cover gateway 5xx and p95, worker queue depth, restarts and disk, failed jobs and builds, Postgres CPU and storage, Redis memory', () => {
    expect(Object.keys(metricAlerts()).sort()).toEqual(['gateway-5xx', 'postgres-cpu', 'postgres-storage', 'redis-memory', 'worker-queue-depth', 'worker-restarts']);
    expect(Object.keys(logAlerts()).sort()).toEqual(['failed-builds', 'gateway-p95', 'worker-disk-full', 'worker-failed-jobs']);
    // Container Apps have no disk metric: the worker's ephemeral disk shows as restarts (evictions) and ENOSPC failures.
    expect(metricAlerts()['worker-restarts']).toMatchObject({ scope: '${azurerm_container_app.app["worker"].id}', metric: 'RestartCount', threshold: '${var.alert_worker_restarts_per_15m}' });
    expect(logAlerts()['worker-disk-full']!.query).toContain('tostring(line.err.code) == "ENOSPC"');
    expect(metricAlerts()['gateway-5xx']).toMatchObject({ metric: 'Requests', dimension: { name: 'statusCodeCategory', values: ['5xx'] } });
    expect(metricAlerts()['postgres-cpu']).toMatchObject({ scope: '${azurerm_postgresql_flexible_server.platform.id}', metric: 'cpu_percent' });
    expect(metricAlerts()['postgres-storage']).toMatchObject({ scope: '${azurerm_postgresql_flexible_server.platform.id}', metric: 'storage_percent' });
    expect(metricAlerts()['redis-memory']).toMatchObject({ scope: '${azurerm_redis_cache.platform.id}', metric: 'usedmemorypercentage' });
    expect(metricAlerts()['worker-queue-depth']).toMatchObject({ metric: 'Replicas', threshold: '${var.worker_max_replicas}' });
  });

  test('each alert is one block per kind, for_each over its table, and every one notifies the action group', () => {
    const metric = resource('azurerm_monitor_metric_alert', 'platform');
    const logs = resource('azurerm_monitor_scheduled_query_rules_alert_v2', 'logs');
    expect(metric.body.for_each).toBe('${local.metric_alerts}');
    expect(logs.body.for_each).toBe('${local.log_alerts}');
    expect(metric.body.action).toEqual([{ action_group_id: '${local.action_group_id}' }]);
    expect(logs.body.action).toEqual([{ action_groups: ['${local.action_group_id}'] }]);
    expect(platform.resources.filter((r) => r.type.startsWith('azurerm_monitor_') && r.type.includes('alert')).map((r) => r.name).sort()).toEqual(['logs', 'platform']);
  });

  test('the action group is a variable: an existing one, or one the module makes mailing alert_emails', () => {
    expect(platform.variables.alert_action_group_id).toMatchObject({ default: null });
    expect(platform.variables.alert_emails).toMatchObject({ default: [] });
    expect(resource('azurerm_monitor_action_group', 'ops').body.count).toBe('${var.alert_action_group_id == null ? 1 : 0}');
    expect(platform.locals.action_group_id).toBe('${var.alert_action_group_id == null ? azurerm_monitor_action_group.ops[0].id : var.alert_action_group_id}');
  });

  test('every threshold an operator tunes is a documented variable', () => {
    const thresholds = [...Object.values(metricAlerts()), ...Object.values(logAlerts())].map((a) => a.threshold).filter((t) => typeof t === 'string');
    for (const t of thresholds) {
      const name = /^\$\{var\.(\w+)\}$/.exec(String(t))?.[1];
      expect(name && platform.variables[name]).toMatchObject({ description: expect.any(String) });
    }
  });

  test('the log alerts count the log lines the gateway and the worker really write', async () => {
    const workerSources = await Promise.all(
      ['apps/worker/src/engine/worker.ts', 'apps/worker/src/modules/load/build-stage.job.ts'].map((f) => fs.readFile(path.join(REPO_ROOT, f), 'utf8')),
    );
    const messages = Object.fromEntries(Object.entries(logAlerts()).map(([key, a]) => [key, /line\.msg\) == "([^"]+)"/.exec(a.query)?.[1]]));
    expect(messages).toEqual({ 'gateway-p95': 'request completed', 'worker-failed-jobs': 'job failed', 'worker-disk-full': 'job failed', 'failed-builds': 'build failed' });
    // pino's error serializer keeps a system error's code, which the disk alert matches.
    expect(workerSources[0]).toContain("log.error({ err: error");
    expect(workerSources.join('\n')).toContain("'job failed'");
    expect(workerSources.join('\n')).toContain("'build failed'");
    // pino-http's completion line, which carries responseTime in milliseconds.
    expect(logAlerts()['gateway-p95']!.query).toContain('line.responseTime');
    for (const [key, alert] of Object.entries(logAlerts())) {
      expect([key, alert.query]).toEqual([key, expect.stringMatching(/ContainerAppName_s startswith "ca-(gateway|worker)-"/)]);
    }
  });
});
