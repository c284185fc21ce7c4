/**
 * The daemon's log level, from three places: CONFIG_DB `LOGGER|portsyncd`
 * `LOGLEVEL` (what `swssloglevel` and `config loglevel` write) while it is
 * set, else `--log-level`, else the config file (those two are already
 * merged into the settings' `[log] level`). CONFIG_DB is followed live.
 * @module
 */

import {
  type ConfigFollower,
  followConfigTables,
} from "../alerting/config_follower.ts";
import { type LogLevel, parseSonicLevel } from "../log/levels.ts";
import type { ControlledLogger } from "../log/mod.ts";
import type { Database } from "../store/types.ts";

/** The CONFIG_DB table SONiC's log levels live in. */
export const LOGGER_TABLE = "LOGGER";
/** This daemon's key in it. */
export const LOGGER_KEY = "portsyncd";

/** Keeps the logger at CONFIG_DB's level when set, else the settings'. */
export class LogLevelControl {
  readonly #log: ControlledLogger;
  #base: LogLevel;
  #fromDb: LogLevel | null = null;
  /** The last unknown CONFIG_DB value logged (logged once until it changes). */
  #reported: string | null = null;

  /** `base` is the settings' level (`--log-level`, else the file). */
  constructor(log: ControlledLogger, base: LogLevel) {
    this.#log = log;
    this.#base = base;
    log.setLevel(base);
  }

  /** The level in effect. */
  get level(): LogLevel {
    return this.#log.level;
  }

  /** Sets the settings' level (after a reload). */
  setBase(level: LogLevel): void {
    this.#base = level;
    this.#apply("the configuration");
  }

  /**
   * Sets CONFIG_DB's `LOGLEVEL` (undefined: absent). An unknown value is
   * logged once and counts as absent.
   */
  setFromConfigDb(value: string | undefined): void {
    const level = value === undefined ? null : parseSonicLevel(value);
    this.#fromDb = level;
    this.#apply(`CONFIG_DB ${LOGGER_TABLE}|${LOGGER_KEY}`);
    // After the level fell back, so that the line shows.
    if (level !== null || value === undefined) {
      this.#reported = null;
    } else if (this.#reported !== value) {
      this.#reported = value;
      this.#log.warn(
        `CONFIG_DB ${LOGGER_TABLE}|${LOGGER_KEY} LOGLEVEL: unknown level ignored`,
        {
          value,
          known: "EMERG ALERT CRIT ERROR WARN WARNING NOTICE INFO DEBUG",
        },
      );
    }
  }

  #apply(cause: string): void {
    const next = this.#fromDb ?? this.#base;
    if (next === this.#log.level) return;
    const line = `log level ${next} (was ${this.#log.level}), from ${
      this.#fromDb !== null ? cause : "the configuration"
    }`;
    // Written at notice by whichever of the two levels shows it.
    const before = this.#log.enabled("notice");
    if (before) this.#log.notice(line);
    this.#log.setLevel(next);
    if (!before) this.#log.notice(line);
  }
}

/**
 * Follows CONFIG_DB `LOGGER|portsyncd` into `control` (keyspace
 * notifications, or polling when they are off), starting with a read.
 *
 * @example
 * ```ts ignore
 * const follower = await followLogLevel(control, { config, log });
 * ```
 */
export async function followLogLevel(
  control: LogLevelControl,
  options: { config: Database; log: ControlledLogger },
): Promise<ConfigFollower> {
  return await followConfigTables({
    config: options.config,
    tables: [LOGGER_TABLE],
    onChange(contents) {
      const fields = contents.get(LOGGER_TABLE)?.get(LOGGER_KEY);
      control.setFromConfigDb(fields?.LOGLEVEL);
    },
    log: options.log,
  });
}
