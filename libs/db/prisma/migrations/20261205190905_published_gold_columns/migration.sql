-- AlterTable: a published version's gold columns, recorded beside its manifest, so a worker's start reads no warehouse for it
ALTER TABLE "published_rollups" ADD COLUMN     "gold_columns" JSONB;
