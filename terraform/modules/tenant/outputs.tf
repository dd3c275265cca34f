output "catalog" {
  description = "The tenant's Unity Catalog catalog."
  value       = databricks_catalog.tenant.name
}

output "volume_path" {
  description = "Path of the tenant's landing volume."
  value       = "/Volumes/${databricks_catalog.tenant.name}/bronze/landing"
}

output "tenant_principal_application_id" {
  description = "Application id of the tenant's own service principal."
  value       = databricks_service_principal.tenant.application_id
}
