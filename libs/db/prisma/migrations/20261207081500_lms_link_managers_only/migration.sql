-- Data: an LMS user link means whose reports a manager sees, and nothing for another role. Links left
-- behind when a manager's role was changed made "invite every manager" take that LMS person for a
-- member already, though nobody saw their reports. changeRole now drops the link with the role.
UPDATE "membership" SET "lms_user_id" = NULL WHERE "role" <> 'manager' AND "lms_user_id" IS NOT NULL;
UPDATE "invitation" SET "lms_user_id" = NULL WHERE "role" <> 'manager' AND "lms_user_id" IS NOT NULL;
