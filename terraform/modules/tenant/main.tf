# What the provisioning job makes for one tenant in catalog isolation (libs/warehouse
# DatabricksWarehouse.provision and grantStatements), declared so Terraform-managed tenants and
# job-provisioned ones are the same objects with the same grants; infra/test checks they agree.
locals {
  catalog = "kineo_${var.namespace}"
  reader  = "kineo-${var.namespace}-reader"
  writer  = "kineo-${var.namespace}-writer"
  layers  = ["bronze", "silver", "gold"]
}

resource "databricks_catalog" "tenant" {
  name    = local.catalog
  comment = "Kineo tenant ${var.namespace} (${var.environment}, owner ${var.owner})"
  properties = {
    environment = var.environment
    owner       = var.owner
  }
}

resource "databricks_schema" "layer" {
  for_each     = toset(local.layers)
  catalog_name = databricks_catalog.tenant.name
  name         = each.value
}

resource "databricks_volume" "landing" {
  name         = "landing"
  catalog_name = databricks_catalog.tenant.name
  schema_name  = databricks_schema.layer["bronze"].name
  volume_type  = "MANAGED"
}

# Account groups, so the names in the grants are the principals the provisioning job names.
resource "databricks_group" "reader" {
  provider     = databricks.account
  display_name = local.reader
}

resource "databricks_group" "writer" {
  provider     = databricks.account
  display_name = local.writer
}

# The tenant's own principal (for its direct SQL access): it reads gold and nothing else.
resource "databricks_service_principal" "tenant" {
  provider     = databricks.account
  display_name = "kineo-${var.namespace}"
}

resource "databricks_group_member" "tenant_reader" {
  provider  = databricks.account
  group_id  = databricks_group.reader.id
  member_id = databricks_service_principal.tenant.id
}

resource "databricks_group_member" "reader" {
  provider  = databricks.account
  for_each  = toset(var.reader_member_ids)
  group_id  = databricks_group.reader.id
  member_id = each.value
}

resource "databricks_group_member" "writer" {
  provider  = databricks.account
  for_each  = toset(var.writer_member_ids)
  group_id  = databricks_group.writer.id
  member_id = each.value
}

resource "databricks_grants" "catalog" {
  catalog = databricks_catalog.tenant.name
  grant {
    principal  = databricks_group.reader.display_name
    privileges = ["USE_CATALOG"]
  }
  grant {
    principal  = databricks_group.writer.display_name
    privileges = ["USE_CATALOG", "USE_SCHEMA", "CREATE_TABLE", "SELECT", "MODIFY", "READ_VOLUME", "WRITE_VOLUME"]
  }
}

resource "databricks_grants" "gold" {
  schema = "${databricks_catalog.tenant.name}.${databricks_schema.layer["gold"].name}"
  grant {
    principal  = databricks_group.reader.display_name
    privileges = ["USE_SCHEMA", "SELECT"]
  }
}
