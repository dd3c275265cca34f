data "azurerm_client_config" "current" {}

locals {
  # Every resource carries these; a resource without an owner is one nobody answers for.
  tags = merge(var.extra_tags, {
    environment = var.environment
    owner       = var.owner
  })
  name = "${var.name_prefix}-${var.environment}"
  # Storage and Key Vault names allow no hyphens and are global, so they are compacted.
  compact_name = substr(replace("${var.name_prefix}${var.environment}", "-", ""), 0, 20)

  # The names libs/config's KeyVaultSecretStore reads: keyVaultSecretName() escapes "-" as "--".
  # Only the names live here; values are set out of band (docs/operations.md), never in files. The
  # session signing key is the exception: generated (data.tf), so a first deployment starts.
  platform_secrets = {
    databricks_token = "databricks--token"
  }

  # BullMQ keeps each queue's waiting jobs in the list <prefix>:<queue>:wait (prefix "kineo", libs/jobs).
  worker_queues = ["provision", "ingest", "build", "maintenance"]
}

resource "azurerm_resource_group" "platform" {
  name     = "rg-${local.name}"
  location = var.location
  tags     = local.tags
}

resource "azurerm_log_analytics_workspace" "platform" {
  name                = "log-${local.name}"
  location            = azurerm_resource_group.platform.location
  resource_group_name = azurerm_resource_group.platform.name
  sku                 = "PerGB2018"
  retention_in_days   = 30
  tags                = local.tags
}
