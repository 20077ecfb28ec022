/**
 * Syntax tree -> closure tree. Types are checked here, once: every node is
 * either a timestamp or a range, and a range's unit is known statically.
 * Timestamp closures return plain microseconds (`NaN` when a variable is
 * missing), so fixed-duration arithmetic allocates nothing; only the final
 * Instant or TimeRange is allocated.
 */
import { FIXED_UNIT_MICROS } from '../model/duration.js';
import {
  Instant,
  US_PER_DAY,
  US_PER_HOUR,
  US_PER_MINUTE,
  US_PER_SECOND,
  type Micros,
} from '../model/instant.js';
import {
  addMonths,
  addUnits,
  floorTo,
  replaceParts,
  unitsToContain,
  type RangeUnit,
  type Replacement,
} from './calendar.js';
import { TimexSyntaxError } from './errors.js';
import type { DurationNode, DurationTerm, Node, Span } from './parser.js';
import { TimeRange } from './time-range.js';

/** Values for an expression's variables, keyed without the `$`. */
export type TimexVariables = Readonly<Record<string, Instant | undefined>>;

type TimestampFn = (vars: TimexVariables, now: Instant | undefined) => Micros;
type RangeFn = (vars: TimexVariables, now: Instant | undefined) => TimeRange | undefined;

export type Compiled =
  { kind: 'timestamp'; fn: TimestampFn } | { kind: 'range'; fn: RangeFn; unit: RangeUnit | undefined };

/** Shortest length of each range unit; a shift at least this long is not "shorter than the unit". */
const UNIT_MIN_US: Readonly<Record<RangeUnit, Micros>> = {
  hour: US_PER_HOUR,
  day: US_PER_DAY,
  month: 28 * US_PER_DAY,
  year: 365 * US_PER_DAY,
};

type Field = keyof Replacement;

const FIELD_OF_UNIT = {
  y: 'year',
  mo: 'month',
  d: 'day',
  h: 'hour',
  m: 'minute',
  s: 'second',
  us: 'micro',
} as const satisfies Record<string, Field>;

const FIELD_RANK: Readonly<Record<Field, number>> = {
  year: 0,
  month: 1,
  day: 2,
  hour: 3,
  minute: 4,
  second: 5,
  micro: 6,
};

const FIELD_LIMITS: Readonly<Record<Field, readonly [number, number]>> = {
  year: [1, 9999],
  month: [1, 12],
  day: [1, 31],
  hour: [0, 23],
  minute: [0, 59],
  second: [0, 59],
  micro: [0, 999_999],
};

/** The component a unit-less number sets (`@`) or counts (`+`, `-`) on a range of each unit. */
const FINER_FIELD: Readonly<Record<RangeUnit, 'month' | 'day' | 'hour' | 'minute'>> = {
  hour: 'minute',
  day: 'hour',
  month: 'day',
  year: 'month',
};

const FIELD_US: Readonly<Record<Exclude<Field, 'year' | 'month'>, Micros>> = {
  day: US_PER_DAY,
  hour: US_PER_HOUR,
  minute: US_PER_MINUTE,
  second: US_PER_SECOND,
  micro: 1,
};

interface AddSpec {
  months: number;
  fixedUs: Micros;
  /** Sum of the unit-less terms, if any. */
  bare: number | undefined;
}

/** The unit a unit-less number means on a range of this length (for `a to b` ranges). */
function finerUnitUs(lengthUs: Micros): { months: number; us: Micros } {
  const len = Math.abs(lengthUs);
  if (len >= 365 * US_PER_DAY) return { months: 1, us: 0 };
  if (len >= 28 * US_PER_DAY) return { months: 0, us: US_PER_DAY };
  if (len >= US_PER_DAY) return { months: 0, us: US_PER_HOUR };
  if (len >= US_PER_HOUR) return { months: 0, us: US_PER_MINUTE };
  if (len >= US_PER_MINUTE) return { months: 0, us: US_PER_SECOND };
  return { months: 0, us: 1 };
}

/** A range of `unit` starting at `begin`; slid by whole units to contain `pin` when given. */
function placeUnitRange(begin: Micros, unit: RangeUnit, pin: Instant | undefined): TimeRange {
  if (pin === undefined) {
    return new TimeRange(new Instant(begin), new Instant(addUnits(begin, unit, 1)), unit);
  }
  const k = unitsToContain(begin, unit, pin.us);
  return new TimeRange(
    new Instant(addUnits(begin, unit, k)),
    new Instant(addUnits(begin, unit, k + 1)),
    unit,
    pin,
  );
}

export class Compiler {
  readonly variables: string[] = [];

