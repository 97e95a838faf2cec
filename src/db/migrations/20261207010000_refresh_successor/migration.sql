-- Portcullis' refresh grace window (issue #15): per session, the token pair the last rotation
-- handed out, sealed (AES-256-GCM under a key derived from the refresh secret), with the hash of
-- the token it replaced. A retry of that token before "expiresAt" gets the same pair back instead
-- of tripping reuse detection. The reference's tables are not altered.
-- Every rotation rewrites its session's row: no secondary index and free room on each page keep
-- those rewrites heap-only (HOT); the cleanup job walks the primary key to purge expired rows.

-- CreateTable
CREATE TABLE "RefreshSuccessor" (
    "sessionId" TEXT NOT NULL,
    "previousTokenHash" TEXT NOT NULL,
    "sealedPair" TEXT NOT NULL,
    "expiresAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "RefreshSuccessor_pkey" PRIMARY KEY ("sessionId")
) WITH (fillfactor = 70);

-- AddForeignKey
ALTER TABLE "RefreshSuccessor" ADD CONSTRAINT "RefreshSuccessor_sessionId_fkey" FOREIGN KEY ("sessionId") REFERENCES "Session"("id") ON DELETE CASCADE ON UPDATE CASCADE;
