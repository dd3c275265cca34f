variable "environment" {
  description = "Environment name (dev, prod); part of every resource name and the environment tag."
  type        = string
}

variable "owner" {
  description = "Team or person accountable for the resources; written to the owner tag."
  type        = string
}

variable "location" {
  description = "Azure region for every resource, e.g. westeurope."
  type        = string
}

variable "name_prefix" {
  description = "Short lowercase prefix of resource names (letters and digits, at most 10), e.g. kineo."
  type        = string
  default     = "kineo"
}

variable "extra_tags" {
  description = "Tags added to every resource besides environment and owner."
  type        = map(string)
  default     = {}
}

variable "vnet_address_space" {
  description = "Address space of the platform VNet."
  type        = string
  default     = "10.40.0.0/16"
}

variable "postgres_sku" {
  description = "PostgreSQL Flexible Server SKU, e.g. B_Standard_B1ms (small) or GP_Standard_D4ds_v5 (large)."
  type        = string
}

variable "postgres_storage_mb" {
  description = "PostgreSQL storage in MB."
  type        = number
  default     = 32768
}

variable "postgres_high_availability" {
  description = "Zone-redundant high availability for PostgreSQL (a standby in another zone); not available on Burstable SKUs."
  type        = bool
  default     = false
}

variable "postgres_backup_retention_days" {
  description = "Days of point-in-time restore kept for PostgreSQL (7-35)."
  type        = number
  default     = 35
}

variable "postgres_geo_redundant_backup" {
  description = "Copies PostgreSQL backups to the paired region so a restore survives a regional outage."
  type        = bool
  default     = true
}

variable "postgres_admin_group_object_id" {
  description = "Object id of the Entra ID group that administers PostgreSQL (password authentication is off)."
  type        = string
}

variable "redis_sku" {
  description = "Azure Cache for Redis SKU: Basic, Standard or Premium."
  type        = string
  default     = "Standard"
}

variable "redis_capacity" {
  description = "Azure Cache for Redis size within the SKU family (0-6)."
  type        = number
  default     = 1
}

variable "container_registry_login_server" {
  description = "Login server of the Azure Container Registry the images are pulled from, e.g. kineo.azurecr.io."
  type        = string
}

variable "container_registry_id" {
  description = "Resource id of that registry; each app identity gets AcrPull on it."
  type        = string
}

variable "image_tag" {
  description = "Tag (git commit) of the gateway, worker and portal images to run."
  type        = string
}

variable "gateway_min_replicas" {
  description = "Gateway replicas kept running."
  type        = number
  default     = 1
}

variable "gateway_max_replicas" {
  description = "Most gateway replicas under load."
  type        = number
  default     = 3
}

variable "worker_max_replicas" {
  description = "Most worker replicas when the queue is deep; the worker scales to zero when it is empty."
  type        = number
  default     = 4
}

variable "worker_queue_length_per_replica" {
  description = "Waiting jobs per worker replica before KEDA adds one."
  type        = number
  default     = 5
}

variable "databricks_host" {
  description = "Databricks workspace host the gateway and worker connect to (empty: DuckDB warehouse)."
  type        = string
  default     = ""
}

variable "databricks_http_path" {
  description = "HTTP path of the serving SQL warehouse."
  type        = string
  default     = ""
}
