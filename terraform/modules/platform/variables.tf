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
  description = "Databricks workspace host the gateway and worker connect to. Required: in Azure the apps share no disk, so the embedded DuckDB warehouse (one machine) cannot serve there."
  type        = string

  validation {
    condition     = length(var.databricks_host) > 0
    error_message = "databricks_host is required: the gateway and the worker run as separate Container Apps with no shared disk, so the warehouse in Azure is Databricks (DuckDB is the one-machine engine)."
  }
}

variable "databricks_http_path" {
  description = "HTTP path of the serving SQL warehouse."
  type        = string
  default     = ""
}

variable "alert_emails" {
  description = "E-mail addresses of the ops action group the module creates (when alert_action_group_id is not given)."
  type        = list(string)
  default     = []
}

variable "alert_action_group_id" {
  description = "An existing Azure Monitor action group (PagerDuty, Teams, ...) for every alert; null: the module creates one mailing alert_emails."
  type        = string
  default     = null
}

variable "alert_gateway_5xx_per_5m" {
  description = "Gateway 5xx responses in 5 minutes above which ops are alerted."
  type        = number
  default     = 10
}

variable "alert_gateway_p95_ms" {
  description = "Gateway p95 response time (ms, over 15 minutes) above which ops are alerted."
  type        = number
  default     = 2000
}

variable "alert_worker_restarts_per_15m" {
  description = "Worker replica restarts in 15 minutes above which ops are alerted (a replica that fills its ephemeral storage is evicted and restarted)."
  type        = number
  default     = 2
}

variable "alert_failed_jobs_per_15m" {
  description = "Failed job attempts in 15 minutes above which ops are alerted."
  type        = number
  default     = 5
}

variable "alert_postgres_cpu_percent" {
  description = "PostgreSQL CPU (average over 15 minutes, percent) above which ops are alerted."
  type        = number
  default     = 80
}

variable "alert_postgres_storage_percent" {
  description = "PostgreSQL storage used (percent) above which ops are alerted."
  type        = number
  default     = 85
}

variable "alert_redis_memory_percent" {
  description = "Redis memory used (percent) above which ops are alerted."
  type        = number
  default     = 80
}

variable "otlp_endpoint" {
  description = "OTLP/HTTP collector the gateway and worker send traces to (OTEL_EXPORTER_OTLP_ENDPOINT), e.g. an OpenTelemetry Collector exporting to Application Insights; empty: no tracing."
  type        = string
  default     = ""
}
