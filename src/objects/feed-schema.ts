/** The feed's schema, a step per migration (see migrations.ts): an applied step is never edited, only followed. */
export const FEED_MIGRATIONS: readonly string[] = [
  `CREATE TABLE feed_entry (
     activity_id TEXT PRIMARY KEY,
     version INTEGER NOT NULL,
     activity TEXT,
     last_modified_ms INTEGER,
     recent_ms INTEGER,
     expiration_ms INTEGER
   ) WITHOUT ROWID;
   CREATE INDEX feed_by_last_modified ON feed_entry (last_modified_ms, activity_id) WHERE activity IS NOT NULL;
   CREATE INDEX feed_by_recent ON feed_entry (recent_ms, activity_id) WHERE recent_ms IS NOT NULL;
   CREATE TABLE cursor_key (singleton INTEGER PRIMARY KEY CHECK (singleton = 1), raw BLOB NOT NULL);`,
  // When each tombstone was recorded, so it can go once it is no longer needed (those already there count from now);
  // and the feed's registration with its user's registry, with the latest erasure's instant it enforces.
  `ALTER TABLE feed_entry ADD COLUMN deleted_ms INTEGER;
   UPDATE feed_entry SET deleted_ms = CAST(unixepoch('subsec') * 1000 AS INTEGER) WHERE activity IS NULL;
   CREATE INDEX feed_tombstone_by_deleted ON feed_entry (deleted_ms) WHERE activity IS NULL;
   CREATE TABLE registration (singleton INTEGER PRIMARY KEY CHECK (singleton = 1), erased_before_ms INTEGER);`,
  // Each entry's Graph JSON, rendered as it is stored, so a page is joined from it rather than rebuilt.
  // Entries stored before this step are rendered as they are read, until their activity next changes.
  `ALTER TABLE feed_entry ADD COLUMN resource TEXT;`,
  // The change stream: each entry's position (that of its latest change; entries already here count
  // from their version, a clock reading of the same scale), and the version its current life began
  // with (a change at that version created it). Tokens from before sync_floor_ms are gone (410).
  `ALTER TABLE feed_entry ADD COLUMN position INTEGER NOT NULL DEFAULT 0;
   ALTER TABLE feed_entry ADD COLUMN born_version INTEGER NOT NULL DEFAULT 0;
   UPDATE feed_entry SET position = version, born_version = version;
   CREATE INDEX feed_by_position ON feed_entry (position);
   ALTER TABLE registration ADD COLUMN sync_floor_ms INTEGER NOT NULL DEFAULT 0;`,
  // Graph's change notifications: the subscriptions, the changes they wait for, and lifecycle notifications not yet delivered.
  `CREATE TABLE subscription (
     id TEXT PRIMARY KEY,
     record TEXT NOT NULL,
     change_mask INTEGER NOT NULL,
     expiration_ms INTEGER NOT NULL,
     delivered_position INTEGER NOT NULL,
     attempts INTEGER NOT NULL,
     retry_ms INTEGER,
     reauthorize_sent INTEGER NOT NULL
   ) WITHOUT ROWID;
   CREATE TABLE change_log (
     position INTEGER PRIMARY KEY,
     activity_id TEXT NOT NULL,
     change_mask INTEGER NOT NULL,
     version INTEGER NOT NULL,
     change_ms INTEGER NOT NULL
   );
   CREATE TABLE lifecycle_outbox (
     id TEXT PRIMARY KEY,
     url TEXT NOT NULL,
     body TEXT NOT NULL,
     created_ms INTEGER NOT NULL,
     attempts INTEGER NOT NULL,
     retry_ms INTEGER NOT NULL
   ) WITHOUT ROWID;`,
];
