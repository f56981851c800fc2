import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeEach, describe, expect, test } from 'vitest';
import { VAULT_BACKUP_SCRIPT } from '../../lib/k8s/backup-scripts.js';
import { findTool, runTool } from '../support/tools.js';

/**
 * The backup script, run for real by POSIX sh (dash here, busybox ash and bash in the images) with
 * fake `vault`, `bao` and `aws` executables first on PATH: small scripts whose behaviour the
 * FAKE_* variables choose, which log every call's arguments, and keep "S3" in a folder.
 */
const SCRIPT = resolve(import.meta.dirname, '../../lib/k8s/scripts/vault-backup.sh');

/** What must never be printed nor passed as an argument. */
const TOKEN = 'hvs.CAESIFakeTokenOfTheBackupTests0123456789abcdef';
const SECRET_ID = '7d1f3c2a-5b6e-4f80-9a1b-2c3d4e5f6a7b';
const ROLE_ID = '0b7e2c4a-9d3f-4c61-8e5a-2f1d7c9b4e60';
const BUCKET = '123456789012-eu-west-3-vault-snapshots';
const KMS_KEY = 'arn:aws:kms:eu-west-3:123456789012:alias/123456789012-eu-west-3-vault-snapshots';
const LEADER = 'https://vault-2.priv.example.com:8200';

const FAKE_VAULT = `#!/bin/sh
# Fake Vault (or OpenBao, as "bao") CLI: FAKE_LOGIN, FAKE_STATUS, FAKE_SAVE, FAKE_INSPECT choose what happens.
me=$(basename "$0")
printf '%s %s\\n' "$me" "$*" >>"$FAKE_CALLS"
case $me in vault) token=\${VAULT_TOKEN:-} ;; bao) token=\${BAO_TOKEN:-} ;; esac
case "$1 $2" in
  "write -field=token")
    secret=$(cat)
    if [ "\${FAKE_LOGIN:-ok}" != ok ]; then
      echo "Error writing data to $3: Error making API request. Code: 400. Errors: * invalid role or secret ID" >&2
      exit 2
    fi
    [ "$secret" = "$FAKE_SECRET_ID" ] || { echo "fake: the secret id did not arrive on stdin" >&2; exit 2; }
    [ "$4" = "role_id=$FAKE_ROLE_ID" ] || { echo "fake: unexpected role id argument" >&2; exit 2; }
    echo "$FAKE_TOKEN"
    ;;
  "status -format=json")
    case \${FAKE_STATUS:-ok} in
      unreachable) echo 'Error checking seal status: dial tcp: lookup vault.priv.example.com: no such host' >&2; exit 1 ;;
      sealed) printf '{\\n  "sealed": true,\\n  "ha_enabled": true,\\n  "leader_address": ""\\n}\\n'; exit 2 ;;
      noleader) printf '{\\n  "type": "awskms",\\n  "sealed": false,\\n  "ha_enabled": true,\\n  "is_self": false,\\n  "leader_address": "",\\n  "leader_cluster_address": ""\\n}\\n' ;;
      *) printf '{\\n  "type": "awskms",\\n  "initialized": true,\\n  "sealed": false,\\n  "ha_enabled": true,\\n  "is_self": false,\\n  "leader_address": "${LEADER}",\\n  "leader_cluster_address": "https://vault-2.priv.example.com:8201",\\n  "raft_committed_index": 42\\n}\\n' ;;
    esac
    ;;
  "operator raft")
    case "$3 $4" in
      "snapshot save")
        [ "$token" = "$FAKE_TOKEN" ] || { echo "Error taking the snapshot: permission denied" >&2; exit 2; }
        if [ "\${FAKE_SAVE:-ok}" != ok ]; then echo "Error taking the snapshot: context deadline exceeded" >&2; exit 2; fi
        make-snapshot "$6"
        ;;
      "snapshot inspect")
        if [ "\${FAKE_INSPECT:-ok}" != ok ]; then echo "Error reading snapshot: failed to decompress snapshot: unexpected EOF" >&2; exit 1; fi
        printf ' ID           bolt-snapshot\\n Size         2048\\n Index        42\\n Term         2\\n Version      1\\n'
        ;;
      *) echo "fake vault: unexpected $*" >&2; exit 64 ;;
    esac
    ;;
  "token revoke") [ "$token" = "$FAKE_TOKEN" ] || exit 2 ;;
  *) echo "fake vault: unexpected $*" >&2; exit 64 ;;
esac
`;

