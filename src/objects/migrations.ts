/**
 * Brings an object's SQLite schema up to date: applies, in order and once each, the steps not yet
 * recorded in its `schema_migration` table. An applied step is never edited, only followed.
 */
export function migrate(storage: DurableObjectStorage, steps: readonly string[]): void {
  storage.sql.exec("CREATE TABLE IF NOT EXISTS schema_migration (version INTEGER PRIMARY KEY, applied_ms INTEGER NOT NULL)");
  const applied = storage.sql.exec<{ version: number | null }>("SELECT max(version) AS version FROM schema_migration").one().version ?? 0;
  for (let version = applied + 1; version <= steps.length; version++) {
    storage.transactionSync(() => {
      storage.sql.exec(steps[version - 1]!);
      storage.sql.exec("INSERT INTO schema_migration (version, applied_ms) VALUES (?, ?)", version, Date.now());
    });
  }
}

/**
 * An object's schema, created by its first write rather than when the object starts: any id can
 * be addressed, so a read or delete of one that holds nothing must not write a database into
 * being. An object that has a schema is brought up to date when it starts.
 */
export class Schema {
  private created: boolean;

  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly steps: readonly string[],
  ) {
    // A read of sqlite_master writes nothing, and tells an object that never wrote from one that did.
    this.created = storage.sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migration'").toArray().length > 0;
  }

  /** Whether the object has ever written: without a schema there is nothing to read. */
  get exists(): boolean {
    return this.created;
  }

  /** Applies the steps not yet applied, if the object has a schema (called as it starts). */
  upgrade(): void {
    if (this.created) migrate(this.storage, this.steps);
  }

  /** Creates the schema before the object's first write (one that has a schema was upgraded as it started). */
  ensure(): void {
    if (this.created) return;
    migrate(this.storage, this.steps);
    this.created = true;
  }

  /** Records that the object's storage was deleted (an erasure's deleteAll): it has no schema again until its next write. */
  forget(): void {
    this.created = false;
  }
}
