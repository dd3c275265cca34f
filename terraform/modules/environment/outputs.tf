output "gateway_url" {
  description = "Public URL of the gateway."
  value       = module.platform.gateway_url
}

output "portal_url" {
  description = "Public URL of the portal."
  value       = module.platform.portal_url
}

output "databricks_workspace_url" {
  description = "Databricks workspace host."
  value       = module.databricks.workspace_url
}
