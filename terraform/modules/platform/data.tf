# PostgreSQL is VNet-integrated (delegated subnet): it has no public endpoint at all.
resource "azurerm_postgresql_flexible_server" "platform" {
  name                          = "psql-${local.name}"
  location                      = azurerm_resource_group.platform.location
  resource_group_name           = azurerm_resource_group.platform.name
  version                       = "16"
  sku_name                      = var.postgres_sku
  storage_mb                    = var.postgres_storage_mb
  delegated_subnet_id           = azurerm_subnet.postgres.id
  private_dns_zone_id           = azurerm_private_dns_zone.zone["postgres"].id
  public_network_access_enabled = false
  backup_retention_days         = var.postgres_backup_retention_days
  geo_redundant_backup_enabled  = var.postgres_geo_redundant_backup
  zone                          = "1"
  tags                          = local.tags

  # Prisma connects with a password; Entra sign-in stays on for administrators.
  administrator_login    = "kineo_admin"
  administrator_password = random_password.postgres_admin.result

  authentication {
    active_directory_auth_enabled = true
    password_auth_enabled         = true
    tenant_id                     = data.azurerm_client_config.current.tenant_id
  }

  dynamic "high_availability" {
    for_each = var.postgres_high_availability ? [1] : []
    content {
      mode                      = "ZoneRedundant"
      standby_availability_zone = "2"
    }
  }

  depends_on = [azurerm_private_dns_zone_virtual_network_link.zone]
}

resource "azurerm_postgresql_flexible_server_active_directory_administrator" "admins" {
  server_name         = azurerm_postgresql_flexible_server.platform.name
  resource_group_name = azurerm_resource_group.platform.name
  tenant_id           = data.azurerm_client_config.current.tenant_id
  object_id           = var.postgres_admin_group_object_id
  principal_name      = "kineo-${var.environment}-postgres-admins"
  principal_type      = "Group"
}

resource "azurerm_postgresql_flexible_server_database" "kineo" {
  name      = "kineo"
  server_id = azurerm_postgresql_flexible_server.platform.id
  charset   = "UTF8"
  collation = "en_US.utf8"
}

resource "azurerm_redis_cache" "platform" {
  name                          = "redis-${local.name}"
  location                      = azurerm_resource_group.platform.location
  resource_group_name           = azurerm_resource_group.platform.name
  sku_name                      = var.redis_sku
  family                        = var.redis_sku == "Premium" ? "P" : "C"
  capacity                      = var.redis_capacity
  minimum_tls_version           = "1.2"
  non_ssl_port_enabled          = false
  public_network_access_enabled = false
  tags                          = local.tags

  redis_configuration {
    # BullMQ requires that Redis never evicts its keys.
    maxmemory_policy = "noeviction"
  }
}

resource "azurerm_key_vault" "platform" {
  name                          = "kv-${local.compact_name}"
  location                      = azurerm_resource_group.platform.location
  resource_group_name           = azurerm_resource_group.platform.name
  tenant_id                     = data.azurerm_client_config.current.tenant_id
  sku_name                      = "standard"
  enable_rbac_authorization     = true
  purge_protection_enabled      = true
  soft_delete_retention_days    = 90
  public_network_access_enabled = false
  tags                          = local.tags

  network_acls {
    bypass         = "AzureServices"
    default_action = "Deny"
  }
}

# Generated, never typed: the password exists only in the (encrypted, private) state and Key Vault.
resource "random_password" "postgres_admin" {
  length  = 40
  special = false
}

