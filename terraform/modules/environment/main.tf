# One environment of the platform: the platform, its Databricks workspace and the tenants Terraform
# manages, sized by var.size. environments/dev and environments/prod differ only in what they pass.

locals {
  sizes = {
    small = {
      postgres_sku                   = "B_Standard_B2s"
      postgres_high_availability     = false
      postgres_geo_redundant_backup  = false
      postgres_backup_retention_days = 7
      redis_sku                      = "Standard"
      redis_capacity                 = 1
      gateway_max_replicas           = 2
      worker_max_replicas            = 2
      serving_warehouse_size         = "2X-Small"
      serving_max_clusters           = 1
      build_warehouse_size           = "Small"
    }
    large = {
      postgres_sku                   = "GP_Standard_D4ds_v5"
      postgres_high_availability     = true
      postgres_geo_redundant_backup  = true
      postgres_backup_retention_days = 35
      redis_sku                      = "Premium"
      redis_capacity                 = 1
      gateway_max_replicas           = 6
      worker_max_replicas            = 8
      serving_warehouse_size         = "Small"
      serving_max_clusters           = 3
      build_warehouse_size           = "Medium"
    }
  }
  size = local.sizes[var.size]
}

module "platform" {
  source = "../platform"

  environment                     = var.environment
  owner                           = var.owner
  location                        = var.location
  vnet_address_space              = var.address_space
  postgres_sku                    = local.size.postgres_sku
  postgres_high_availability      = local.size.postgres_high_availability
  postgres_geo_redundant_backup   = local.size.postgres_geo_redundant_backup
  postgres_backup_retention_days  = local.size.postgres_backup_retention_days
  postgres_admin_group_object_id  = var.postgres_admin_group_object_id
  redis_sku                       = local.size.redis_sku
  redis_capacity                  = local.size.redis_capacity
  container_registry_login_server = var.container_registry_login_server
  container_registry_id           = var.container_registry_id
  image_tag                       = var.image_tag
  gateway_max_replicas            = local.size.gateway_max_replicas
  worker_max_replicas             = local.size.worker_max_replicas
  databricks_host                 = module.databricks.workspace_url
  databricks_http_path            = module.databricks.serving_http_path
  alert_emails                    = var.alert_emails
  alert_action_group_id           = var.alert_action_group_id
  otlp_endpoint                   = var.otlp_endpoint
}

module "databricks" {
  source = "../databricks"
  providers = {
    databricks         = databricks
    databricks.account = databricks.account
  }

  environment                       = var.environment
  owner                             = var.owner
  location                          = var.location
  resource_group_name               = module.platform.resource_group_name
  virtual_network_name              = module.platform.virtual_network_name
  virtual_network_id                = module.platform.virtual_network_id
  host_subnet_prefix                = cidrsubnet(var.address_space, 8, 4)
  container_subnet_prefix           = cidrsubnet(var.address_space, 8, 5)
  storage_account_id                = module.platform.storage_account_id
  storage_account_name              = module.platform.storage_account_name
  metastore_id                      = var.databricks_metastore_id
  serving_warehouse_size            = local.size.serving_warehouse_size
  serving_max_clusters              = local.size.serving_max_clusters
  build_warehouse_size              = local.size.build_warehouse_size
  platform_principal_application_id = var.platform_principal_application_id
}

module "tenant" {
  source   = "../tenant"
  for_each = toset(var.tenant_namespaces)
  providers = {
    databricks         = databricks
    databricks.account = databricks.account
  }

  namespace   = each.value
  environment = var.environment
  owner       = var.owner
}
