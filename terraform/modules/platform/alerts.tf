# What an operator is paged for, through one action group (docs/operations.md, "Alerts").

resource "azurerm_monitor_action_group" "ops" {
  count               = var.alert_action_group_id == null ? 1 : 0
  name                = "ag-ops-${local.name}"
  resource_group_name = azurerm_resource_group.platform.name
  short_name          = "kineo-ops"
  tags                = local.tags

  dynamic "email_receiver" {
    for_each = toset(var.alert_emails)
    content {
      name                    = "ops-${index(var.alert_emails, email_receiver.value)}"
      email_address           = email_receiver.value
      use_common_alert_schema = true
    }
  }
}

locals {
  action_group_id = var.alert_action_group_id == null ? azurerm_monitor_action_group.ops[0].id : var.alert_action_group_id

  # Platform metrics Azure Monitor keeps for each resource.
  metric_alerts = {
    gateway-5xx = {
      description = "The gateway answered more 5xx than alert_gateway_5xx_per_5m in 5 minutes."
      scope       = azurerm_container_app.app["gateway"].id
      namespace   = "Microsoft.App/containerApps"
      metric      = "Requests"
      aggregation = "Total"
      operator    = "GreaterThan"
      threshold   = var.alert_gateway_5xx_per_5m
      window      = "PT5M"
      severity    = 1
      dimension   = { name = "statusCodeCategory", values = ["5xx"] }
    }
    # KEDA adds a worker per alert_queue_length jobs waiting; at the ceiling for half an hour, the queues are outgrowing it.
    worker-queue-depth = {
      description = "The worker has been at its replica ceiling (worker_max_replicas) for 30 minutes: jobs are queueing faster than it works them off."
      scope       = azurerm_container_app.app["worker"].id
      namespace   = "Microsoft.App/containerApps"
      metric      = "Replicas"
      aggregation = "Minimum"
      operator    = "GreaterThanOrEqual"
      threshold   = var.worker_max_replicas
      window      = "PT30M"
      severity    = 2
      dimension   = null
    }
    # Container Apps report no disk metric: a replica that fills its ephemeral storage (8 GiB at more
    # than 1 vCPU, holding the loads being ingested and DuckDB's spill) is evicted and restarted.
    worker-restarts = {
      description = "Worker replicas restarted more than alert_worker_restarts_per_15m times in 15 minutes: crashes, or evictions for filling the replica's ephemeral storage (see worker-disk-full)."
      scope       = azurerm_container_app.app["worker"].id
      namespace   = "Microsoft.App/containerApps"
      metric      = "RestartCount"
      aggregation = "Total"
      operator    = "GreaterThan"
      threshold   = var.alert_worker_restarts_per_15m
      window      = "PT15M"
      severity    = 2
      dimension   = null
    }
    postgres-cpu = {
      description = "PostgreSQL CPU above alert_postgres_cpu_percent for 15 minutes."
      scope       = azurerm_postgresql_flexible_server.platform.id
      namespace   = "Microsoft.DBforPostgreSQL/flexibleServers"
      metric      = "cpu_percent"
      aggregation = "Average"
      operator    = "GreaterThan"
      threshold   = var.alert_postgres_cpu_percent
      window      = "PT15M"
      severity    = 2
      dimension   = null
    }
    postgres-storage = {
      description = "PostgreSQL storage above alert_postgres_storage_percent: grow postgres_storage_mb before it fills."
      scope       = azurerm_postgresql_flexible_server.platform.id
      namespace   = "Microsoft.DBforPostgreSQL/flexibleServers"
      metric      = "storage_percent"
      aggregation = "Maximum"
      operator    = "GreaterThan"
      threshold   = var.alert_postgres_storage_percent
      window      = "PT15M"
      severity    = 1
      dimension   = null
    }
    redis-memory = {
      description = "Redis memory above alert_redis_memory_percent: BullMQ and the result cache share it; queued jobs are lost if it evicts."
      scope       = azurerm_redis_cache.platform.id
      namespace   = "Microsoft.Cache/redis"
      metric      = "usedmemorypercentage"
      aggregation = "Maximum"
      operator    = "GreaterThan"
      threshold   = var.alert_redis_memory_percent
      window      = "PT15M"
      severity    = 1
      dimension   = null
    }
  }

  # What only the apps' own JSON log lines know (Container Apps send stdout to Log Analytics).
  log_alerts = {
    gateway-p95 = {
      description = "The gateway's p95 response time over 15 minutes is above alert_gateway_p95_ms (pino-http's responseTime of each request)."
      query       = <<-KQL
        ContainerAppConsoleLogs_CL
        | where ContainerAppName_s startswith "ca-gateway-"
        | extend line = parse_json(Log_s)
        | where tostring(line.msg) == "request completed"
        | summarize value = percentile(todouble(line.responseTime), 95)
      KQL
      threshold   = var.alert_gateway_p95_ms
      severity    = 2
    }
    worker-failed-jobs = {
      description = "More than alert_failed_jobs_per_15m job attempts failed in 15 minutes (each is retried; the run shows the error)."
      query       = <<-KQL
        ContainerAppConsoleLogs_CL
        | where ContainerAppName_s startswith "ca-worker-"
        | extend line = parse_json(Log_s)
        | where tostring(line.msg) == "job failed"
        | summarize value = count()
      KQL
      threshold   = var.alert_failed_jobs_per_15m
      severity    = 2
    }
    # The worker's disk, as it shows: a job that failed writing a load's fetched files or DuckDB's
    # temporary files because the replica's ephemeral storage is full (the error's code, ENOSPC).
    worker-disk-full = {
      description = "A worker job failed with no space left on the replica's ephemeral storage: lower WORKER_CONCURRENCY or split the loads (docs/deployment.md, the landing path)."
      query       = <<-KQL
        ContainerAppConsoleLogs_CL
        | where ContainerAppName_s startswith "ca-worker-"
        | extend line = parse_json(Log_s)
        | where tostring(line.msg) == "job failed" and tostring(line.err.code) == "ENOSPC"
        | summarize value = count()
      KQL
      threshold   = 0
      severity    = 1
    }
    failed-builds = {
      description = "A build failed for good (last attempt, or checks failed): the tenant keeps serving its previous version until someone looks."
      query       = <<-KQL
        ContainerAppConsoleLogs_CL
        | where ContainerAppName_s startswith "ca-worker-"
        | extend line = parse_json(Log_s)
        | where tostring(line.msg) == "build failed"
        | summarize value = count()
      KQL
      threshold   = 0
      severity    = 1
    }
  }
}

