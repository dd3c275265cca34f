# Remote state in Azure Storage, authenticated with Entra ID (OIDC in CI): no access keys.
# The state account, container and key are created once by hand (docs/deployment.md).
terraform {
  backend "azurerm" {
    resource_group_name  = "rg-kineo-tfstate"
    storage_account_name = "stkineotfstate"
    container_name       = "tfstate"
    key                  = "kineo-dev.tfstate"
    use_azuread_auth     = true
    use_oidc             = true
  }
}
