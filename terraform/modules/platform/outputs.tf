output "resource_group_name" {
  description = "Resource group holding the platform."
  value       = azurerm_resource_group.platform.name
}

output "virtual_network_id" {
  description = "VNet the Databricks workspace is peered with or injected next to."
  value       = azurerm_virtual_network.platform.id
}

output "key_vault_uri" {
  description = "URI of the platform Key Vault (KEY_VAULT_URL)."
  value       = azurerm_key_vault.platform.vault_uri
}

output "storage_account_id" {
  description = "Storage account of landing files and published snapshots."
  value       = azurerm_storage_account.platform.id
}

output "gateway_url" {
  description = "Public URL of the gateway."
  value       = "https://${azurerm_container_app.app["gateway"].ingress[0].fqdn}"
}

output "portal_url" {
  description = "Public URL of the portal."
  value       = "https://${azurerm_container_app.app["portal"].ingress[0].fqdn}"
}

output "app_identity_principal_ids" {
  description = "Object ids of the gateway, worker and portal managed identities."
  value       = { for app, identity in azurerm_user_assigned_identity.app : app => identity.principal_id }
}

output "virtual_network_name" {
  description = "Name of the platform VNet."
  value       = azurerm_virtual_network.platform.name
}

output "storage_account_name" {
  description = "Name of the platform storage account."
  value       = azurerm_storage_account.platform.name
}

output "migrate_job_name" {
  description = "Container Apps job that applies database migrations."
  value       = azurerm_container_app_job.migrate.name
}
