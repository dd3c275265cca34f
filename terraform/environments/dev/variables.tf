variable "subscription_id" {
  description = "Azure subscription the environment is deployed to."
  type        = string
}

variable "owner" {
  description = "Team or person accountable for the environment (owner tag)."
  type        = string
}

variable "location" {
  description = "Azure region, e.g. westeurope."
  type        = string
  default     = "westeurope"
}

variable "container_registry_login_server" {
  description = "Login server of the Azure Container Registry holding the images."
  type        = string
}

variable "container_registry_id" {
  description = "Resource id of that registry."
  type        = string
}

variable "image_tag" {
  description = "Image tag (git commit) to deploy; the deploy workflow passes it."
  type        = string
}

variable "postgres_admin_group_object_id" {
  description = "Object id of the Entra ID group administering PostgreSQL."
  type        = string
}

variable "databricks_account_id" {
  description = "Databricks account id (accounts console), for account-level groups and the metastore assignment."
  type        = string
}

variable "databricks_metastore_id" {
  description = "Unity Catalog metastore of the region."
  type        = string
}

variable "platform_principal_application_id" {
  description = "Application id of the Entra ID app the gateway and worker use for Databricks."
  type        = string
}

variable "tenant_namespaces" {
  description = "Namespaces of tenants whose Databricks objects Terraform manages (others are provisioned by the platform's job)."
  type        = list(string)
  default     = []
}

variable "alert_emails" {
  description = "E-mail addresses alerts go to (when alert_action_group_id is not given)."
  type        = list(string)
  default     = []
}

variable "alert_action_group_id" {
  description = "An existing Azure Monitor action group for every alert; null: one mailing alert_emails is created."
  type        = string
  default     = null
}

variable "otlp_endpoint" {
  description = "OTLP/HTTP collector the gateway and worker send traces to (OTEL_EXPORTER_OTLP_ENDPOINT), e.g. an OpenTelemetry Collector exporting to Application Insights; empty: no tracing."
  type        = string
  default     = ""
}
