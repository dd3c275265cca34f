-- AlterTable: when the worker's sweep first found none of an unfinished run's jobs in the queue
-- (Redis lost its data), kept in Postgres: its flow is started again once that is older than the grace.
ALTER TABLE "build_run" ADD COLUMN     "flow_missing_since" TIMESTAMP(3);