# Connection strings the apps read through Key Vault references (Container Apps secrets).
resource "azurerm_key_vault_secret" "connection" {
  for_each = {
    database_url   = { name = "database-url", value = "postgresql://kineo_admin:${random_password.postgres_admin.result}@${azurerm_postgresql_flexible_server.platform.fqdn}:5432/kineo?sslmode=require" }
    redis_url      = { name = "redis-url", value = "rediss://:${azurerm_redis_cache.platform.primary_access_key}@${azurerm_redis_cache.platform.hostname}:${azurerm_redis_cache.platform.ssl_port}" }
    redis_password = { name = "redis-password", value = azurerm_redis_cache.platform.primary_access_key }
  }
  name         = each.value.name
  key_vault_id = azurerm_key_vault.platform.id
  value        = each.value.value
  content_type = "text/plain"
  tags         = local.tags
}

# Declared so each secret exists, is tagged and can be granted; the value is a placeholder that
# operators replace (docs/operations.md), and Terraform ignores later changes to it.
resource "azurerm_key_vault_secret" "platform" {
  for_each     = local.platform_secrets
  name         = each.value
  key_vault_id = azurerm_key_vault.platform.id
  value        = "set-out-of-band"
  content_type = "text/plain"
  tags         = local.tags

  lifecycle {
    ignore_changes = [value, expiration_date]
  }
}

# The gateway signs sessions with auth-jwt-secret and refuses one under 32 characters (and, in
# production, never generates one). Generated here, 64 characters from a CSPRNG, straight into Key
# Vault: no literal anywhere, and a first deployment starts. Rotation (docs/operations.md) writes a
# new version out of band, which Terraform leaves alone.
resource "random_password" "auth_jwt_secret" {
  length  = 64
  special = false
}

# Environments created before the key was generated hold it as platform["auth_jwt_secret"] (a
# placeholder operators replaced). Moved, not re-created: Key Vault's purge protection would keep the
# name taken for 90 days after a delete, and the operators' key (with everyone's sessions) survives.
moved {
  from = azurerm_key_vault_secret.platform["auth_jwt_secret"]
  to   = azurerm_key_vault_secret.auth_jwt_secret
}

resource "azurerm_key_vault_secret" "auth_jwt_secret" {
  name         = "auth--jwt--secret"
  key_vault_id = azurerm_key_vault.platform.id
  value        = random_password.auth_jwt_secret.result
  content_type = "text/plain"
  tags         = local.tags

  lifecycle {
    ignore_changes = [value, expiration_date]
  }
}

resource "azurerm_storage_account" "platform" {
  name                            = "st${local.compact_name}"
  location                        = azurerm_resource_group.platform.location
  resource_group_name             = azurerm_resource_group.platform.name
  account_tier                    = "Standard"
  account_replication_type        = "ZRS"
  account_kind                    = "StorageV2"
  min_tls_version                 = "TLS1_2"
  https_traffic_only_enabled      = true
  allow_nested_items_to_be_public = false
  shared_access_key_enabled       = false
  public_network_access_enabled   = false
  default_to_oauth_authentication = true
  tags                            = local.tags

  blob_properties {
    versioning_enabled = true
    delete_retention_policy {
      days = 30
    }
    container_delete_retention_policy {
      days = 30
    }
  }
}

resource "azurerm_storage_container" "landing" {
  name                  = "landing"
  storage_account_id    = azurerm_storage_account.platform.id
  container_access_type = "private"
}

# With versioning on, a deleted blob lives on as a previous version, and every commit of a resumable
# upload's blocks makes one: landing files removed after their load (or by the retention sweep) are
# gone for good a day later instead of being kept at cost. Soft delete (30 days) still applies.
resource "azurerm_storage_management_policy" "platform" {
  storage_account_id = azurerm_storage_account.platform.id

  rule {
    name    = "landing-versions"
    enabled = true
    filters {
      blob_types   = ["blockBlob"]
      prefix_match = ["${azurerm_storage_container.landing.name}/"]
    }
    actions {
      version {
        delete_after_days_since_creation = 1
      }
    }
  }
}

resource "azurerm_storage_container" "snapshots" {
  name                  = "snapshots"
  storage_account_id    = azurerm_storage_account.platform.id
  container_access_type = "private"
}