/** A Raft snapshot as Vault writes one: a gzipped tar of meta.json, state.bin and their SHA256SUMS. */
const MAKE_SNAPSHOT = `#!/bin/sh
set -eu
dir=$(mktemp -d)
printf '{"ID":"bolt-snapshot","Index":42,"Term":2,"Version":1}' >"$dir/meta.json"
printf 'raft state %.0s' $(seq 1 100) >"$dir/state.bin"
(cd "$dir" && sha256sum meta.json state.bin >SHA256SUMS)
[ -z "\${FAKE_DAMAGE:-}" ] || printf 'tampered' >>"$dir/state.bin"
tar -czf "$1" -C "$dir" meta.json state.bin SHA256SUMS
rm -rf "$dir"
`;

const FAKE_AWS = `#!/bin/sh
# Fake AWS CLI: "S3" is the folder $FAKE_S3 (bucket/key); FAKE_UPLOAD, FAKE_SSE choose what happens.
printf 'aws %s\\n' "$*" >>"$FAKE_CALLS"
arg() { name=$1; shift; while [ $# -gt 0 ]; do [ "$1" = "$name" ] && { echo "$2"; return; }; shift; done; }
case "$1 $2" in
  "s3 cp")
    case $4 in
      s3://*)
        if [ "\${FAKE_UPLOAD:-ok}" != ok ]; then
          echo "upload failed: $3 to $4 An error occurred (AccessDenied) when calling the PutObject operation: Access Denied" >&2
          exit 1
        fi
        mkdir -p "$(dirname "$FAKE_S3/\${4#s3://}")"
        cp "$3" "$FAKE_S3/\${4#s3://}"
        ;;
      *)
        [ -f "$FAKE_S3/\${3#s3://}" ] || { echo "fatal error: An error occurred (404) when calling the HeadObject operation: Key does not exist" >&2; exit 1; }
        cp "$FAKE_S3/\${3#s3://}" "$4"
        ;;
    esac
    ;;
  "s3api head-object")
    file="$FAKE_S3/$(arg --bucket "$@")/$(arg --key "$@")"
    [ -f "$file" ] || { echo "An error occurred (404) when calling the HeadObject operation: Not Found" >&2; exit 255; }
    printf '%s\\t%s\\n' "$(wc -c <"$file" | tr -d ' ')" "\${FAKE_SSE:-aws:kms}"
    ;;
  "s3api list-objects-v2")
    bucket=$(arg --bucket "$@")
    prefix=$(arg --prefix "$@")
    newest=$( (cd "$FAKE_S3/$bucket" 2>/dev/null && find "$prefix" -name '*.snap' 2>/dev/null) | sort | tail -n 1)
    if [ -n "$newest" ]; then printf '"%s"\\n' "$newest"; else echo null; fi
    ;;
  *) echo "fake aws: unexpected $*" >&2; exit 64 ;;
esac
`;

interface Sandbox {
  readonly dir: string;
  readonly work: string;
  readonly s3: string;
  readonly calls: string;
  readonly env: Record<string, string>;
}

interface Run {
  readonly status: number | null;
  readonly output: string;
}

let box: Sandbox;

