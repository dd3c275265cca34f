variable "environment" {
  description = "Environment name (dev, prod); part of resource names and the environment tag."
  type        = string
}

variable "owner" {
  description = "Team or person accountable for the resources; written to the owner tag."
  type        = string
}

variable "location" {
  description = "Azure region of the workspace (the platform's region)."
  type        = string
}

variable "resource_group_name" {
  description = "Resource group the workspace and its network pieces go in (the platform's)."
  type        = string
}

variable "virtual_network_name" {
  description = "Platform VNet the workspace is injected into."
  type        = string
}

variable "virtual_network_id" {
  description = "Resource id of that VNet."
  type        = string
}

variable "host_subnet_prefix" {
  description = "Address prefix of the Databricks host (public) subnet, inside the platform VNet."
  type        = string
}

variable "container_subnet_prefix" {
  description = "Address prefix of the Databricks container (private) subnet, inside the platform VNet."
  type        = string
}

variable "storage_account_id" {
  description = "Platform storage account the external location points into (landing files)."
  type        = string
}

variable "storage_account_name" {
  description = "Name of that storage account, for abfss URLs."
  type        = string
}

variable "metastore_id" {
  description = "Unity Catalog metastore of the region, assigned to the workspace."
  type        = string
}

variable "serving_warehouse_size" {
  description = "Cluster size of the SQL warehouse the gateway reads through, e.g. 2X-Small."
  type        = string
  default     = "2X-Small"
}

variable "serving_max_clusters" {
  description = "Most clusters the serving warehouse scales out to under concurrent reads."
  type        = number
  default     = 1
}

variable "build_warehouse_size" {
  description = "Cluster size of the SQL warehouse loads and builds run on, e.g. Small."
  type        = string
  default     = "Small"
}

variable "auto_stop_minutes" {
  description = "Idle minutes before a SQL warehouse stops (and stops costing)."
  type        = number
  default     = 10
}

variable "platform_principal_application_id" {
  description = "Application (client) id of the Entra ID app the gateway and worker authenticate to Databricks as."
  type        = string
}

variable "extra_tags" {
  description = "Tags added to every resource besides environment and owner."
  type        = map(string)
  default     = {}
}
