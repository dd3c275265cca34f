locals {
  tags = merge(var.extra_tags, {
    environment = var.environment
    owner       = var.owner
  })
  name = "kineo-${var.environment}"
}

# VNet injection: the workspace's clusters run in two delegated subnets of the platform VNet,
# with no public IPs (secure cluster connectivity).
resource "azurerm_network_security_group" "databricks" {
  name                = "nsg-dbw-${local.name}"
  location            = var.location
  resource_group_name = var.resource_group_name
  tags                = local.tags
}

resource "azurerm_subnet" "databricks" {
  for_each = {
    host      = var.host_subnet_prefix
    container = var.container_subnet_prefix
  }
  name                 = "snet-dbw-${each.key}"
  resource_group_name  = var.resource_group_name
  virtual_network_name = var.virtual_network_name
  address_prefixes     = [each.value]
  delegation {
    name = "databricks"
    service_delegation {
      name = "Microsoft.Databricks/workspaces"
      actions = [
        "Microsoft.Network/virtualNetworks/subnets/join/action",
        "Microsoft.Network/virtualNetworks/subnets/prepareNetworkPolicies/action",
        "Microsoft.Network/virtualNetworks/subnets/unprepareNetworkPolicies/action",
      ]
    }
  }
}

resource "azurerm_subnet_network_security_group_association" "databricks" {
  for_each                  = azurerm_subnet.databricks
  subnet_id                 = each.value.id
  network_security_group_id = azurerm_network_security_group.databricks.id
}

resource "azurerm_databricks_workspace" "platform" {
  name                          = "dbw-${local.name}"
  location                      = var.location
  resource_group_name           = var.resource_group_name
  sku                           = "premium"
  managed_resource_group_name   = "rg-dbw-managed-${local.name}"
  public_network_access_enabled = true
  tags                          = local.tags

  custom_parameters {
    no_public_ip                                         = true
    virtual_network_id                                   = var.virtual_network_id
    public_subnet_name                                   = azurerm_subnet.databricks["host"].name
    private_subnet_name                                  = azurerm_subnet.databricks["container"].name
    public_subnet_network_security_group_association_id  = azurerm_subnet_network_security_group_association.databricks["host"].id
    private_subnet_network_security_group_association_id = azurerm_subnet_network_security_group_association.databricks["container"].id
  }
}

resource "databricks_metastore_assignment" "platform" {
  provider     = databricks.account
  metastore_id = var.metastore_id
  workspace_id = azurerm_databricks_workspace.platform.workspace_id
}

# Two warehouses so a tenant's long build never queues the reads the portal waits on.
resource "databricks_sql_endpoint" "warehouse" {
  for_each = {
    serving = { size = var.serving_warehouse_size, max_clusters = var.serving_max_clusters }
    build   = { size = var.build_warehouse_size, max_clusters = 1 }
  }
  name                      = "kineo-${var.environment}-${each.key}"
  cluster_size              = each.value.size
  min_num_clusters          = 1
  max_num_clusters          = each.value.max_clusters
  auto_stop_mins            = var.auto_stop_minutes
  enable_serverless_compute = true
  warehouse_type            = "PRO"

  tags {
    custom_tags {
      key   = "environment"
      value = var.environment
    }
    custom_tags {
      key   = "owner"
      value = var.owner
    }
  }

  depends_on = [databricks_metastore_assignment.platform]
}

resource "databricks_service_principal" "platform" {
  application_id = var.platform_principal_application_id
  display_name   = "kineo-${var.environment}-platform"
}

resource "databricks_permissions" "warehouse_use" {
  for_each        = databricks_sql_endpoint.warehouse
  sql_endpoint_id = each.value.id
  access_control {
    service_principal_name = databricks_service_principal.platform.application_id
    permission_level       = "CAN_USE"
  }
}

# Unity Catalog reaches the platform storage through an access connector's managed identity.
resource "azurerm_databricks_access_connector" "platform" {
  name                = "dbac-${local.name}"
  location            = var.location
  resource_group_name = var.resource_group_name
  tags                = local.tags
  identity {
    type = "SystemAssigned"
  }
}

resource "azurerm_role_assignment" "access_connector_storage" {
  scope                = var.storage_account_id
  role_definition_name = "Storage Blob Data Contributor"
  principal_id         = azurerm_databricks_access_connector.platform.identity[0].principal_id
}

resource "databricks_storage_credential" "platform" {
  name = "kineo-${var.environment}-platform"
  azure_managed_identity {
    access_connector_id = azurerm_databricks_access_connector.platform.id
  }
  comment    = "Platform storage (landing files) for Kineo ${var.environment}"
  depends_on = [databricks_metastore_assignment.platform]
}

resource "databricks_external_location" "landing" {
  name            = "kineo-${var.environment}-landing"
  url             = "abfss://landing@${var.storage_account_name}.dfs.core.windows.net/"
  credential_name = databricks_storage_credential.platform.name
  comment         = "Tenant landing files staged by the platform"
  depends_on      = [azurerm_role_assignment.access_connector_storage]
}

resource "databricks_grants" "landing" {
  external_location = databricks_external_location.landing.id
  grant {
    principal  = databricks_service_principal.platform.application_id
    privileges = ["READ_FILES", "WRITE_FILES"]
  }
}
