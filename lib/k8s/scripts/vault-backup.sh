#!/bin/sh
# Vault (or OpenBao) Raft snapshots to S3, and their verification: one POSIX script, four steps,
# each run by one container of the backup CronJobs (lib/k8s/vault-backup.ts), sharing $WORK_DIR
# (an emptyDir):
#
#   vault-backup.sh snapshot  Vault image: AppRole login, find the Raft leader, save a snapshot from
#                             it and its SHA-256 into $WORK_DIR, revoke the token
#   vault-backup.sh upload    AWS CLI image: check the SHA-256, upload both under
#                             s3://$SNAPSHOT_BUCKET/$SNAPSHOT_PREFIX/YYYY/MM/DD/ with SSE-KMS, check what S3 holds
#   vault-backup.sh fetch     AWS CLI image: download the newest snapshot and its SHA-256
#   vault-backup.sh verify    Vault image: SHA-256, age, the archive's own checksums, and
#                             `operator raft snapshot inspect` where the CLI has it
#
# Every line starts with the UTC time, "vault-backup" and the step. Any failure ends the step with
# "FAILED at <what>: <why>" and exit status 1. The script never prints a token or a secret id and
# never puts one on a command line, where any process could read it: the secret id reaches the CLI
# on its standard input, the token through the environment. Hence no `set -x`.
#
# Environment: WORK_DIR (default /work); snapshot: VAULT_CLI (vault or bao), VAULT_ADDR and
# VAULT_CACERT (BAO_ADDR, BAO_CACERT for bao), APPROLE_MOUNT, APPROLE_ROLE_ID,
# APPROLE_SECRET_ID_FILE; upload: SNAPSHOT_BUCKET, SNAPSHOT_PREFIX, SNAPSHOT_KMS_KEY_ID; fetch:
# SNAPSHOT_BUCKET, SNAPSHOT_PREFIX; verify: VAULT_CLI, SNAPSHOT_MAX_AGE_HOURS, SNAPSHOT_INSPECT
# (true or false).
set -eu

WORK_DIR=${WORK_DIR:-/work}
step=${1:-}
JOB=vault-backup
# shellcheck source-path=SCRIPTDIR source=job-lib.sh
. "$(dirname "$0")/job-lib.sh"

# json_value KEY JSON: the value of a top-level string or boolean of the CLI's indented JSON
# output (the Vault image has no jq).
json_value() {
  printf '%s\n' "$2" | sed -n "s/^ *\"$1\": *\"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\} *\$/\1/p" | head -n 1
}

# find_snapshot <what>: sets $snapshot to the one vault-*.snap of $WORK_DIR that has its .sha256.
find_snapshot() {
  snapshot=
  for file in "$WORK_DIR"/vault-*.snap; do
    [ -e "$file" ] || continue
    [ -z "$snapshot" ] || fail "$1" "more than one snapshot in $WORK_DIR"
    snapshot=$file
  done
  [ -n "$snapshot" ] || fail "$1" "no snapshot in $WORK_DIR: the previous step produced none"
  [ -s "$snapshot.sha256" ] || fail "$1" "$(basename "$snapshot") has no checksum file"
}

# stamp_of NAME: the UTC time in a snapshot name, vault-YYYYMMDDTHHMMSSZ.snap, or nothing.
stamp_of() {
  printf '%s\n' "$1" | sed -n 's/^vault-\([0-9]\{8\}T[0-9]\{6\}Z\)\.snap$/\1/p'
}

checksum_matches() {
  (cd "$WORK_DIR" && sha256sum -c "$1.sha256" >/dev/null 2>&1)
}

