/**
 * Cron schedules as a Kubernetes CronJob reads them, checked before the API server sees them.
 *
 * The kube-controller-manager parses `spec.schedule` with robfig/cron's standard parser: five
 * fields (minute, hour, day of month, month, day of week), each a `*` (or `?`), a number, a range
 * `a-b`, any of them with a step `/n`, or a comma-separated list of those; months and days of the
 * week may be named (`JAN`, `MON`, any case); `@yearly`, `@annually`, `@monthly`, `@weekly`,
 * `@daily`, `@midnight` and `@hourly` stand for the usual schedules. When both the day of month and
 * the day of week are restricted, a day matches if either does (Vixie cron's rule). A time zone
 * in the schedule (`TZ=…`, `CRON_TZ=…`) is refused by the API server: `spec.timeZone` says it.
 * @see https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/#schedule-syntax
 * @see https://pkg.go.dev/github.com/robfig/cron/v3#hdr-CRON_Expression_Format
 */

/** The five fields, as sets of the values at which the schedule fires. */
export interface CronSchedule {
  readonly minutes: ReadonlySet<number>;
  readonly hours: ReadonlySet<number>;
  readonly daysOfMonth: ReadonlySet<number>;
  readonly months: ReadonlySet<number>;
  /** 0 is Sunday. */
  readonly daysOfWeek: ReadonlySet<number>;
  /** The day-of-month field is `*` (or `?`): then a day must match both day fields, otherwise either. */
  readonly anyDayOfMonth: boolean;
  readonly anyDayOfWeek: boolean;
}

interface FieldSpec {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
}

const FIELDS: readonly FieldSpec[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'] },
  { name: 'day of week', min: 0, max: 6, names: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] },
];

/** The descriptors robfig/cron's standard parser accepts, as five-field schedules. */
const DESCRIPTORS: Readonly<Record<string, string>> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

/** Parses a schedule; returns it, or why it is not one (a fragment completing "got …, "). */
export function parseCronSchedule(text: string): { readonly schedule: CronSchedule } | { readonly error: string } {
  const trimmed = text.trim();
  if (/^(CRON_)?TZ=/.test(trimmed)) {
    return { error: 'a time zone in the schedule is refused by Kubernetes; schedules here are in UTC' };
  }
  if (trimmed.startsWith('@every')) {
    return { error: '"@every" is not a calendar schedule; write the five fields' };
  }
  const expanded = trimmed.startsWith('@') ? DESCRIPTORS[trimmed.toLowerCase()] : trimmed;
  if (expanded === undefined) {
    return { error: `unknown descriptor; known: ${Object.keys(DESCRIPTORS).join(', ')}` };
  }
  const parts = expanded.split(/\s+/).filter((part) => part !== '');
  if (parts.length !== FIELDS.length) {
    const hint = parts.length === 6 ? '; a seconds field is not supported' : '';
    return { error: `${parts.length} field${parts.length === 1 ? '' : 's'} instead of 5${hint}` };
  }
  const sets: Array<Set<number>> = [];
  const stars: boolean[] = [];
  for (const [index, spec] of FIELDS.entries()) {
    const field = parseField(parts[index]!, spec);
    if ('error' in field) {
      return { error: `the ${spec.name} field ${JSON.stringify(parts[index])}: ${field.error}` };
    }
    sets.push(field.values);
    stars.push(field.star);
  }
  return {
    schedule: {
      minutes: sets[0]!,
      hours: sets[1]!,
      daysOfMonth: sets[2]!,
      months: sets[3]!,
      daysOfWeek: sets[4]!,
      anyDayOfMonth: stars[2]!,
      anyDayOfWeek: stars[4]!,
    },
  };
}

