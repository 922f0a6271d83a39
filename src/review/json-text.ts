/** Depth up to which V8's recursive JSON.stringify is safe with room to spare (it fails near 9,000). */
const NATIVE_DEPTH_LIMIT = 1_000;

/**
 * Compact JSON for any depth. Values terraform got from `jsondecode` can nest as deep as memory
 * allows; JSON.stringify recurses, so past NATIVE_DEPTH_LIMIT an explicit stack takes over.
 */
export function stringifyJson(value: unknown, depth = measureDepth(value)): string {
  if (depth <= NATIVE_DEPTH_LIMIT) return JSON.stringify(value);
  const parts: string[] = [];
  // A frame is either text to emit or a value to serialise; pushed in reverse so they pop in order.
  const stack: Array<{ text: string } | { value: unknown }> = [{ value }];
  for (let frame = stack.pop(); frame; frame = stack.pop()) {
    if ("text" in frame) {
      parts.push(frame.text);
      continue;
    }
    const current = frame.value;
    if (Array.isArray(current)) {
      stack.push({ text: "]" });
      for (let i = current.length - 1; i >= 0; i -= 1) {
        const item: unknown = current[i];
        stack.push({ value: item === undefined || typeof item === "function" ? null : item });
        if (i > 0) stack.push({ text: "," });
      }
      parts.push("[");
    } else if (typeof current === "object" && current !== null) {
      const entries = Object.entries(current).filter(([, item]) => item !== undefined && typeof item !== "function");
      stack.push({ text: "}" });
      for (let i = entries.length - 1; i >= 0; i -= 1) {
        const [key, item] = entries[i] as [string, unknown];
        stack.push({ value: item });
        stack.push({ text: `${i > 0 ? "," : ""}${JSON.stringify(key)}:` });
      }
      parts.push("{");
    } else {
      parts.push(JSON.stringify(current) ?? "null");
    }
  }
  return parts.join("");
}

/** Nesting depth of a JSON value, without recursion. */
export function measureDepth(value: unknown): number {
  let deepest = 0;
  const stack: Array<[unknown, number]> = [[value, 0]];
  for (let item = stack.pop(); item; item = stack.pop()) {
    const [current, depth] = item;
    if (typeof current !== "object" || current === null) continue;
    deepest = Math.max(deepest, depth + 1);
    for (const child of Array.isArray(current) ? current : Object.values(current)) {
      if (typeof child === "object" && child !== null) stack.push([child, depth + 1]);
    }
  }
  return deepest;
}
