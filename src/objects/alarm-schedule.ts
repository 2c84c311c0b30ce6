/** The soonest of some instants, any of them absent (null: none at all). */
export function soonest(...instants: (number | null)[]): number | null {
  const present = instants.filter((instant) => instant !== null);
  return present.length ? Math.min(...present) : null;
}

/**
 * An object's one alarm, set for whatever is due first (an expiry, a feed retry, a tombstone to
 * prune, a socket to close). It remembers the time it last set, so most writes need no storage
 * call at all: the alarm is already sooner. One that fires early finds nothing due and is set for what is.
 */
export class AlarmSchedule {
  /** The alarm time this instance last set (null: none); undefined when not known. */
  private at: number | null | undefined;

  constructor(
    private readonly storage: DurableObjectStorage,
    /** The earliest instant something is due (null: nothing); only asked while the object holds data. */
    private readonly nextDue: () => number | null,
    /** false while the object holds nothing to wake for (it never wrote, or it was erased): then there is no alarm either. */
    private readonly holdsData: () => boolean,
  ) {}

  /** The alarm is running: it is no longer set, so whatever comes next must be set again. */
  fired(): void {
    this.at = undefined;
  }

  /** The object's storage was deleted, and the alarm with it. */
  forget(): void {
    this.at = null;
  }

  /** Makes the alarm fire no later than `due`. */
  async noLaterThan(due: number): Promise<void> {
    if (this.at === undefined) return this.arm();
    if (this.at !== null && this.at <= due) return;
    const next = Math.max(due, Date.now());
    await this.storage.setAlarm(next);
    this.at = next;
  }

  /** Sets the alarm to what is due first, or clears it when nothing is. */
  async arm(): Promise<void> {
    if (!this.holdsData()) return;
    const due = this.nextDue();
    // A time already past (an item sent expiring in 1600) is due now: workerd refuses an alarm
    // at or before 1970, and a past one would fire at once anyway.
    const next = due === null ? null : Math.max(due, Date.now());
    // Most writes leave the earliest expiry where it was: skip the storage write then.
    if (next === this.at) return;
    if (next === null) await this.storage.deleteAlarm();
    else await this.storage.setAlarm(next);
    // Recorded once set: a refused alarm must not pass for one that is set.
    this.at = next;
  }
}