function parseField(text: string, spec: FieldSpec): { readonly values: Set<number>; readonly star: boolean } | { readonly error: string } {
  const values = new Set<number>();
  let star = false;
  for (const item of text.split(',')) {
    const [range = '', stepText, extra] = item.split('/');
    if (extra !== undefined || range === '') {
      return { error: `${JSON.stringify(item)} is not a value, a range or a step` };
    }
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText) || Number(stepText) < 1) {
        return { error: `the step of ${JSON.stringify(item)} is not a positive number` };
      }
      step = Number(stepText);
    }
    let start: number;
    let end: number;
    if (range === '*' || range === '?') {
      [start, end] = [spec.min, spec.max];
      star ||= step === 1;
    } else {
      const bounds = range.split('-');
      if (bounds.length > 2) {
        return { error: `${JSON.stringify(range)} is not a range a-b` };
      }
      const parsed = bounds.map((bound) => value(bound, spec));
      const bad = parsed.find((entry) => typeof entry === 'string');
      if (typeof bad === 'string') {
        return { error: bad };
      }
      start = parsed[0] as number;
      // `n/step` runs from n to the end of the field.
      end = bounds.length === 2 ? parsed[1] as number : stepText !== undefined ? spec.max : start;
      if (start > end) {
        return { error: `the range ${JSON.stringify(range)} goes backwards` };
      }
    }
    for (let v = start; v <= end; v += step) {
      values.add(v);
    }
  }
  return { values, star };
}

/** A number or a name of the field, or why not. */
function value(text: string, spec: FieldSpec): number | string {
  const named = spec.names?.indexOf(text.toLowerCase()) ?? -1;
  if (named >= 0) {
    return named + spec.min;
  }
  if (!/^\d+$/.test(text)) {
    const names = spec.names ? ` or a name (${spec.names.map((n) => n.toUpperCase()).join(', ')})` : '';
    return `${JSON.stringify(text)} is not a number${names}`;
  }
  const number = Number(text);
  if (number < spec.min || number > spec.max) {
    return `${number} is outside ${spec.min}-${spec.max}`;
  }
  return number;
}

const MINUTES_PER_DAY = 1440;
const DAY_MS = 86_400_000;

/**
 * Days looked at by {@link longestGapMinutes}: 8 years from 2024-01-01, which hold two leap days
 * and every weekday of every date, so any schedule that runs at all runs in them.
 */
const WINDOW_START = Date.UTC(2024, 0, 1);
const WINDOW_DAYS = 8 * 365 + 2;

/**
 * The longest time, in minutes, between two consecutive runs of `schedule` (in UTC), or
 * `undefined` when it runs less than twice in eight years (`0 0 31 2 *` never runs at all).
 */
export function longestGapMinutes(schedule: CronSchedule): number | undefined {
  const timesOfDay = [...schedule.hours].sort((a, b) => a - b)
    .flatMap((hour) => [...schedule.minutes].sort((a, b) => a - b).map((minute) => hour * 60 + minute));
  let longest = 0;
  for (let i = 1; i < timesOfDay.length; i += 1) {
    longest = Math.max(longest, timesOfDay[i]! - timesOfDay[i - 1]!);
  }
  let runs = 0;
  let previousLast: number | undefined;
  for (let day = 0; day < WINDOW_DAYS; day += 1) {
    const date = new Date(WINDOW_START + day * DAY_MS);
    const dom = schedule.daysOfMonth.has(date.getUTCDate());
    const dow = schedule.daysOfWeek.has(date.getUTCDay());
    const dayMatches = schedule.anyDayOfMonth || schedule.anyDayOfWeek ? dom && dow : dom || dow;
    if (!dayMatches || !schedule.months.has(date.getUTCMonth() + 1)) {
      continue;
    }
    const first = day * MINUTES_PER_DAY + timesOfDay[0]!;
    if (previousLast !== undefined) {
      longest = Math.max(longest, first - previousLast);
    }
    previousLast = day * MINUTES_PER_DAY + timesOfDay[timesOfDay.length - 1]!;
    runs += timesOfDay.length;
  }
  return runs < 2 ? undefined : longest;
}
