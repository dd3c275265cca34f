variable "namespace" {
  description = "The tenant's warehouse namespace (lowercase letters, digits, _), as the platform assigned it; the catalog is kineo_<namespace>."
  type        = string
  validation {
    condition     = can(regex("^[a-z][a-z0-9_]{2,40}$", var.namespace))
    error_message = "namespace must be 3-41 characters of a-z, 0-9 and _, starting with a letter."
  }
}

variable "environment" {
  description = "Environment name (dev, prod), recorded on the catalog."
  type        = string
}

variable "owner" {
  description = "Team or person accountable for the tenant's catalog, recorded on the catalog."
  type        = string
}

variable "reader_member_ids" {
  description = "Account-level ids of principals added to the tenant's reader group (the gateway's service principal)."
  type        = list(string)
  default     = []
}

variable "writer_member_ids" {
  description = "Account-level ids of principals added to the tenant's writer group (the worker's service principal)."
  type        = list(string)
  default     = []
}