  constructor(
    private readonly src: string,
    private readonly label: string | undefined,
  ) {}

  private fail(problem: string, at: Span, hint?: string): never {
    throw new TimexSyntaxError(this.src, problem, at.start + 1, {
      label: this.label,
      length: at.end - at.start,
      ...(hint === undefined ? {} : { hint }),
    });
  }

  private text(at: Span): string {
    return this.src.slice(at.start, at.end);
  }

  private use(name: string): void {
    if (!this.variables.includes(name)) this.variables.push(name);
  }

  compile(node: Node): Compiled {
    switch (node.kind) {
      case 'var':
        return { kind: 'timestamp', fn: this.variable(node.name) };
      case 'unit-range':
        return this.unitRange(node.unit, node.arg);
      case 'to':
        return this.to(node.from, node.to);
      case 'shift':
        return this.shift(node.op, node.target, node.duration);
    }
  }

  private variable(name: string): TimestampFn {
    this.use(name);
    if (name === 'timestamp') {
      return (vars, now) => {
        const us = vars['timestamp']?.us;
        return us !== undefined ? us : (now ?? Instant.now()).us;
      };
    }
    return (vars) => {
      // `?.us` is undefined for anything that is not an Instant (even inherited keys).
      const us = vars[name]?.us;
      return us === undefined ? NaN : us;
    };
  }

  private timestampOperand(node: Node, role: string, hint: string): TimestampFn {
    const c = this.compile(node);
    if (c.kind !== 'timestamp')
      this.fail(`expected a timestamp ${role}, found the range '${this.text(node)}'`, node, hint);
    return c.fn;
  }

  private unitRange(unit: RangeUnit, arg: Node | undefined): Compiled {
    const at =
      arg === undefined
        ? this.variable('timestamp')
        : this.timestampOperand(
            arg,
            `inside ${unit}(...)`,
            `${unit}(...) takes a timestamp such as $start or $start + 1h`,
          );
    let fn: RangeFn;
    if (unit === 'hour' || unit === 'day') {
      const size = unit === 'hour' ? US_PER_HOUR : US_PER_DAY;
      fn = (vars, now) => {
        const us = at(vars, now);
        if (us !== us) return undefined;
        const begin = Math.floor(us / size) * size;
        return new TimeRange(new Instant(begin), new Instant(begin + size), unit, new Instant(us));
      };
    } else {
      fn = (vars, now) => {
        const us = at(vars, now);
        if (us !== us) return undefined;
        const begin = floorTo(us, unit);
        return new TimeRange(
          new Instant(begin),
          new Instant(addUnits(begin, unit, 1)),
          unit,
          new Instant(us),
        );
      };
    }
    return { kind: 'range', fn, unit };
  }

  private to(fromNode: Node, toNode: Node): Compiled {
    const hint = "'a to b' takes two timestamps; a range such as day can be shifted or replaced, not joined";
    const from = this.timestampOperand(fromNode, "before 'to'", hint);
    const to = this.timestampOperand(toNode, "after 'to'", hint);
    return {
      kind: 'range',
      unit: undefined,
      fn: (vars, now) => {
        const a = from(vars, now);
        const b = to(vars, now);
        if (a !== a || b !== b) return undefined;
        return new TimeRange(new Instant(a), new Instant(b));
      },
    };
  }

  private shift(op: '+' | '-' | '@', targetNode: Node, duration: DurationNode): Compiled {
    const target = this.compile(targetNode);
    if (op === '@') return this.replace(target, duration);
    const sign = op === '+' ? 1 : -1;
    const spec = this.addSpec(duration);
    if (target.kind === 'timestamp') {
      if (spec.bare !== undefined) this.bareOnTimestamp(duration);
      const t = target.fn;
      const months = sign * spec.months;
      const delta = sign * spec.fixedUs;
      const fn: TimestampFn =
        months === 0
          ? (vars, now) => t(vars, now) + delta
          : (vars, now) => {
              const us = t(vars, now);
              return us !== us ? NaN : addMonths(us, months) + delta;
            };
      return { kind: 'timestamp', fn };
    }
    const r = target.fn;
    const unit = target.unit;
    if (unit === undefined) {
      // An `a to b` range: both ends move; a unit-less number's unit follows the length.
      const { bare } = spec;
      return {
        kind: 'range',
        unit,
        fn: (vars, now) => {
          const range = r(vars, now);
          if (range === undefined) return undefined;
          let months = spec.months;
          let fixed = spec.fixedUs;
          if (bare !== undefined) {
            const finer = finerUnitUs(range.end.us - range.begin.us);
            months += bare * finer.months;
            fixed += bare * finer.us;
          }
          const move = (us: Micros): Instant => new Instant(addMonths(us, sign * months) + sign * fixed);
          return new TimeRange(move(range.begin.us), move(range.end.us));
        },
      };
    }
    let months = spec.months;
    let fixed = spec.fixedUs;
    if (spec.bare !== undefined) {
      const field = FINER_FIELD[unit];
      if (field === 'month') months += spec.bare;
      else fixed += spec.bare * FIELD_US[field];
    }
    const long =
      months >= (unit === 'year' ? 12 : 1) || months * 28 * US_PER_DAY + fixed >= UNIT_MIN_US[unit];
    const sm = sign * months;
    const sf = sign * fixed;
    return {
      kind: 'range',
      unit,
      fn: (vars, now) => {
        const range = r(vars, now);
        if (range === undefined) return undefined;
        const begin = addMonths(range.begin.us, sm) + sf;
        return placeUnitRange(begin, unit, long ? undefined : range.pinnedTo);
      },
    };
  }

