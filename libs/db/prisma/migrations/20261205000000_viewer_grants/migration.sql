-- CreateTable
CREATE TABLE "viewer_grant" (
    "id" UUID NOT NULL,
    "membership_id" UUID NOT NULL,
    "organisation_id" BIGINT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "viewer_grant_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "viewer_grant_membership_id_organisation_id_key" ON "viewer_grant"("membership_id", "organisation_id");

-- AddForeignKey
ALTER TABLE "viewer_grant" ADD CONSTRAINT "viewer_grant_membership_id_fkey" FOREIGN KEY ("membership_id") REFERENCES "membership"("id") ON DELETE CASCADE ON UPDATE CASCADE;
