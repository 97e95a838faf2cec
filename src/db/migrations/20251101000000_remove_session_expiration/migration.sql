-- DropIndex
DROP INDEX IF EXISTS "Session_expiresAt_idx";

-- AlterTable
ALTER TABLE "Session" DROP COLUMN IF EXISTS "expiresAt";
