-- AlterTable
ALTER TABLE "ingestion_run" ADD COLUMN     "enqueued_at" TIMESTAMP(3);

-- Loads recorded before this column were enqueued with their request.
UPDATE "ingestion_run" SET "enqueued_at" = "created_at";
