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
