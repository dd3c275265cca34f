-- AlterTable: a tenant's own landing retention period in days (null: the LANDING_RETENTION_DAYS setting)
ALTER TABLE "tenant" ADD COLUMN     "landing_retention_days" INTEGER;
