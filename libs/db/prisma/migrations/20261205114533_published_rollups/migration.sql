-- CreateTable: what each tenant's latest published version holds in its rollup manifest, so the fleet tells stale rollups without reading warehouses
CREATE TABLE "published_rollups" (
    "tenant_id" UUID NOT NULL,
    "data_version" INTEGER NOT NULL,
    "manifest" JSONB NOT NULL,
    "recorded_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "published_rollups_pkey" PRIMARY KEY ("tenant_id")
);

-- AddForeignKey
ALTER TABLE "published_rollups" ADD CONSTRAINT "published_rollups_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenant"("id") ON DELETE CASCADE ON UPDATE CASCADE;

