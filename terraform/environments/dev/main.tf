module "kineo" {
  source = "../../modules/environment"
  providers = {
    databricks         = databricks
    databricks.account = databricks.account
  }

  environment                       = "dev"
  size                              = "small"
  owner                             = var.owner
  location                          = var.location
  container_registry_login_server   = var.container_registry_login_server
  container_registry_id             = var.container_registry_id
  image_tag                         = var.image_tag
  postgres_admin_group_object_id    = var.postgres_admin_group_object_id
  databricks_metastore_id           = var.databricks_metastore_id
  platform_principal_application_id = var.platform_principal_application_id
  tenant_namespaces                 = var.tenant_namespaces
  alert_emails                      = var.alert_emails
  alert_action_group_id             = var.alert_action_group_id
  otlp_endpoint                     = var.otlp_endpoint
}
