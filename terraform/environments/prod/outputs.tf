output "gateway_url" {
  description = "Public URL of the gateway."
  value       = module.kineo.gateway_url
}

output "portal_url" {
  description = "Public URL of the portal."
  value       = module.kineo.portal_url
}

output "databricks_workspace_url" {
  description = "Databricks workspace host."
  value       = module.kineo.databricks_workspace_url
}
