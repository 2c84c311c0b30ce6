/**
 * A feed's registration with its user's registry (table `registration`, one row): whether the
 * registry lists the feed's app, the latest erasure's instant (updates written before it are
 * refused), and the instant before which the feed's delta tokens are gone (entries left it without
 * a tombstone). Held in memory, stored with the feed's next write once it changed.
 */
export class FeedRegistration {
  /** Whether the user's registry lists this feed's app. */
  registered = false;
  /** The latest erasure's instant: updates written before it are refused. */
  erasedBeforeMs: number | null = null;
  /** Delta tokens issued before this instant are gone. */
  syncFloorMs = 0;
  /** Whether the row holds what is here. */
  private stored = false;

  constructor(private readonly sql: SqlStorage) {}

  /** Reads the row a feed stored with its first entry (a feed from before registries has none: it registers on its next update). */
  load(): void {
    const row = this.sql
      .exec<{ erased_before_ms: number | null; sync_floor_ms: number }>("SELECT erased_before_ms, sync_floor_ms FROM registration")
      .toArray()[0];
    if (!row) return;
    this.registered = true;
    this.erasedBeforeMs = row.erased_before_ms;
    this.syncFloorMs = row.sync_floor_ms;
    this.stored = true;
  }

  raiseErasedBefore(instantMs: number | null): void {
    if (instantMs === null || (this.erasedBeforeMs !== null && this.erasedBeforeMs >= instantMs)) return;
    this.erasedBeforeMs = instantMs;
    this.stored = false;
  }

  raiseSyncFloor(instantMs: number): void {
    if (instantMs <= this.syncFloorMs) return;
    this.syncFloorMs = instantMs;
    this.stored = false;
  }

  /** Writes the row, if it does not already hold what is here. */
  store(): void {
    if (this.stored) return;
    this.sql.exec(
      "INSERT OR REPLACE INTO registration (singleton, erased_before_ms, sync_floor_ms) VALUES (1, ?, ?)",
      this.erasedBeforeMs,
      this.syncFloorMs,
    );
    this.stored = true;
  }

  /** The feed's storage was deleted: nothing is registered or stored. */
  forget(): void {
    this.registered = false;
    this.erasedBeforeMs = null;
    this.syncFloorMs = 0;
    this.stored = false;
  }
}
