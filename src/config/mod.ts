/**
 * Configuration: the TOML file and SONiC's database_config.json.
 * @module
 */

export * from "./errors.ts";
export * from "./text.ts";
export * from "./json_syntax.ts";
export * from "./schema.ts";
export * from "./load.ts";
export * from "./db_config.ts";