/** A fresh sandbox: fakes on PATH, an empty work folder and bucket, a secret id file, a CA file. */
function sandbox(): Sandbox {
  const dir = mkdtempSync(join(tmpdir(), 'vault-backup-'));
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  for (const [name, text] of [['vault', FAKE_VAULT], ['aws', FAKE_AWS], ['make-snapshot', MAKE_SNAPSHOT]] as const) {
    writeFileSync(join(bin, name), text);
    chmodSync(join(bin, name), 0o755);
  }
  symlinkSync(join(bin, 'vault'), join(bin, 'bao'));
  const work = join(dir, 'work');
  const s3 = join(dir, 's3');
  mkdirSync(work);
  mkdirSync(join(s3, BUCKET), { recursive: true });
  // As the Secret volume holds it: the value, here with a final newline that must not reach Vault.
  writeFileSync(join(dir, 'secretId'), `${SECRET_ID}\n`);
  writeFileSync(join(dir, 'ca.crt'), '-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n');
  const calls = join(dir, 'calls');
  writeFileSync(calls, '');
  return {
    dir, work, s3, calls,
    env: {
      PATH: `${bin}:${process.env.PATH}`,
      WORK_DIR: work,
      FAKE_S3: s3,
      FAKE_CALLS: calls,
      FAKE_TOKEN: TOKEN,
      FAKE_SECRET_ID: SECRET_ID,
      FAKE_ROLE_ID: ROLE_ID,
      VAULT_CLI: 'vault',
      VAULT_ADDR: 'https://vault.priv.example.com:8200',
      VAULT_CACERT: join(dir, 'ca.crt'),
      APPROLE_MOUNT: 'approle',
      APPROLE_ROLE_ID: ROLE_ID,
      APPROLE_SECRET_ID_FILE: join(dir, 'secretId'),
      AWS_REGION: 'eu-west-3',
      SNAPSHOT_BUCKET: BUCKET,
      SNAPSHOT_PREFIX: 'raft',
      SNAPSHOT_KMS_KEY_ID: KMS_KEY,
      SNAPSHOT_MAX_AGE_HOURS: '26',
      SNAPSHOT_INSPECT: 'true',
    },
  };
}

/** Runs one step of the script with the sandbox's environment (only: nothing leaks in from the test's). */
function run(step: string, env: Record<string, string | undefined> = {}): Run {
  const merged: Record<string, string> = { ...box.env };
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined) delete merged[key];
    else merged[key] = value;
  }
  const result = spawnSync('sh', [SCRIPT, step], { env: merged, encoding: 'utf8', timeout: 30_000 });
  const output = `${result.stdout}${result.stderr}`;
  // Whatever happened: the token and the secret id are never printed nor passed as arguments.
  for (const secret of [TOKEN, SECRET_ID]) {
    expect(output, `step ${step} printed a secret`).not.toContain(secret);
    expect(readFileSync(box.calls, 'utf8'), `step ${step} passed a secret as an argument`).not.toContain(secret);
  }
  return { status: result.status, output };
}

