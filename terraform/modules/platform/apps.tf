locals {
  # Least privilege, per app: the only Azure roles each identity holds (besides AcrPull to start).
  # The gateway writes uploads (and resumable uploads' blocks) to the landing container; the worker
  # reads them, deletes a load's files once loaded and sweeps expired ones; neither touches any other
  # container, so the role is scoped to that container alone. The portal talks to the gateway only.
  app_roles = {
    gateway = {
      key_vault = "Key Vault Secrets User"
      landing   = "Storage Blob Data Contributor"
    }
    worker = {
      key_vault = "Key Vault Secrets User"
      landing   = "Storage Blob Data Contributor"
    }
    portal = {}
  }

  common_env = merge({
    NODE_ENV             = "production"
    SECRET_STORE         = "keyvault"
    KEY_VAULT_URL        = azurerm_key_vault.platform.vault_uri
    # DuckDB keeps its files on one machine's disk; Container Apps replicas share none.
    WAREHOUSE_ENGINE     = "databricks"
    DATABRICKS_HOST      = var.databricks_host
    DATABRICKS_HTTP_PATH = var.databricks_http_path
    DATABRICKS_AUTH      = "entra"
    # The gateway and the worker share no disk here: a load's files wait in the landing container,
    # reached with the app's managed identity (the account takes no shared keys).
    LANDING_STORE    = "azure-blob"
    LANDING_BLOB_URL = "${azurerm_storage_account.platform.primary_blob_endpoint}${azurerm_storage_container.landing.name}"
    # Unset, the apps load no tracing SDK at all.
  }, var.otlp_endpoint == "" ? {} : { OTEL_EXPORTER_OTLP_ENDPOINT = var.otlp_endpoint })
}

resource "azurerm_user_assigned_identity" "app" {
  for_each            = local.app_roles
  name                = "id-${each.key}-${local.name}"
  location            = azurerm_resource_group.platform.location
  resource_group_name = azurerm_resource_group.platform.name
  tags                = local.tags
}

resource "azurerm_role_assignment" "acr_pull" {
  for_each             = local.app_roles
  scope                = var.container_registry_id
  role_definition_name = "AcrPull"
  principal_id         = azurerm_user_assigned_identity.app[each.key].principal_id
}

resource "azurerm_role_assignment" "key_vault" {
  for_each             = { for app, roles in local.app_roles : app => roles.key_vault if contains(keys(roles), "key_vault") }
  scope                = azurerm_key_vault.platform.id
  role_definition_name = each.value
  principal_id         = azurerm_user_assigned_identity.app[each.key].principal_id
}

# Scoped to the landing container, not the account (with storage_account_id, the container's id is
# its Resource Manager id): the snapshots container and the account's settings stay out of reach.
resource "azurerm_role_assignment" "landing" {
  for_each             = { for app, roles in local.app_roles : app => roles.landing if contains(keys(roles), "landing") }
  scope                = azurerm_storage_container.landing.id
  role_definition_name = each.value
  principal_id         = azurerm_user_assigned_identity.app[each.key].principal_id
}

resource "azurerm_container_app_environment" "platform" {
  name                           = "cae-${local.name}"
  location                       = azurerm_resource_group.platform.location
  resource_group_name            = azurerm_resource_group.platform.name
  log_analytics_workspace_id     = azurerm_log_analytics_workspace.platform.id
  infrastructure_subnet_id       = azurerm_subnet.apps.id
  internal_load_balancer_enabled = false
  tags                           = local.tags

  workload_profile {
    name                  = "Consumption"
    workload_profile_type = "Consumption"
  }
}

locals {
  # What differs between the three apps; everything else about them is the one block below.
  apps = {
    gateway = {
      image         = "kineo-gateway"
      revision_mode = "Multiple"
      cpu           = 1
      memory        = "2Gi"
      min_replicas  = var.gateway_min_replicas
      max_replicas  = var.gateway_max_replicas
      port          = 4000
      # Container Apps' ingress (Envoy) reaches the replicas from the environment's infrastructure
      # subnet and appends the caller's address to X-Forwarded-For; trusting that subnet, and only it,
      # gives the sign-in throttle the client's address (and the portal's relayed browser address)
      # instead of the proxy's, while a client-sent X-Forwarded-For from outside is not believed.
      env = merge(local.common_env, {
        GATEWAY_HOST    = "0.0.0.0"
        GATEWAY_PORT    = "4000"
        TRUSTED_PROXIES = join(",", azurerm_subnet.apps.address_prefixes)
      })
      secrets       = ["database_url", "redis_url"]
      liveness      = "/health/live"
      readiness     = "/health"
    }
    portal = {
      image         = "kineo-portal"
      revision_mode = "Multiple"
      cpu           = 0.5
      memory        = "1Gi"
      min_replicas  = 1
      max_replicas  = 2
      port          = 3000
      # The gateway's FQDN is its name under the environment's domain (a reference to the gateway
      # app itself would be a cycle now that the apps are one resource).
      env       = { KINEO_GATEWAY_URL = "https://ca-gateway-${local.name}.${azurerm_container_app_environment.platform.default_domain}" }
      secrets   = []
      liveness  = "/api/health"
      readiness = null
    }
    worker = {
      image         = "kineo-worker"
      revision_mode = "Single"
      cpu           = 2
      memory        = "4Gi"
      # One replica stays for the scheduled sweeps (repeatable jobs); KEDA adds more on queue depth.
      # A load's files are fetched from the landing container to the replica's ephemeral disk (8 GiB
      # at more than 1 vCPU) for the length of its ingest; the worker-restarts and worker-disk-full
      # alerts say when that is not enough.
      min_replicas = 1
      max_replicas = var.worker_max_replicas
      port         = null
      env          = local.common_env
      secrets      = ["database_url", "redis_url", "redis_password"]
      liveness     = null
      readiness    = null
    }
  }

  # Connection strings hold credentials, so they come from Key Vault references, not plain env.
  secret_env = {
    database_url = "DATABASE_URL"
    redis_url    = "REDIS_URL"
  }
}

