-- AlterTable: a suspended tenant with offboard_requested_at is being offboarded, and operation_missing_since
-- is when the worker's sweep first found no job of its unfinished provisioning or offboarding in the
-- queue (Redis lost its data), kept in Postgres: the job is queued again once that is older than the grace.
ALTER TABLE "tenant" ADD COLUMN     "offboard_requested_at" TIMESTAMP(3),
ADD COLUMN     "operation_missing_since" TIMESTAMP(3);

-- AlterTable: the job of a rollups refresh whose id is not derived from its run (queued by the start-up scan).
ALTER TABLE "build_run" ADD COLUMN     "job_id" TEXT;
