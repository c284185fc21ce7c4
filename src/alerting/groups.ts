/**
 * The engine's index: the enabled rules of one metric as a
 * {@linkcode RuleGroup}, with what the hot loop needs kept in typed arrays
 * (condition code, thresholds, whether the rule holds an alert), so that a
 * rule with no alert whose condition does not hold is passed over without
 * touching its objects; and the group's last read of its metric, so that a
 * read equal to the last one, with nothing due in time, is known to change
 * nothing.
 * @module
 */

import type { RuleEntry, Slot } from "./slots.ts";
import type { AlertRule, MetricReader } from "./types.ts";

/** `above`: value > a. */
export const ABOVE = 0;
/** `below`: value < a. */
export const BELOW = 1;
/** `equals`: |value - a| <= b. */
export const EQUALS = 2;
/** `between`: a <= value <= b. */
export const BETWEEN = 3;
/** `rate_of_change`: never passed over. */
export const RATE = 4;

/** The code of a rule's condition. */
export function conditionCode(rule: AlertRule): number {
  switch (rule.condition) {
    case "above":
      return ABOVE;
    case "below":
      return BELOW;
    case "equals":
      return EQUALS;
    case "between":
      return BETWEEN;
  }
  return RATE;
}

/** `RuleGroup.deadlines` index: the earliest alert deadline. */
export const DUE = 0;
/** `RuleGroup.deadlines` index: the earliest rate window deadline. */
export const WINDOWS = 1;

/** Last read: nothing usable (not read yet, or it failed: every series clear). */
export const READ_NONE = 0;
/** Last read: an unlabelled value, in `single`. */
export const READ_SINGLE = 1;
/** Last read: `count` per-port series in `ports`/`values`, maybe an unlabelled one. */
export const READ_SERIES = 2;

/**
 * The rules of one metric, in rule order, and the last read of the metric.
 * `valid` says that every rule of the group was last evaluated against
 * exactly the read held here (a rule evaluated alone, by `tick` or a rule
 * change, clears it).
 */
export class RuleGroup {
  /** The metric. */
  readonly metric: string;
  /** The rules. */
  readonly entries: RuleEntry[];
  /** Condition code per rule. */
  readonly codes: Uint8Array;
  /** threshold (above, below, equals) or min (between), per rule. */
  readonly a: Float64Array;
  /** epsilon (equals) or max (between), per rule. */
  readonly b: Float64Array;
  /** 1 when the rule holds an alert (it must be evaluated), per rule. */
  readonly busy: Uint8Array;

  /** True when every rule was last evaluated against this read. */
  valid = false;
  /** What the last read gave. */
  kind: number = READ_NONE;

  /** `Series`: the series with a port label, in order. */
  readonly ports: string[] = [];
  /** `Series`: their values. */
  readonly values: number[] = [];
  /** `Series`: how many of `ports`/`values` are in use. */
  count = 0;
  /** `Series`: whether a series without a port label came (the first counts). */
  hasUnlabelled = false;
  // The read's numbers are kept as the reader gave them (tagged fields:
  // storing a double in a double-represented field allocates a new box).
  /** `READ_SERIES`: that series' value. */
  unlabelled: number | undefined = undefined;
  /** The unlabelled value (`READ_SINGLE`). */
  single: number | undefined = undefined;
  /**
   * `[DUE]`: no alert of the group is due (`for` or `keep_firing_for`
   * ending) before this time: exact after a full evaluation, lowered when
   * one is timed. `[WINDOWS]`: the earliest deadline of the group's rate
   * windows at the last evaluation. (A typed array: stores never box.)
   */
  readonly deadlines: Float64Array = new Float64Array([Infinity, Infinity]);
  /** `Series`: per series, the column of its port, or -1 (`mapColumns`). */
  readonly readColumns: number[] = [];
  // Alerts by port, found without hashing: a column per port that has (or
  // had, until the next compaction) an alert, with a cell per rule, all in
  // one array (cell of rule i in column c: c * rules + i).
  #columns = new Map<string, number>();
  #cells: (Slot | undefined)[] = [];
  #placed = 0;
  // A series read in progress: differs so far, next index, unlabelled seen.
  #changed = false;
  #next = 0;
  #sawUnlabelled = false;
  readonly #addEntry = (value: number, port: string): void =>
    this.#add(port, value);