resource "azurerm_monitor_metric_alert" "platform" {
  for_each            = local.metric_alerts
  name                = "alert-${each.key}-${local.name}"
  resource_group_name = azurerm_resource_group.platform.name
  scopes              = [each.value.scope]
  description         = each.value.description
  severity            = each.value.severity
  frequency           = "PT5M"
  window_size         = each.value.window
  tags                = local.tags

  criteria {
    metric_namespace = each.value.namespace
    metric_name      = each.value.metric
    aggregation      = each.value.aggregation
    operator         = each.value.operator
    threshold        = each.value.threshold

    dynamic "dimension" {
      for_each = each.value.dimension == null ? [] : [each.value.dimension]
      content {
        name     = dimension.value.name
        operator = "Include"
        values   = dimension.value.values
      }
    }
  }

  action {
    action_group_id = local.action_group_id
  }
}

resource "azurerm_monitor_scheduled_query_rules_alert_v2" "logs" {
  for_each             = local.log_alerts
  name                 = "alert-${each.key}-${local.name}"
  resource_group_name  = azurerm_resource_group.platform.name
  location             = azurerm_resource_group.platform.location
  scopes               = [azurerm_log_analytics_workspace.platform.id]
  description          = each.value.description
  severity             = each.value.severity
  evaluation_frequency = "PT5M"
  window_duration      = "PT15M"
  tags                 = local.tags

  criteria {
    query                   = each.value.query
    time_aggregation_method = "Maximum"
    metric_measure_column   = "value"
    operator                = "GreaterThan"
    threshold               = each.value.threshold

    failing_periods {
      minimum_failing_periods_to_trigger_alert = 1
      number_of_evaluation_periods             = 1
    }
  }

  action {
    action_groups = [local.action_group_id]
  }
}
