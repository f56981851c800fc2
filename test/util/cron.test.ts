import { describe, expect, test } from 'vitest';
import { type CronSchedule, longestGapMinutes, parseCronSchedule } from '../../lib/util/cron.js';

function schedule(text: string): CronSchedule {
  const parsed = parseCronSchedule(text);
  if ('error' in parsed) throw new Error(parsed.error);
  return parsed.schedule;
}

const errorOf = (text: string): string | undefined => {
  const parsed = parseCronSchedule(text);
  return 'error' in parsed ? parsed.error : undefined;
};

describe('parseCronSchedule', () => {
  test('values, ranges, steps, lists and names, as robfig/cron reads them', () => {
    const s = schedule('*/15 1-5/2 1,15 JAN-mar mon-FRI');
    expect([...s.minutes]).toEqual([0, 15, 30, 45]);
    expect([...s.hours]).toEqual([1, 3, 5]);
    expect([...s.daysOfMonth]).toEqual([1, 15]);
    expect([...s.months]).toEqual([1, 2, 3]);
    expect([...s.daysOfWeek]).toEqual([1, 2, 3, 4, 5]);
    expect([s.anyDayOfMonth, s.anyDayOfWeek]).toEqual([false, false]);
    expect([...schedule('5/20 * * * *').minutes]).toEqual([5, 25, 45]);
    expect(schedule('0 4 ? * *').anyDayOfMonth).toBe(true);
    // A stepped star is a restriction, not "any day".
    expect(schedule('0 0 */2 * *').anyDayOfMonth).toBe(false);
  });

  test('descriptors stand for their schedules', () => {
    expect(schedule('@daily')).toEqual(schedule('0 0 * * *'));
    expect(schedule('@weekly')).toEqual(schedule('0 0 * * 0'));
    expect(schedule('@hourly')).toEqual(schedule('0 * * * *'));
    expect(schedule('@yearly')).toEqual(schedule('0 0 1 1 *'));
  });

  test.each([
    ['0 4 * *', '4 fields instead of 5'],
    ['0 0 4 * * *', '6 fields instead of 5; a seconds field is not supported'],
    ['60 4 * * *', 'the minute field "60": 60 is outside 0-59'],
    ['0 24 * * *', 'the hour field "24": 24 is outside 0-23'],
    ['0 4 0 * *', 'the day of month field "0": 0 is outside 1-31'],
    ['0 4 * 13 *', 'the month field "13": 13 is outside 1-12'],
    ['0 4 * * 7', 'the day of week field "7": 7 is outside 0-6'],
    ['0 4 * * sunday', 'the day of week field "sunday": "sunday" is not a number or a name (SUN, MON, TUE, WED, THU, FRI, SAT)'],
    ['*/0 4 * * *', 'the minute field "*/0": the step of "*/0" is not a positive number'],
    ['0 5-1 * * *', 'the hour field "5-1": the range "5-1" goes backwards'],
    ['0 4,,5 * * *', 'the hour field "4,,5": "" is not a value, a range or a step'],
    ['@every 1h', '"@every" is not a calendar schedule; write the five fields'],
    ['@nightly', 'unknown descriptor; known: @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly'],
    ['TZ=Europe/Paris 0 4 * * *', 'a time zone in the schedule is refused by Kubernetes; schedules here are in UTC'],
  ])('rejects %j: %s', (text, error) => {
    expect(errorOf(text)).toBe(error);
  });
});

describe('longestGapMinutes', () => {
  test.each([
    ['0 4 * * *', 24 * 60],
    ['*/5 * * * *', 5],
    ['0 6 * * 0', 7 * 24 * 60],
    ['0 1,13 * * *', 12 * 60],
    ['0 4 * * 1-5', 3 * 24 * 60],
    ['0 0 1 * *', 31 * 24 * 60],
    // Day of month and day of week both restricted: either matches (the 1st, and every Monday).
    ['0 0 1 * 1', 7 * 24 * 60],
    ['0 0 29 2 *', 4 * 365 * 24 * 60 + 24 * 60],
  ])('%s waits at most %d minutes between runs', (text, minutes) => {
    expect(longestGapMinutes(schedule(text))).toBe(minutes);
  });

  test('is undefined for a schedule that never runs', () => {
    expect(longestGapMinutes(schedule('0 0 31 2 *'))).toBeUndefined();
    expect(longestGapMinutes(schedule('0 0 30 2 *'))).toBeUndefined();
  });
});
