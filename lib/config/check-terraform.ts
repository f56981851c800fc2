/**
 * `terraform`: where the stacks keep their state (`terraform.backend`, exactly one of `local` and
 * `s3`). Whether a local folder lies inside the Terraform output folder depends on the command
 * line, so synth checks that (lib/terraform/state.ts), not this file.
 */
import { isPortableRelativePath } from '../util/validators.js';
import { BUCKET_NAME } from './check-backup.js';
import {
  expectedGot, field, KMS_KEY_ARN, type Mapping, own, type Path, type Problems, REGION, section, stringRule,
} from './rules.js';

const TERRAFORM_FIELDS = ['backend'] as const;
const BACKEND_FIELDS = ['local', 's3'] as const;
const LOCAL_FIELDS = ['directory'] as const;
const S3_FIELDS = ['bucket', 'keyPrefix', 'region', 'kmsKeyId'] as const;

/** Longest S3 object key, less room for `/<stack>.tfstate`. */
export const KEY_PREFIX_MAX_LENGTH = 900;

const STATE_DIRECTORY = stringRule(
  'a folder relative to the configuration file, such as "../terraform-state" (state holds secrets: keep it out of Git)',
  isPortableRelativePath,
  (value) => (/^([/\\]|[A-Za-z]:)/.test(value) ? 'an absolute path only exists on one machine; give it relative to the configuration file' : undefined),
);

/** S3 object key characters AWS calls safe, as `/`-separated segments, no leading or trailing `/`. */
const KEY_PREFIX = stringRule(
  `an S3 key prefix: segments of letters, digits and ! - _ . * ' ( ) separated by '/', at most ${KEY_PREFIX_MAX_LENGTH} characters, such as "gateway-pki"`,
  (value) => value.length <= KEY_PREFIX_MAX_LENGTH && /^[A-Za-z0-9!_.*'()-]+(\/[A-Za-z0-9!_.*'()-]+)*$/.test(value)
    && !value.split('/').some((segment) => segment === '.' || segment === '..'),
  (value) => (/^\/|\/$/.test(value) ? 'remove the leading and trailing "/"' : value.includes('//') ? 'an empty segment ("//")' : undefined),
);

export function checkTerraform(problems: Problems, raw: Mapping): void {
  const path: Path = ['terraform'];
  const terraform = section(problems, raw, [], 'terraform', TERRAFORM_FIELDS, true);
  if (!terraform) return;
  const backendPath: Path = [...path, 'backend'];
  const backend = section(problems, terraform, path, 'backend', BACKEND_FIELDS, true,
    'a mapping with exactly one of local (state files in a folder) and s3 (an S3 bucket, recommended)');
  if (!backend) return;
  const given = BACKEND_FIELDS.filter((key) => own(backend, key) !== undefined);
  // A backend that is only unknown keys (`gcs:`) is reported once, by section(), as an unknown field.
  if (given.length === 0 && Object.keys(backend).length > 0) return;
  if (given.length !== 1) {
    problems.add(backendPath, expectedGot('exactly one of local and s3', backend, given.length === 0 ? 'neither is given' : 'both are given; keep one'));
    return;
  }
  // `local:` alone (YAML null) means every default, like `local: {}`.
  const local = own(backend, 'local') === null ? undefined : section(problems, backend, backendPath, 'local', LOCAL_FIELDS, true);
  if (local) field(problems, local, [...backendPath, 'local'], 'directory', STATE_DIRECTORY, true);
  const s3 = section(problems, backend, backendPath, 's3', S3_FIELDS, true);
  if (s3) {
    const s3Path = [...backendPath, 's3'];
    field(problems, s3, s3Path, 'bucket', BUCKET_NAME);
    field(problems, s3, s3Path, 'keyPrefix', KEY_PREFIX, true);
    field(problems, s3, s3Path, 'region', REGION, true);
    field(problems, s3, s3Path, 'kmsKeyId', {
      expected: `${KMS_KEY_ARN.expected} (state holds secrets: it is encrypted with a key of yours)`,
      problem: (value) => KMS_KEY_ARN.problem(value),
    });
  }
}
