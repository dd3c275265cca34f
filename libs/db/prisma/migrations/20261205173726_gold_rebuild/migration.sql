-- CreateTable: the rebuild from bronze each tenant's release scan queued (gold columns its published version lacks), for the fleet and the worker's bounded retries
CREATE TABLE "gold_rebuild" (
    "tenant_id" UUID NOT NULL,
    "from_version" INTEGER NOT NULL,
    "release_key" TEXT NOT NULL,
    "missing" TEXT[],
    "attempts" INTEGER NOT NULL DEFAULT 1,
    "build_run_id" UUID NOT NULL,
    "gave_up_at" TIMESTAMP(3),
    "requested_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "gold_rebuild_pkey" PRIMARY KEY ("tenant_id")
);

-- AddForeignKey
ALTER TABLE "gold_rebuild" ADD CONSTRAINT "gold_rebuild_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenant"("id") ON DELETE CASCADE ON UPDATE CASCADE;