  /** Indexes `entries` (all of `metric`), pointing each at the group. */
  constructor(metric: string, entries: RuleEntry[]) {
    this.metric = metric;
    this.entries = entries;
    const size = entries.length;
    this.codes = new Uint8Array(size);
    this.a = new Float64Array(size);
    this.b = new Float64Array(size);
    this.busy = new Uint8Array(size);
    for (let i = 0; i < size; i++) {
      const entry = entries[i];
      const rule = entry.rule;
      entry.group = this;
      entry.index = i;
      this.codes[i] = conditionCode(rule);
      this.a[i] = rule.condition === "between" ? rule.min : rule.threshold;
      this.b[i] = rule.condition === "between" ? rule.max : rule.epsilon;
      this.busy[i] = entry.holdsAlerts() ? 1 : 0;
      for (const slot of entry.slots()) {
        if (slot.timed) {
          this.deadlines[DUE] = Math.min(this.deadlines[DUE], slot.deadline);
        }
        if (slot.port !== null) this.place(slot);
      }
    }
  }

  /** Finds the column of each series of the held read (before evaluating). */
  mapColumns(): void {
    const count = this.kind === READ_SERIES ? this.count : 0;
    const readColumns = this.readColumns;
    if (readColumns.length !== count) readColumns.length = count;
    const columns = this.#columns;
    for (let j = 0; j < count; j++) {
      readColumns[j] = columns.size === 0
        ? -1
        : columns.get(this.ports[j]) ?? -1;
    }
  }

  /** The alert of rule `i` for series `j` of the held read, if any. */
  slotAt(i: number, j: number): Slot | undefined {
    const column = this.readColumns[j];
    return column < 0 ? undefined : this.#cells[column * this.codes.length + i];
  }

  /** Files a new alert by port of one of the group's rules. */
  place(slot: Slot): void {
    const port = slot.port!;
    let column = this.#columns.get(port);
    const rules = this.codes.length;
    if (
      column === undefined && this.#columns.size > 2 * this.#placed + 64
    ) {
      // Files every listed alert again, this one included.
      this.#compact();
      return;
    }
    if (column === undefined) {
      column = this.#columns.size;
      this.#columns.set(port, column);
      for (let i = 0; i < rules; i++) this.#cells.push(undefined);
      const readColumns = this.readColumns;
      for (let j = 0; j < readColumns.length; j++) {
        if (this.ports[j] === port) readColumns[j] = column;
      }
    }
    this.#cells[column * rules + slot.entry.index] = slot;
    slot.column = column;
    this.#placed++;
  }

  /** Takes an alert by port out of its column. */
  remove(slot: Slot): void {
    if (slot.column < 0) return;
    this.#cells[slot.column * this.codes.length + slot.entry.index] = undefined;
    slot.column = -1;
    this.#placed--;
  }

