locals {
  environment   = "prod"
  address_space = "10.40.0.0/16"
}

module "platform" {
  source = "../../modules/platform"

  environment                     = local.environment
  owner                           = var.owner
  location                        = var.location
  vnet_address_space              = local.address_space
  postgres_sku                    = "GP_Standard_D4ds_v5"
  postgres_high_availability      = true
  postgres_geo_redundant_backup   = true
  postgres_backup_retention_days  = 35
  postgres_admin_group_object_id  = var.postgres_admin_group_object_id
  redis_sku                       = "Premium"
  redis_capacity                  = 1
  container_registry_login_server = var.container_registry_login_server
  container_registry_id           = var.container_registry_id
  image_tag                       = var.image_tag
  gateway_max_replicas            = 6
  worker_max_replicas             = 8
  databricks_host                 = module.databricks.workspace_url
  databricks_http_path            = module.databricks.serving_http_path
}

module "databricks" {
  source = "../../modules/databricks"
  providers = {
    databricks         = databricks
    databricks.account = databricks.account
  }

  environment                       = local.environment
  owner                             = var.owner
  location                          = var.location
  resource_group_name               = module.platform.resource_group_name
  virtual_network_name              = module.platform.virtual_network_name
  virtual_network_id                = module.platform.virtual_network_id
  host_subnet_prefix                = cidrsubnet(local.address_space, 8, 4)
  container_subnet_prefix           = cidrsubnet(local.address_space, 8, 5)
  storage_account_id                = module.platform.storage_account_id
  storage_account_name              = module.platform.storage_account_name
  metastore_id                      = var.databricks_metastore_id
  serving_warehouse_size            = "Small"
  serving_max_clusters              = 3
  build_warehouse_size              = "Medium"
  platform_principal_application_id = var.platform_principal_application_id
}

module "tenant" {
  source   = "../../modules/tenant"
  for_each = toset(var.tenant_namespaces)
  providers = {
    databricks         = databricks
    databricks.account = databricks.account
  }

  namespace   = each.value
  environment = local.environment
  owner       = var.owner
}
