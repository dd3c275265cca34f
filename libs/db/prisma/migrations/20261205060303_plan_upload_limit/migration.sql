-- AlterTable: each plan carries the largest file one upload may carry (UPLOAD_MAX_BYTES caps every plan).
ALTER TABLE "plan" ADD COLUMN "upload_limit_bytes" BIGINT NOT NULL DEFAULT 268435456;

-- Seed: 256 MiB for starter (50 seats: a full export is a few MiB), 1 GiB for professional,
-- 5 GiB for enterprise (above the default 2 GiB ceiling, so UPLOAD_MAX_BYTES decides there).
UPDATE "plan" SET "upload_limit_bytes" = 268435456 WHERE "code" = 'starter';
UPDATE "plan" SET "upload_limit_bytes" = 1073741824 WHERE "code" = 'professional';
UPDATE "plan" SET "upload_limit_bytes" = 5368709120 WHERE "code" = 'enterprise';

-- A new plan states its own limit.
ALTER TABLE "plan" ALTER COLUMN "upload_limit_bytes" DROP DEFAULT;
