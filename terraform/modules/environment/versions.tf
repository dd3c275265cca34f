terraform {
  required_version = ">= 1.6.0"
  required_providers {
    azurerm = {
      source  = "hashicorp/azurerm"
      version = "4.14.0"
    }
    random = {
      source  = "hashicorp/random"
      version = "3.6.3"
    }
    databricks = {
      source                = "databricks/databricks"
      version               = "1.65.1"
      configuration_aliases = [databricks.account]
    }
  }
}
