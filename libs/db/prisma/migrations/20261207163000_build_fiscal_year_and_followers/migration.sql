-- A build's fiscal-year start, fixed by its first stage, and the build a rebuild follows (queued once it ends).
-- AlterTable
ALTER TABLE "build_run" ADD COLUMN     "fiscal_year_start_month" INTEGER,
ADD COLUMN     "follower_queued_at" TIMESTAMP(3),
ADD COLUMN     "follows_build_run_id" UUID;

-- CreateIndex
CREATE INDEX "build_run_follows_build_run_id_idx" ON "build_run"("follows_build_run_id");

