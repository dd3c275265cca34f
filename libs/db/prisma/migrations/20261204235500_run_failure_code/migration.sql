-- AlterTable
ALTER TABLE "ingestion_run" ADD COLUMN     "failure_code" TEXT;

-- AlterTable
ALTER TABLE "build_run" ADD COLUMN     "failure_code" TEXT;

-- Runs failed before this column existed: a contract rejection was recognised by its text.
UPDATE "ingestion_run" SET "failure_code" = 'LOAD_REJECTED' WHERE "status" = 'failed' AND "error" LIKE 'The load was rejected%';
UPDATE "build_run" SET "failure_code" = 'LOAD_REJECTED' WHERE "status" = 'failed' AND "error" LIKE 'The load was rejected%';
