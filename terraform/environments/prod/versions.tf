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
      source  = "databricks/databricks"
      version = "1.65.1"
    }
  }
}

provider "azurerm" {
  features {
    key_vault {
      # Purge protection is on; never try to purge a vault or secret on destroy.
      purge_soft_delete_on_destroy = false
    }
  }
  subscription_id     = var.subscription_id
  storage_use_azuread = true
}

provider "databricks" {
  host = module.kineo.databricks_workspace_url
}

provider "databricks" {
  alias      = "account"
  host       = "https://accounts.azuredatabricks.net"
  account_id = var.databricks_account_id
}