snapshot() {
  require VAULT_CLI APPROLE_MOUNT APPROLE_ROLE_ID APPROLE_SECRET_ID_FILE
  vault_target
  [ -s "$APPROLE_SECRET_ID_FILE" ] || fail login "no secret id in $APPROLE_SECRET_ID_FILE (has the ExternalSecret synced?)"
  umask 077

  log "logging in to $addr with the AppRole $APPROLE_ROLE_ID (auth/$APPROLE_MOUNT)"
  secret_id=$(cat "$APPROLE_SECRET_ID_FILE")
  if ! token=$(printf '%s' "$secret_id" | "$VAULT_CLI" write -field=token "auth/$APPROLE_MOUNT/login" role_id="$APPROLE_ROLE_ID" secret_id=-); then
    fail login "the AppRole login was refused or Vault is unreachable (the CLI's error is above); check the secret id in AWS Secrets Manager"
  fi
  unset secret_id
  use_token "$token"
  unset token
  log "logged in"

  log "finding the Raft leader"
  status_code=0
  status=$("$VAULT_CLI" status -format=json) || status_code=$?
  [ -n "$status" ] || fail leader "\"$VAULT_CLI status\" gave nothing (exit status $status_code): is $addr reachable?"
  sealed=$(json_value sealed "$status")
  [ "$sealed" = false ] || fail leader "Vault at $addr reports sealed=$sealed: unseal it (KMS auto-unseal: check the key and the nodes' role) first"
  leader=$(json_value leader_address "$status")
  [ -n "$leader" ] || fail leader "no Raft leader (ha_enabled=$(json_value ha_enabled "$status")): the cluster has lost its quorum"
  case $leader in
    https://*) ;;
    *) fail leader "the leader's address \"$leader\" is not an https:// URL" ;;
  esac
  log "the Raft leader is $leader"

  stamp=$(date -u +%Y%m%dT%H%M%SZ)
  name="vault-$stamp.snap"
  log "saving a snapshot from $leader to $name"
  if ! "$VAULT_CLI" operator raft snapshot save -address="$leader" "$WORK_DIR/$name"; then
    fail save "\"operator raft snapshot save\" failed (the CLI's error is above)"
  fi
  [ -s "$WORK_DIR/$name" ] || fail save "the snapshot $name is empty"

  (cd "$WORK_DIR" && sha256sum "$name" >"$name.sha256") || fail checksum "could not compute the SHA-256 of $name"
  size=$(wc -c <"$WORK_DIR/$name" | tr -d ' ')
  log "saved $name: $size bytes, sha256 $(cut -d ' ' -f 1 "$WORK_DIR/$name.sha256")"
}

upload() {
  require SNAPSHOT_BUCKET SNAPSHOT_PREFIX SNAPSHOT_KMS_KEY_ID
  find_snapshot upload
  name=$(basename "$snapshot")
  stamp=$(stamp_of "$name")
  [ -n "$stamp" ] || fail upload "unexpected snapshot name $name"
  checksum_matches "$name" || fail checksum "$name no longer matches its SHA-256: it changed after it was saved"
  day=$(printf '%s\n' "$stamp" | sed 's|^\(....\)\(..\)\(..\).*|\1/\2/\3|')
  key="$SNAPSHOT_PREFIX/$day/$name"

  log "uploading $name to s3://$SNAPSHOT_BUCKET/$key with SSE-KMS ($SNAPSHOT_KMS_KEY_ID)"
  # The snapshot first, its checksum last: a snapshot without a checksum is an upload that failed.
  for file in "$name" "$name.sha256"; do
    if ! aws s3 cp "$WORK_DIR/$file" "s3://$SNAPSHOT_BUCKET/$SNAPSHOT_PREFIX/$day/$file" \
      --sse aws:kms --sse-kms-key-id "$SNAPSHOT_KMS_KEY_ID" --checksum-algorithm SHA256 --only-show-errors --no-progress; then
      fail upload "could not upload $file to s3://$SNAPSHOT_BUCKET/$SNAPSHOT_PREFIX/$day/ (the AWS CLI's error is above)"
    fi
  done

  # What S3 holds, as S3 reports it.
  if ! head=$(aws s3api head-object --bucket "$SNAPSHOT_BUCKET" --key "$key" --query '[ContentLength, ServerSideEncryption]' --output text); then
    fail upload "could not read back s3://$SNAPSHOT_BUCKET/$key"
  fi
  stored_size=$(printf '%s\n' "$head" | cut -f 1)
  stored_encryption=$(printf '%s\n' "$head" | cut -f 2)
  size=$(wc -c <"$snapshot" | tr -d ' ')
  [ "$stored_size" = "$size" ] || fail upload "S3 holds $stored_size bytes of $key, $size were sent"
  [ "$stored_encryption" = aws:kms ] || fail upload "S3 reports $key encrypted with \"$stored_encryption\", not aws:kms"
  log "uploaded s3://$SNAPSHOT_BUCKET/$key: $size bytes, aws:kms"
}

