# shellcheck shell=sh
# What the platform's job scripts (vault-backup.sh, approle-rotation.sh) share, sourced by each
# from its own folder (the ConfigMap mounts both files side by side) once it has set JOB (its name
# in the log lines) and step (the step it runs).
#
# Every line starts with the UTC time, the job and the step; a failed step ends with
# "FAILED at <what>: <why>" and exit status 1; a Vault token the step logged in with
# (logged_in set, VAULT_CLI the CLI) is revoked on the way out, whatever ends the step.

failed=
logged_in=

log() {
  printf '%s %s %s: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$JOB" "$step" "$*" >&2
}

# fail <what> <why>: the last line of a failed step.
fail() {
  failed=1
  log "FAILED at $1: $2"
  exit 1
}

# require NAME...: each environment variable is set and not empty.
require() {
  for name in "$@"; do
    eval "value=\${$name:-}"
    [ -n "$value" ] || fail configuration "the environment variable $name is not set"
  done
}

# vault_target: checks VAULT_CLI (vault or bao) and sets $addr and $cacert from its environment
# (VAULT_ADDR/VAULT_CACERT, or BAO_*): an https:// address and a readable CA file, never skipped.
vault_target() {
  case $VAULT_CLI in
    vault) addr=${VAULT_ADDR:-} cacert=${VAULT_CACERT:-} ;;
    bao) addr=${BAO_ADDR:-} cacert=${BAO_CACERT:-} ;;
    *) fail configuration "VAULT_CLI must be vault or bao, got \"$VAULT_CLI\"" ;;
  esac
  case $addr in
    https://*) ;;
    *) fail configuration "the Vault address must be an https:// URL, got \"$addr\"" ;;
  esac
  [ -r "$cacert" ] || fail configuration "the CA certificate \"$cacert\" is not readable (the private-ca ConfigMap of the namespace)"
}

# use_token TOKEN: the CLI's token from now on (through its environment, never an argument),
# revoked on the way out.
use_token() {
  [ -n "$1" ] || fail login "the login returned no token"
  case $VAULT_CLI in
    vault) VAULT_TOKEN=$1 && export VAULT_TOKEN ;;
    bao) BAO_TOKEN=$1 && export BAO_TOKEN ;;
  esac
  logged_in=1
}

on_exit() {
  status=$?
  if [ -n "$logged_in" ]; then
    # The token would expire with its TTL anyway; revoking it now leaves nothing to steal.
    if "$VAULT_CLI" token revoke -self >/dev/null 2>&1; then
      log "token revoked"
    else
      log "warning: the token could not be revoked; it expires with its TTL"
    fi
  fi
  if [ "$status" -ne 0 ] && [ -z "$failed" ]; then
    log "FAILED at an unexpected command (exit status $status)"
  fi
  exit "$status"
}
trap on_exit EXIT