  /** Drops the columns of ports with no alert left. */
  #compact(): void {
    this.#columns = new Map();
    this.#cells = [];
    this.#placed = 0;
    for (const entry of this.entries) {
      for (let slot = entry.first; slot !== null; slot = slot.next) {
        slot.column = -1;
        this.place(slot);
      }
    }
    this.mapColumns();
  }

  /**
   * True when rule `i` may make a change against the held read: it holds an
   * alert, is a rate rule, or its condition holds for some value read.
   */
  mayChange(i: number): boolean {
    const code = this.codes[i];
    if (code === RATE || this.busy[i] !== 0) return true;
    const a = this.a[i];
    const b = this.b[i];
    if (this.kind === READ_SINGLE) return holds(code, a, b, this.single!);
    if (this.kind !== READ_SERIES) return false;
    if (this.hasUnlabelled && holds(code, a, b, this.unlabelled!)) return true;
    const values = this.values;
    for (let j = 0; j < this.count; j++) {
      if (holds(code, a, b, values[j])) return true;
    }
    return false;
  }

  /** Notes that rule `entry` now holds an alert or none. */
  updateBusy(entry: RuleEntry): void {
    this.busy[entry.index] = entry.holdsAlerts() ? 1 : 0;
  }

  /**
   * Reads the metric from `reader`: an unlabelled value (`value`), the
   * per-port map (`byPort`), or the series. True when the read differs
   * from the last one. Throws what the reader throws.
   */
  read(reader: MetricReader): boolean {
    const value = reader.value === undefined
      ? undefined
      : reader.value(this.metric);
    if (value !== undefined) return this.#setSingle(value);
    const ports = reader.byPort === undefined
      ? undefined
      : reader.byPort(this.metric);
    this.#beginSeries();
    try {
      if (ports !== undefined) {
        ports.forEach(this.#addEntry);
      } else {
        for (const sample of reader.series(this.metric)) {
          const port = sample.labels.port;
          if (port === undefined) this.#addUnlabelled(sample.value);
          else this.#add(port, sample.value);
        }
      }
    } finally {
      this.#endSeries();
    }
    return this.#changed;
  }

  #beginSeries(): void {
    this.#changed = this.kind !== READ_SERIES;
    this.kind = READ_SERIES;
    this.#next = 0;
    this.#sawUnlabelled = false;
  }

  #add(port: string, value: number): void {
    const j = this.#next++;
    if (j < this.count) {
      if (this.ports[j] !== port || !same(this.values[j], value)) {
        this.#changed = true;
        this.ports[j] = port;
        this.values[j] = value;
      }
      return;
    }
    this.#changed = true;
    this.ports[j] = port;
    this.values[j] = value;
  }

  /** Only the first series without a port label counts. */
  #addUnlabelled(value: number): void {
    if (this.#sawUnlabelled) return;
    this.#sawUnlabelled = true;
    if (!this.hasUnlabelled || !same(this.unlabelled!, value)) {
      this.#changed = true;
    }
    this.unlabelled = value;
  }

  #endSeries(): void {
    if (this.#next !== this.count) {
      this.#changed = true;
      this.count = this.#next;
      this.ports.length = this.count;
      this.values.length = this.count;
    }
    if (this.#sawUnlabelled !== this.hasUnlabelled) this.#changed = true;
    this.hasUnlabelled = this.#sawUnlabelled;
  }

  #setSingle(value: number): boolean {
    const changed = this.kind !== READ_SINGLE ||
      !same(this.single!, value);
    this.kind = READ_SINGLE;
    this.single = value;
    return changed;
  }

  /** Holds a failed read: no series at all. */
  setNone(): void {
    this.kind = READ_NONE;
    this.count = 0;
    this.ports.length = 0;
    this.values.length = 0;
    this.hasUnlabelled = false;
    this.valid = false;
  }
}

/**
 * `Object.is` for numbers.
 */
function same(a: number, b: number): boolean {
  if (a === b) return a !== 0 || 1 / a === 1 / b;
  return a !== a && b !== b;
}

/**
 * Whether condition `code` (not RATE) holds for `value`, with the rule's
 * `a` and `b` of {@linkcode RuleGroup}: `conditionHolds` on the arrays.
 */
export function holds(
  code: number,
  a: number,
  b: number,
  value: number,
): boolean {
  switch (code) {
    case ABOVE:
      return value > a;
    case BELOW:
      return value < a;
    case EQUALS:
      return Math.abs(value - a) <= b;
    case BETWEEN:
      return value >= a && value <= b;
  }
  return false;
}
