import { constants } from "node:fs";
import { open } from "node:fs/promises";
import path from "node:path";

/**
 * The text of `<dir>/<name>` if it is a regular file; null if it is missing or anything else.
 * O_NOFOLLOW and O_NONBLOCK: a link (to /dev/zero, a FIFO, a file elsewhere) planted in a bundle
 * is never followed or waited on; the integrity gate refuses such entries by name.
 */
export async function readBundleText(dir: string, name: string): Promise<string | null> {
  const handle = await open(path.join(dir, name), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK).catch(() => null);
  if (handle === null) return null;
  try {
    if (!(await handle.stat()).isFile()) return null;
    return await handle.readFile("utf8");
  } finally {
    await handle.close();
  }
}
