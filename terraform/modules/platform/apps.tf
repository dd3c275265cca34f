locals {
  # Least privilege, per app: the only Azure roles each identity holds (besides AcrPull to start).
  # The portal talks to the gateway only, so it holds none.
  app_roles = {
    gateway = {
      key_vault = "Key Vault Secrets User"
      storage   = "Storage Blob Data Reader"
    }
    worker = {
      key_vault = "Key Vault Secrets User"
      storage   = "Storage Blob Data Contributor"
    }
    portal = {}
  }

  common_env = {
    NODE_ENV             = "production"
    SECRET_STORE         = "keyvault"
    KEY_VAULT_URL        = azurerm_key_vault.platform.vault_uri
    WAREHOUSE_ENGINE     = var.databricks_host == "" ? "duckdb" : "databricks"
    DATABRICKS_HOST      = var.databricks_host
    DATABRICKS_HTTP_PATH = var.databricks_http_path
    DATABRICKS_AUTH      = "entra"
  }
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

resource "azurerm_role_assignment" "storage" {
  for_each             = { for app, roles in local.app_roles : app => roles.storage if contains(keys(roles), "storage") }
  scope                = azurerm_storage_account.platform.id
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

resource "azurerm_container_app" "gateway" {
  name                         = "ca-gateway-${local.name}"
  container_app_environment_id = azurerm_container_app_environment.platform.id
  resource_group_name          = azurerm_resource_group.platform.name
  revision_mode                = "Multiple"
  workload_profile_name        = "Consumption"
  tags                         = local.tags

  # deploy.yml rolls images out (and back) revision by revision; Terraform sets only the first one.
  lifecycle {
    ignore_changes = [template[0].container[0].image, ingress[0].traffic_weight]
  }

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

  secret {
    name                = "redis-url"
    key_vault_secret_id = azurerm_key_vault_secret.connection["redis_url"].versionless_id
    identity            = azurerm_user_assigned_identity.app["gateway"].id
  }

  ingress {
    external_enabled = true
    target_port      = 4000
    transport        = "http"
    traffic_weight {
      latest_revision = true
      percentage      = 100
    }
  }

  template {
    min_replicas = var.gateway_min_replicas
    max_replicas = var.gateway_max_replicas

    container {
      name   = "gateway"
      image  = "${var.container_registry_login_server}/kineo-gateway:${var.image_tag}"
      cpu    = 1
      memory = "2Gi"

      dynamic "env" {
        for_each = merge(local.common_env, { GATEWAY_HOST = "0.0.0.0", GATEWAY_PORT = "4000", AZURE_CLIENT_ID = azurerm_user_assigned_identity.app["gateway"].client_id })
        content {
          name  = env.key
          value = env.value
        }
      }

      # Connection strings hold credentials, so they come from Key Vault references, not plain env.
      env {
        name        = "DATABASE_URL"
        secret_name = "database-url"
      }
      env {
        name        = "REDIS_URL"
        secret_name = "redis-url"
      }

      liveness_probe {
        transport = "HTTP"
        port      = 4000
        path      = "/health/live"
      }

      readiness_probe {
        transport = "HTTP"
        port      = 4000
        path      = "/health"
      }
    }
  }
}

resource "azurerm_container_app" "portal" {
  name                         = "ca-portal-${local.name}"
  container_app_environment_id = azurerm_container_app_environment.platform.id
  resource_group_name          = azurerm_resource_group.platform.name
  revision_mode                = "Multiple"
  workload_profile_name        = "Consumption"
  tags                         = local.tags

  # deploy.yml rolls images out (and back) revision by revision; Terraform sets only the first one.
  lifecycle {
    ignore_changes = [template[0].container[0].image, ingress[0].traffic_weight]
  }

  identity {
    type         = "UserAssigned"
    identity_ids = [azurerm_user_assigned_identity.app["portal"].id]
  }

  registry {
    server   = var.container_registry_login_server
    identity = azurerm_user_assigned_identity.app["portal"].id
  }

  ingress {
    external_enabled = true
    target_port      = 3000
    transport        = "http"
    traffic_weight {
      latest_revision = true
      percentage      = 100
    }
  }

  template {
    min_replicas = 1
    max_replicas = 2

    container {
      name   = "portal"
      image  = "${var.container_registry_login_server}/kineo-portal:${var.image_tag}"
      cpu    = 0.5
      memory = "1Gi"

      env {
        name  = "KINEO_GATEWAY_URL"
        value = "https://${azurerm_container_app.gateway.ingress[0].fqdn}"
      }

      liveness_probe {
        transport = "HTTP"
        port      = 3000
        path      = "/api/health"
      }
    }
  }
}

resource "azurerm_container_app" "worker" {
  name                         = "ca-worker-${local.name}"
  container_app_environment_id = azurerm_container_app_environment.platform.id
  resource_group_name          = azurerm_resource_group.platform.name
  revision_mode                = "Single"
  workload_profile_name        = "Consumption"
  tags                         = local.tags

  # deploy.yml rolls images out (and back) revision by revision; Terraform sets only the first one.
  lifecycle {
    ignore_changes = [template[0].container[0].image]
  }

  identity {
    type         = "UserAssigned"
    identity_ids = [azurerm_user_assigned_identity.app["worker"].id]
  }

  registry {
    server   = var.container_registry_login_server
    identity = azurerm_user_assigned_identity.app["worker"].id
  }

  secret {
    name                = "database-url"
    key_vault_secret_id = azurerm_key_vault_secret.connection["database_url"].versionless_id
    identity            = azurerm_user_assigned_identity.app["worker"].id
  }

  secret {
    name                = "redis-url"
    key_vault_secret_id = azurerm_key_vault_secret.connection["redis_url"].versionless_id
    identity            = azurerm_user_assigned_identity.app["worker"].id
  }

  secret {
    name                = "redis-password"
    key_vault_secret_id = azurerm_key_vault_secret.connection["redis_password"].versionless_id
    identity            = azurerm_user_assigned_identity.app["worker"].id
  }

  template {
    # One replica stays for the landing scan (a repeatable job); KEDA adds more on queue depth.
    min_replicas = 1
    max_replicas = var.worker_max_replicas

    container {
      name   = "worker"
      image  = "${var.container_registry_login_server}/kineo-worker:${var.image_tag}"
      cpu    = 2
      memory = "4Gi"

      dynamic "env" {
        for_each = merge(local.common_env, { AZURE_CLIENT_ID = azurerm_user_assigned_identity.app["worker"].client_id })
        content {
          name  = env.key
          value = env.value
        }
      }

      # Connection strings hold credentials, so they come from Key Vault references, not plain env.
      env {
        name        = "DATABASE_URL"
        secret_name = "database-url"
      }
      env {
        name        = "REDIS_URL"
        secret_name = "redis-url"
      }
    }

    dynamic "custom_scale_rule" {
      for_each = toset(local.worker_queues)
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
