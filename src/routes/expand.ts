import type { Caller } from "../auth/verify-token";
import { callObject } from "../graph/call-object";
import { selectProperties } from "../graph/odata";
import { limits } from "../limits";
import { activityObject } from "../objects/addresses";
import { type ActivityResource, toActivityResource } from "../schemas/activity";
import { toHistoryItemResource } from "../schemas/history-item";
import type { Expansion } from "../schemas/query";

/** Activities whose items are read at once, in parallel, while an expanded page is filled. */
const EXPAND_BATCH = 20;

/** One entry of a page that expands: the activity to read with its items (null: none to read), and what the page shows for it. */
export interface ExpandSlot<Entry> {
  id: string | null;
  /** The entry, given the activity with its items (null: it was deleted or expired since it was listed, or there was none to read); null leaves it out. */
  entry: (expanded: ActivityResource | null) => Entry | null;
}

/**
 * A page's entries with their activities' (selected) items, read from each activity's object (which
 * also has the freshest activity), a batch at a time and only while the page stays within
 * limits.pageChars: a page cut short continues at `cursorsAfter` of its last entry. The first entry
 * is always included.
 */
export async function expandPage<Entry>(
  env: Env,
  caller: Caller,
  slots: ExpandSlot<Entry>[],
  expand: Expansion,
  page: { cursorsAfter: string[]; nextCursor: string | null },
): Promise<{ value: Entry[]; nextCursor: string | null }> {
  const items = { range: expand.range, top: limits.historyItemsPerExpand };
  const value: Entry[] = [];
  let chars = 0;
  for (let start = 0; start < slots.length; start += EXPAND_BATCH) {
    const batch = slots.slice(start, start + EXPAND_BATCH);
    const found = await Promise.all(
      batch.map((slot) =>
        slot.id === null ? null : callObject(activityObject(env, caller, slot.id), (object) => object.getActivity(items)),
      ),
    );
    for (const [k, expanded] of found.entries()) {
      const resource = expanded && {
        ...toActivityResource(expanded.activity),
        historyItems: (expanded.historyItems ?? []).map((item) => selectProperties(toHistoryItemResource(item), expand.select)),
      };
      const entry = batch[k]!.entry(resource);
      if (entry === null) continue;
      chars += JSON.stringify(entry).length;
      if (value.length > 0 && chars > limits.pageChars) return { value, nextCursor: page.cursorsAfter[start + k - 1]! };
      value.push(entry);
    }
  }
  return { value, nextCursor: page.nextCursor };
}