  private replace(target: Compiled, duration: DurationNode): Compiled {
    const unit = target.kind === 'range' ? target.unit : undefined;
    const rep = this.replacement(duration, unit, target.kind);
    if (target.kind === 'timestamp') {
      const t = target.fn;
      return {
        kind: 'timestamp',
        fn: (vars, now) => {
          const us = t(vars, now);
          return us !== us ? NaN : replaceParts(us, rep);
        },
      };
    }
    const r = target.fn;
    if (unit === undefined) {
      return {
        kind: 'range',
        unit,
        fn: (vars, now) => {
          const range = r(vars, now);
          if (range === undefined) return undefined;
          return new TimeRange(
            new Instant(replaceParts(range.begin.us, rep)),
            new Instant(replaceParts(range.end.us, rep)),
          );
        },
      };
    }
    const unitRank = FIELD_RANK[unit];
    const short = (Object.keys(rep) as Field[]).every((f) => FIELD_RANK[f] > unitRank);
    return {
      kind: 'range',
      unit,
      fn: (vars, now) => {
        const range = r(vars, now);
        if (range === undefined) return undefined;
        return placeUnitRange(replaceParts(range.begin.us, rep), unit, short ? range.pinnedTo : undefined);
      },
    };
  }

  private bareOnTimestamp(duration: DurationNode): never {
    const term = duration.terms.find((t) => t.unit === undefined) as DurationTerm;
    this.fail(
      'a number without a unit needs a range',
      term,
      `on a timestamp write a unit, e.g. ${term.text}h; unit-less numbers work on hour, day, month, year and 'a to b' ranges`,
    );
  }

  private addSpec(duration: DurationNode): AddSpec {
    let months = 0;
    let fixed = 0;
    let bare: number | undefined;
    for (const term of duration.terms) {
      const { unit, value } = term;
      if (unit === undefined) {
        if (!Number.isInteger(value)) {
          this.fail(`a number without a unit must be whole, got ${term.text}`, term);
        }
        bare = (bare ?? 0) + value;
      } else if (unit === 'mo' || unit === 'y') {
        if (!Number.isInteger(value)) {
          this.fail(
            `months and years must be whole numbers, got ${term.text}`,
            term,
            unit === 'mo' ? 'use days for fractions of a month' : 'use months for fractions of a year',
          );
        }
        months += unit === 'y' ? 12 * value : value;
      } else {
        fixed += value * FIXED_UNIT_MICROS[unit];
      }
    }
    return { months, fixedUs: Math.round(fixed), bare };
  }

  private replacement(
    duration: DurationNode,
    unit: RangeUnit | undefined,
    kind: 'timestamp' | 'range',
  ): Replacement {
    const rep: Replacement = {};
    for (const term of duration.terms) {
      let field: Field;
      if (term.unit === undefined) {
        if (kind === 'timestamp') {
          this.fail(
            `a number without a unit needs a range`,
            term,
            `on a timestamp write e.g. @ ${term.text}h`,
          );
        }
        if (unit === undefined) {
          this.fail(
            `a number without a unit needs a range of known unit after '@'`,
            term,
            `on an 'a to b' range write the unit, e.g. @ ${term.text}h`,
          );
        }
        field = FINER_FIELD[unit];
      } else {
        field = FIELD_OF_UNIT[term.unit];
      }
      if (rep[field] !== undefined) this.fail(`'@' sets the ${field} twice`, term);
      const [min, max] = FIELD_LIMITS[field];
      if (!Number.isInteger(term.value) || term.value < min || term.value > max) {
        this.fail(`'@' needs a ${field} from ${min} to ${max}, got ${term.text}`, term);
      }
      rep[field] = term.value;
    }
    return rep;
  }
}
