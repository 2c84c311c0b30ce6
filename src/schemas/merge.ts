const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === "object" && !Array.isArray(value);

/**
 * Applies a PATCH body to a stored resource, both JSON: each property the patch names replaces
 * the stored one and null removes it; where both sides are objects at a path listed in
 * `memberwise` (Graph's typed complex values, such as `visualElements`), they merge member by
 * member under the same rules. Anything else, free JSON included, is replaced whole.
 */
export function mergePatch(stored: unknown, patch: unknown, memberwise: readonly string[], path = ""): unknown {
  if (!isObject(stored) || !isObject(patch)) return patch;
  const merged: Record<string, unknown> = { ...stored };
  for (const [name, value] of Object.entries(patch)) {
    const at = path ? `${path}.${name}` : name;
    if (value === null) {
      delete merged[name];
      continue;
    }
    const next = memberwise.includes(at) ? mergePatch(merged[name], value, memberwise, at) : value;
    // Defined, not assigned, so that a member named __proto__ stays a member (and is refused as one).
    Object.defineProperty(merged, name, { value: next, enumerable: true, writable: true, configurable: true });
  }
  return merged;
}
