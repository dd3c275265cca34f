-- AlterTable: a published version's gold columns, recorded beside its manifest, so a worker's start reads no warehouse for it.
-- gold_columns_version names the version they are of: a writer of an older release moves data_version without touching them.
ALTER TABLE "published_rollups" ADD COLUMN     "gold_columns" JSONB,
ADD COLUMN     "gold_columns_version" INTEGER;
