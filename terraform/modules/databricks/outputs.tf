output "workspace_url" {
  description = "Host of the workspace (DATABRICKS_HOST)."
  value       = azurerm_databricks_workspace.platform.workspace_url
}

output "workspace_id" {
  description = "Numeric id of the workspace."
  value       = azurerm_databricks_workspace.platform.workspace_id
}

output "serving_http_path" {
  description = "HTTP path of the serving warehouse (DATABRICKS_HTTP_PATH)."
  value       = databricks_sql_endpoint.warehouse["serving"].odbc_params[0].path
}

output "build_http_path" {
  description = "HTTP path of the build warehouse."
  value       = databricks_sql_endpoint.warehouse["build"].odbc_params[0].path
}

output "platform_principal_application_id" {
  description = "Application id of the platform service principal, for tenant group membership."
  value       = databricks_service_principal.platform.application_id
}
