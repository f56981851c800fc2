/**
 * Rules of the platform's own jobs (the backups, the AppRole rotation): their CronJob schedules and
 * their pinned images. Apart from both sections' checks, which each use them.
 */
import { longestGapMinutes, parseCronSchedule } from '../util/cron.js';
import { expectedGot, type Rule } from './rules.js';

/** What a cron schedule is, completing "expected …". */
export const CRON_SCHEDULE_EXPECTED = 'a cron schedule of 5 fields (minute hour day-of-month month day-of-week, in UTC) such as "0 4 * * *"';

/** A CronJob schedule that Kubernetes accepts and that runs at least twice in eight years. */
export const CRON_SCHEDULE: Rule = {
  expected: CRON_SCHEDULE_EXPECTED,
  problem(value) {
    if (typeof value !== 'string') {
      return expectedGot(CRON_SCHEDULE_EXPECTED, value);
    }
    const parsed = parseCronSchedule(value);
    if ('error' in parsed) {
      return expectedGot(CRON_SCHEDULE_EXPECTED, value, parsed.error);
    }
    if (longestGapMinutes(parsed.schedule) === undefined) {
      return expectedGot(CRON_SCHEDULE_EXPECTED, value, 'it never runs: no such date');
    }
    // `* 4 * * *` is every minute from 04:00 to 04:59, not once at 4: each run is a full Raft
    // snapshot (or a download of one), and Kubernetes would start the next while one still runs.
    const minutes = parsed.schedule.minutes.size;
    return minutes > 1
      ? expectedGot(CRON_SCHEDULE_EXPECTED, value, `it runs ${minutes} times an hour; at most once an hour, with one minute in the first field `
        + `(${JSON.stringify(['0', ...value.trim().split(/\s+/).slice(1)].join(' '))} for once at the hours given)`)
      : undefined;
  },
};


const IMAGE_REFERENCE = /^((?:[a-zA-Z0-9.-]+(?::\d+)?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*)(?::([\w][\w.-]{0,127}))?(?:@(sha256:[0-9a-f]{64}))?$/;

const PINNED_IMAGE_EXPECTED = 'a container image pinned by a tag other than "latest", optionally followed by its sha256 digest, '
  + 'such as "hashicorp/vault:1.21.1" or "hashicorp/vault:1.21.1@sha256:<64 hex digits>"';

/**
 * A container image reference whose content cannot change under the same name (K8S-007's rule),
 * with a readable tag: `repository:tag`, or `repository:tag@sha256:<digest>`, which the kubelet
 * pulls by the digest alone (docs/operations.md, "Pin an image by digest"). A digest without its tag is
 * refused: the version would no longer be readable in review, and the backup's verification
 * reads it from the tag (whether the CLI has `operator raft snapshot inspect`).
 */
export const PINNED_IMAGE: Rule = {
  expected: PINNED_IMAGE_EXPECTED,
  problem(value) {
    if (typeof value !== 'string') return expectedGot(PINNED_IMAGE_EXPECTED, value);
    const match = IMAGE_REFERENCE.exec(value);
    if (!match) {
      const hint = /\s/.test(value) ? 'remove the spaces'
        : /@sha256:/i.test(value) ? 'a digest is "sha256:" and 64 lowercase hexadecimal digits' : undefined;
      return expectedGot(PINNED_IMAGE_EXPECTED, value, hint);
    }
    const [, repository, tag, digest] = match;
    if (tag === undefined && digest !== undefined) {
      return expectedGot(PINNED_IMAGE_EXPECTED, value, `a digest without its tag: write it after the tag it was read from, as ${repository}:<tag>@${digest}`);
    }
    // The digest pins the content, whatever the tag says.
    if (digest !== undefined) return undefined;
    if (tag === undefined) return expectedGot(PINNED_IMAGE_EXPECTED, value, 'no tag: the image would change without a change in Git');
    if (tag === 'latest') return expectedGot(PINNED_IMAGE_EXPECTED, value, '"latest" changes without a change in Git');
    return undefined;
  },
};