fetch() {
  require SNAPSHOT_BUCKET SNAPSHOT_PREFIX
  log "looking for the newest snapshot under s3://$SNAPSHOT_BUCKET/$SNAPSHOT_PREFIX/"
  # Keys sort by time (PREFIX/YYYY/MM/DD/vault-<UTC time>.snap). JSON output: the query then sees
  # every page of the listing at once. The backquotes are JMESPath literals, not shell.
  # shellcheck disable=SC2016
  if ! found=$(aws s3api list-objects-v2 --bucket "$SNAPSHOT_BUCKET" --prefix "$SNAPSHOT_PREFIX/" \
    --query 'max_by(Contents[?ends_with(Key, `".snap"`)] || `[]`, &Key).Key' --output json); then
    fail fetch "could not list s3://$SNAPSHOT_BUCKET/$SNAPSHOT_PREFIX/ (the AWS CLI's error is above)"
  fi
  key=$(printf '%s\n' "$found" | sed -n 's/^"\(.*\)"$/\1/p')
  [ -n "$key" ] || fail fetch "no snapshot under s3://$SNAPSHOT_BUCKET/$SNAPSHOT_PREFIX/: no backup has ever been uploaded"
  name=${key##*/}
  log "newest snapshot: s3://$SNAPSHOT_BUCKET/$key"
  for file in "$name" "$name.sha256"; do
    if ! aws s3 cp "s3://$SNAPSHOT_BUCKET/${key%/*}/$file" "$WORK_DIR/$file" --only-show-errors --no-progress; then
      fail fetch "could not download s3://$SNAPSHOT_BUCKET/${key%/*}/$file (the AWS CLI's error is above)"
    fi
  done
  log "downloaded $name and its checksum"
}

verify() {
  require VAULT_CLI SNAPSHOT_MAX_AGE_HOURS
  find_snapshot verify
  name=$(basename "$snapshot")

  checksum_matches "$name" || fail checksum "$name does not match the SHA-256 saved with it: the copy in S3 is corrupt"
  log "checksum: $name matches its SHA-256"

  stamp=$(stamp_of "$name")
  [ -n "$stamp" ] || fail age "unexpected snapshot name $name"
  taken=$(date -u -d "$(printf '%s\n' "$stamp" | sed 's/^\(....\)\(..\)\(..\)T\(..\)\(..\)\(..\)Z$/\1-\2-\3 \4:\5:\6/')" +%s) \
    || fail age "cannot read the time of $name"
  age=$(($(date -u +%s) - taken))
  [ "$age" -ge 0 ] || fail age "$name was taken in the future: check the clocks"
  hours=$((age / 3600))
  if [ "$age" -gt $((SNAPSHOT_MAX_AGE_HOURS * 3600)) ]; then
    fail age "the newest snapshot is $hours hours old, more than the $SNAPSHOT_MAX_AGE_HOURS allowed: the snapshot CronJob is not succeeding"
  fi
  log "age: $hours hours, within $SNAPSHOT_MAX_AGE_HOURS"

  # A Raft snapshot is a gzipped tar of meta.json, state.bin and their SHA256SUMS.
  archive="$WORK_DIR/archive"
  rm -rf "$archive"
  mkdir "$archive"
  tar -xzf "$snapshot" -C "$archive" || fail archive "$name is not a gzipped tar archive"
  for member in meta.json state.bin SHA256SUMS; do
    [ -f "$archive/$member" ] || fail archive "$name holds no $member"
  done
  (cd "$archive" && sha256sum -c SHA256SUMS >/dev/null 2>&1) || fail archive "the Raft data in $name does not match its SHA256SUMS"
  rm -rf "$archive"
  log "archive: meta.json and state.bin match the snapshot's SHA256SUMS"

  if [ "${SNAPSHOT_INSPECT:-false}" = true ]; then
    if ! "$VAULT_CLI" operator raft snapshot inspect "$snapshot" >"$WORK_DIR/inspect.txt" 2>&1; then
      cat "$WORK_DIR/inspect.txt" >&2
      fail inspect "\"$VAULT_CLI operator raft snapshot inspect\" cannot read $name"
    fi
    index=$(awk '$1 == "Index" { print $2; exit }' "$WORK_DIR/inspect.txt")
    term=$(awk '$1 == "Term" { print $2; exit }' "$WORK_DIR/inspect.txt")
    [ -n "$index" ] || fail inspect "\"$VAULT_CLI operator raft snapshot inspect\" reported no Raft index for $name"
    log "inspect: Raft index $index, term $term"
  else
    log "inspect: skipped, this $VAULT_CLI CLI has no \"operator raft snapshot inspect\" (the archive check above covers its integrity)"
  fi
  log "OK: $name is complete, intact and $hours hours old"
}

case $step in
  snapshot) snapshot ;;
  upload) upload ;;
  fetch) fetch ;;
  verify) verify ;;
  *)
    step=usage
    fail arguments "expected one of snapshot, upload, fetch, verify; got \"${1:-}\""
    ;;
esac