resource "azurerm_container_app" "app" {
  for_each                     = local.apps
  name                         = "ca-${each.key}-${local.name}"
  container_app_environment_id = azurerm_container_app_environment.platform.id
  resource_group_name          = azurerm_resource_group.platform.name
  revision_mode                = each.value.revision_mode
  workload_profile_name        = "Consumption"
  tags                         = local.tags

  # deploy.yml rolls images out (and back) revision by revision; Terraform sets only the first one.
  lifecycle {
    ignore_changes = [template[0].container[0].image, ingress[0].traffic_weight]
  }

  identity {
    type         = "UserAssigned"
    identity_ids = [azurerm_user_assigned_identity.app[each.key].id]
  }

  registry {
    server   = var.container_registry_login_server
    identity = azurerm_user_assigned_identity.app[each.key].id
  }

  dynamic "secret" {
    for_each = toset(each.value.secrets)
    content {
      name                = replace(secret.value, "_", "-")
      key_vault_secret_id = azurerm_key_vault_secret.connection[secret.value].versionless_id
      identity            = azurerm_user_assigned_identity.app[each.key].id
    }
  }

  dynamic "ingress" {
    for_each = each.value.port == null ? [] : [each.value.port]
    content {
      external_enabled = true
      target_port      = ingress.value
      transport        = "http"
      traffic_weight {
        latest_revision = true
        percentage      = 100
      }
    }
  }

  template {
    min_replicas = each.value.min_replicas
    max_replicas = each.value.max_replicas

    container {
      name   = each.key
      image  = "${var.container_registry_login_server}/${each.value.image}:${var.image_tag}"
      cpu    = each.value.cpu
      memory = each.value.memory

      dynamic "env" {
        for_each = merge(each.value.env, length(local.app_roles[each.key]) == 0 ? {} : { AZURE_CLIENT_ID = azurerm_user_assigned_identity.app[each.key].client_id })
        content {
          name  = env.key
          value = env.value
        }
      }

      dynamic "env" {
        for_each = { for secret in each.value.secrets : secret => local.secret_env[secret] if contains(keys(local.secret_env), secret) }
        content {
          name        = env.value
          secret_name = replace(env.key, "_", "-")
        }
      }

      dynamic "liveness_probe" {
        for_each = each.value.liveness == null ? [] : [each.value.liveness]
        content {
          transport = "HTTP"
          port      = each.value.port
          path      = liveness_probe.value
        }
      }

      dynamic "readiness_probe" {
        for_each = each.value.readiness == null ? [] : [each.value.readiness]
        content {
          transport = "HTTP"
          port      = each.value.port
          path      = readiness_probe.value
        }
      }
    }

    dynamic "custom_scale_rule" {
      for_each = each.key == "worker" ? toset(local.worker_queues) : toset([])
      content {
        name             = "queue-${custom_scale_rule.value}"
        custom_rule_type = "redis"
        metadata = {
          address    = "${azurerm_redis_cache.platform.hostname}:${azurerm_redis_cache.platform.ssl_port}"
          enableTLS  = "true"
          listName   = "kineo:${custom_scale_rule.value}:wait"
          listLength = tostring(var.worker_queue_length_per_replica)
        }
        authentication {
          secret_name       = "redis-password"
          trigger_parameter = "password"
        }
      }
    }
  }
}

# Migrations run here, inside the VNet, before a new revision takes traffic (deploy.yml starts it).
resource "azurerm_container_app_job" "migrate" {
  name                         = "caj-migrate-${local.name}"
  location                     = azurerm_resource_group.platform.location
  resource_group_name          = azurerm_resource_group.platform.name
  container_app_environment_id = azurerm_container_app_environment.platform.id
  workload_profile_name        = "Consumption"
  replica_timeout_in_seconds   = 1800
  replica_retry_limit          = 0
  tags                         = local.tags

  manual_trigger_config {
    parallelism              = 1
    replica_completion_count = 1
  }

  # The gateway's identity: it already reads database-url from Key Vault, and nothing more is needed.
  identity {
    type         = "UserAssigned"
    identity_ids = [azurerm_user_assigned_identity.app["gateway"].id]
  }

  registry {
    server   = var.container_registry_login_server
    identity = azurerm_user_assigned_identity.app["gateway"].id
  }

  secret {
    name                = "database-url"
    key_vault_secret_id = azurerm_key_vault_secret.connection["database_url"].versionless_id
    identity            = azurerm_user_assigned_identity.app["gateway"].id
  }

  template {
    container {
      name   = "migrate"
      image  = "${var.container_registry_login_server}/kineo-migrate:${var.image_tag}"
      cpu    = 0.5
      memory = "1Gi"
      env {
        name        = "DATABASE_URL"
        secret_name = "database-url"
      }
    }
  }
}