/** Every line the script prints has the shape `<UTC time> vault-backup <step>: <message>`. */
function expectLogLines(output: string, step: string): void {
  const lines = output.trimEnd().split('\n');
  for (const line of lines.filter((l) => l.includes(' vault-backup '))) {
    expect(line).toMatch(new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ vault-backup ${step}: \\S`));
  }
}

function calls(): string[] {
  return readFileSync(box.calls, 'utf8').trimEnd().split('\n').filter((line) => line !== '');
}

/** Every file under the fake bucket, as keys. */
function objects(): string[] {
  const root = join(box.s3, BUCKET);
  return (readdirSync(root, { recursive: true, withFileTypes: true }) as Array<{ isFile(): boolean; parentPath: string; name: string }>)
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(root.length + 1))
    .sort();
}

/** A snapshot taken `hoursAgo` hours ago, put in the fake bucket as the upload step does. */
function storedSnapshot(hoursAgo: number, options: { damage?: boolean } = {}): string {
  const time = new Date(Date.now() - hoursAgo * 3_600_000);
  const stamp = time.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const day = time.toISOString().slice(0, 10).replace(/-/g, '/');
  const folder = join(box.s3, BUCKET, 'raft', day);
  mkdirSync(folder, { recursive: true });
  const name = `vault-${stamp}.snap`;
  const made = spawnSync('sh', ['-c', `make-snapshot "${join(folder, name)}" && cd "${folder}" && sha256sum "${name}" >"${name}.sha256"`], {
    env: { ...box.env, ...(options.damage ? { FAKE_DAMAGE: '1' } : {}) }, encoding: 'utf8',
  });
  expect(made.status, made.stderr).toBe(0);
  return `raft/${day}/${name}`;
}

beforeEach(() => {
  box = sandbox();
});

describe('vault-backup.sh', () => {
  test('passes shellcheck as POSIX sh (the images run busybox ash and bash as sh)', () => {
    const shellcheck = findTool('shellcheck');
    expect(shellcheck, 'shellcheck is required (Debian package shellcheck; .ci/run installs it)').toBeDefined();
    // -x: job-lib.sh, which the script sources, is checked with it.
    const result = runTool(shellcheck!, ['--shell=sh', '--severity=style', '-x', SCRIPT]);
    expect(result.output).toBe('');
    expect(result.status).toBe(0);
  });

  test('is the very file the ConfigMap carries, and never traces (set -x would print the token)', () => {
    expect(VAULT_BACKUP_SCRIPT).toBe(readFileSync(SCRIPT, 'utf8'));
    expect(VAULT_BACKUP_SCRIPT).toMatch(/^set -eu$/m);
    const code = VAULT_BACKUP_SCRIPT.split('\n').filter((line) => !line.trim().startsWith('#')).join('\n');
    expect(code).not.toMatch(/set -[a-z]*x|set -o xtrace|SKIP_VERIFY|tls-skip-verify|--insecure/);
    expect(VAULT_BACKUP_SCRIPT).not.toContain('SKIP_VERIFY');
  });

  describe('snapshot', () => {
    test('logs in with the secret id on stdin, snapshots the Raft leader, writes the checksum, revokes the token', () => {
      // WHEN
      const result = run('snapshot');
      // THEN
      expect(result.status, result.output).toBe(0);
      expectLogLines(result.output, 'snapshot');
      expect(result.output).toContain(`logging in to https://vault.priv.example.com:8200 with the AppRole ${ROLE_ID} (auth/approle)`);
      expect(result.output).toContain(`the Raft leader is ${LEADER}`);
      expect(result.output).toMatch(/saved vault-\d{8}T\d{6}Z\.snap: \d+ bytes, sha256 [0-9a-f]{64}/);
      expect(result.output).toContain('token revoked');
      const files = readdirSync(box.work).sort();
      expect(files).toHaveLength(2);
      expect(files[0]).toMatch(/^vault-\d{8}T\d{6}Z\.snap$/);
      expect(files[1]).toBe(`${files[0]}.sha256`);
      expect(spawnSync('sha256sum', ['-c', files[1]!], { cwd: box.work }).status).toBe(0);
      expect(calls()).toEqual([
        `vault write -field=token auth/approle/login role_id=${ROLE_ID} secret_id=-`,
        'vault status -format=json',
        `vault operator raft snapshot save -address=${LEADER} ${join(box.work, files[0]!)}`,
        'vault token revoke -self',
      ]);
    });

    test('with OpenBao: the bao CLI and the BAO_* variables', () => {
      // WHEN
      const result = run('snapshot', {
        VAULT_CLI: 'bao', VAULT_ADDR: undefined, VAULT_CACERT: undefined,
        BAO_ADDR: 'https://vault.priv.example.com:8200', BAO_CACERT: join(box.dir, 'ca.crt'),
      });
      // THEN
      expect(result.status, result.output).toBe(0);
      expect(calls().map((c) => c.split(' ')[0])).toEqual(['bao', 'bao', 'bao', 'bao']);
    });

    test('fails at login when Vault refuses the AppRole, and takes no snapshot', () => {
      // WHEN
      const result = run('snapshot', { FAKE_LOGIN: 'refused' });
      // THEN
      expect(result.status).toBe(1);
      expectLogLines(result.output, 'snapshot');
      expect(result.output).toContain('invalid role or secret ID');
      expect(result.output).toMatch(/vault-backup snapshot: FAILED at login: the AppRole login was refused or Vault is unreachable/);
      expect(result.output).not.toContain('Raft leader');
      expect(readdirSync(box.work)).toEqual([]);
      expect(calls()).toHaveLength(1);
    });

    test('fails at login when the ExternalSecret has not delivered the secret id', () => {
      writeFileSync(join(box.dir, 'secretId'), '');
      const result = run('snapshot');
      expect(result.status).toBe(1);
      expect(result.output).toContain(`FAILED at login: no secret id in ${join(box.dir, 'secretId')} (has the ExternalSecret synced?)`);
      expect(calls()).toEqual([]);
    });

    test.each([
      ['noleader', 'FAILED at leader: no Raft leader (ha_enabled=true): the cluster has lost its quorum'],
      ['sealed', 'FAILED at leader: Vault at https://vault.priv.example.com:8200 reports sealed=true'],
      ['unreachable', 'FAILED at leader: "vault status" gave nothing (exit status 1): is https://vault.priv.example.com:8200 reachable?'],
    ])('fails at leader discovery (%s), and still revokes its token', (status, message) => {
      // WHEN
      const result = run('snapshot', { FAKE_STATUS: status });
      // THEN
      expect(result.status).toBe(1);
      expectLogLines(result.output, 'snapshot');
      expect(result.output).toContain(message);
      expect(result.output).toContain('token revoked');
      expect(readdirSync(box.work)).toEqual([]);
      expect(calls()).not.toContain(expect.stringContaining('snapshot save'));
    });

    test('fails at save when Vault cannot produce the snapshot', () => {
      const result = run('snapshot', { FAKE_SAVE: 'timeout' });
      expect(result.status).toBe(1);
      expect(result.output).toContain('context deadline exceeded');
      expect(result.output).toContain('FAILED at save: "operator raft snapshot save" failed (the CLI\'s error is above)');
    });

    test('refuses a plain-HTTP address and a missing setting before calling anything', () => {
      const http = run('snapshot', { VAULT_ADDR: 'http://vault.priv.example.com:8200' });
      expect(http.status).toBe(1);
      expect(http.output).toContain('FAILED at configuration: the Vault address must be an https:// URL, got "http://vault.priv.example.com:8200"');
      const missing = run('snapshot', { APPROLE_ROLE_ID: undefined });
      expect(missing.status).toBe(1);
      expect(missing.output).toContain('FAILED at configuration: the environment variable APPROLE_ROLE_ID is not set');
      expect(calls()).toEqual([]);
    });
  });

  describe('upload', () => {
    test('uploads the snapshot, then its checksum, under a dated key with SSE-KMS, and checks what S3 holds', () => {
      // GIVEN
      expect(run('snapshot').status).toBe(0);
      const [name] = readdirSync(box.work).sort();
      const day = `${name!.slice(6, 10)}/${name!.slice(10, 12)}/${name!.slice(12, 14)}`;
      writeFileSync(box.calls, '');
      // WHEN
      const result = run('upload');
      // THEN
      expect(result.status, result.output).toBe(0);
      expectLogLines(result.output, 'upload');
      const key = `raft/${day}/${name}`;
      expect(objects()).toEqual([key, `${key}.sha256`]);
      expect(result.output).toContain(`uploaded s3://${BUCKET}/${key}: `);
      const sse = `--sse aws:kms --sse-kms-key-id ${KMS_KEY} --checksum-algorithm SHA256 --only-show-errors --no-progress`;
      expect(calls()).toEqual([
        `aws s3 cp ${join(box.work, name!)} s3://${BUCKET}/${key} ${sse}`,
        `aws s3 cp ${join(box.work, name!)}.sha256 s3://${BUCKET}/${key}.sha256 ${sse}`,
        `aws s3api head-object --bucket ${BUCKET} --key ${key} --query [ContentLength, ServerSideEncryption] --output text`,
      ]);
    });

    test('fails at upload when S3 refuses it', () => {
      expect(run('snapshot').status).toBe(0);
      const result = run('upload', { FAKE_UPLOAD: 'denied' });
      expect(result.status).toBe(1);
      expectLogLines(result.output, 'upload');
      expect(result.output).toContain('AccessDenied');
      expect(result.output).toMatch(new RegExp(`FAILED at upload: could not upload vault-\\d{8}T\\d{6}Z\\.snap to s3://${BUCKET}/raft/\\d{4}/\\d\\d/\\d\\d/`));
      expect(objects()).toEqual([]);
    });

    test('fails when S3 does not report the object encrypted with KMS', () => {
      expect(run('snapshot').status).toBe(0);
      const result = run('upload', { FAKE_SSE: 'AES256' });
      expect(result.status).toBe(1);
      expect(result.output).toMatch(/FAILED at upload: S3 reports raft\/.*\.snap encrypted with "AES256", not aws:kms/);
    });

    test('fails at checksum when the snapshot changed after it was saved', () => {
      expect(run('snapshot').status).toBe(0);
      const [name] = readdirSync(box.work).sort();
      writeFileSync(join(box.work, name!), 'not the snapshot');
      const result = run('upload');
      expect(result.status).toBe(1);
      expect(result.output).toContain(`FAILED at checksum: ${name} no longer matches its SHA-256`);
      expect(objects()).toEqual([]);
    });

    test('fails when the snapshot step left nothing', () => {
      const result = run('upload');
      expect(result.status).toBe(1);
      expect(result.output).toContain(`FAILED at upload: no snapshot in ${box.work}: the previous step produced none`);
    });
  });

  describe('fetch and verify', () => {
    test('verify a fresh snapshot: checksum, age, archive, inspect', () => {
      // GIVEN a night's backup
      expect(run('snapshot').status).toBe(0);
      expect(run('upload').status).toBe(0);
      const [key] = objects();
      const work = join(box.dir, 'verify');
      mkdirSync(work);
      writeFileSync(box.calls, '');
      // WHEN
      const fetched = run('fetch', { WORK_DIR: work });
      const verified = run('verify', { WORK_DIR: work });
      // THEN
      expect(fetched.status, fetched.output).toBe(0);
      expect(fetched.output).toContain(`newest snapshot: s3://${BUCKET}/${key}`);
      expect(verified.status, verified.output).toBe(0);
      expectLogLines(verified.output, 'verify');
      expect(verified.output).toMatch(/checksum: vault-\S+\.snap matches its SHA-256/);
      expect(verified.output).toContain('age: 0 hours, within 26');
      expect(verified.output).toContain('archive: meta.json and state.bin match the snapshot\'s SHA256SUMS');
      expect(verified.output).toContain('inspect: Raft index 42, term 2');
      expect(verified.output).toMatch(/OK: vault-\S+\.snap is complete, intact and 0 hours old/);
      expect(calls()[0]).toBe(`aws s3api list-objects-v2 --bucket ${BUCKET} --prefix raft/ `
        + '--query max_by(Contents[?ends_with(Key, `".snap"`)] || `[]`, &Key).Key --output json');
    });

    test('picks the newest of several snapshots', () => {
      storedSnapshot(50);
      const newest = storedSnapshot(3);
      storedSnapshot(27);
      const result = run('fetch');
      expect(result.status, result.output).toBe(0);
      expect(result.output).toContain(`newest snapshot: s3://${BUCKET}/${newest}`);
      expect(existsSync(join(box.work, newest.split('/').pop()!))).toBe(true);
    });

    test('fails at fetch when there is no snapshot at all', () => {
      const result = run('fetch');
      expect(result.status).toBe(1);
      expectLogLines(result.output, 'fetch');
      expect(result.output).toContain(`FAILED at fetch: no snapshot under s3://${BUCKET}/raft/: no backup has ever been uploaded`);
    });

    test('fails at fetch when the newest snapshot has no checksum (an upload that did not finish)', () => {
      const key = storedSnapshot(1);
      spawnSync('rm', [join(box.s3, BUCKET, `${key}.sha256`)]);
      const result = run('fetch');
      expect(result.status).toBe(1);
      expect(result.output).toContain(`FAILED at fetch: could not download s3://${BUCKET}/${key}.sha256`);
    });

    test('fails at checksum when the copy in S3 does not match its SHA-256', () => {
      const key = storedSnapshot(2);
      writeFileSync(join(box.s3, BUCKET, `${key}.sha256`), `${'0'.repeat(64)}  ${key.split('/').pop()}\n`);
      expect(run('fetch').status).toBe(0);
      const result = run('verify');
      expect(result.status).toBe(1);
      expect(result.output).toMatch(/FAILED at checksum: vault-\S+\.snap does not match the SHA-256 saved with it: the copy in S3 is corrupt/);
    });

    test('fails at age when the newest snapshot is older than SNAPSHOT_MAX_AGE_HOURS', () => {
      storedSnapshot(40);
      expect(run('fetch').status).toBe(0);
      const result = run('verify');
      expect(result.status).toBe(1);
      expect(result.output).toContain('FAILED at age: the newest snapshot is 40 hours old, more than the 26 allowed: the snapshot CronJob is not succeeding');
    });

    test('fails at archive when the Raft data does not match the archive\'s own checksums', () => {
      storedSnapshot(1, { damage: true });
      expect(run('fetch').status).toBe(0);
      const result = run('verify');
      expect(result.status).toBe(1);
      expect(result.output).toMatch(/FAILED at archive: the Raft data in vault-\S+\.snap does not match its SHA256SUMS/);
    });

    test('fails at archive when the file is no snapshot at all', () => {
      const key = storedSnapshot(1);
      const file = join(box.s3, BUCKET, key);
      writeFileSync(file, 'plain text');
      spawnSync('sh', ['-c', `cd "$(dirname "${file}")" && sha256sum "$(basename "${file}")" >"${file}.sha256"`]);
      expect(run('fetch').status).toBe(0);
      const result = run('verify');
      expect(result.status).toBe(1);
      expect(result.output).toMatch(/FAILED at archive: vault-\S+\.snap is not a gzipped tar archive/);
    });

    test('fails at inspect when the CLI cannot read the snapshot', () => {
      storedSnapshot(1);
      expect(run('fetch').status).toBe(0);
      const result = run('verify', { FAKE_INSPECT: 'broken' });
      expect(result.status).toBe(1);
      expect(result.output).toContain('failed to decompress snapshot');
      expect(result.output).toMatch(/FAILED at inspect: "vault operator raft snapshot inspect" cannot read vault-\S+\.snap/);
    });

    test('without inspect in the CLI (OpenBao), says so and relies on the archive check', () => {
      storedSnapshot(1);
      expect(run('fetch').status).toBe(0);
      const result = run('verify', { VAULT_CLI: 'bao', SNAPSHOT_INSPECT: 'false' });
      expect(result.status, result.output).toBe(0);
      expect(result.output).toContain('inspect: skipped, this bao CLI has no "operator raft snapshot inspect"');
      expect(calls().some((c) => c.includes('inspect'))).toBe(false);
    });
  });

  test('refuses an unknown step', () => {
    const result = run('restore');
    expect(result.status).toBe(1);
    expect(result.output).toMatch(/vault-backup usage: FAILED at arguments: expected one of snapshot, upload, fetch, verify; got "restore"/);
  });
});
