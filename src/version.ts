/**
 * portsyncd's version: one source, `deno.json`, for `--version` and
 * `portsyncd_build_info`.
 * @module
 */

import denoJson from "../deno.json" with { type: "json" };

/** portsyncd's version, from deno.json. */
export const VERSION: string = denoJson.version;
