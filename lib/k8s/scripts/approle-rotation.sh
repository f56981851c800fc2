#!/bin/sh
# Rotation of one Vault AppRole secret id: one POSIX script, four steps, each run by one container
# of the rotation CronJob (lib/k8s/approle-rotation.ts), in order, sharing $WORK_DIR (a memory
# emptyDir that dies with the pod):
#
#   approle-rotation.sh credentials  AWS CLI image: the pod's AWS credentials (IRSA or Pod Identity),
#                                    exported to $WORK_DIR for the Vault CLI's AWS login
#   approle-rotation.sh register     Vault image: log in with Vault's AWS auth, make a new secret id
#                                    (256 random bits), register it (custom-secret-id) with the
#                                    cluster's name in its metadata
#   approle-rotation.sh publish      AWS CLI image: put it in Secrets Manager, have External Secrets
#                                    sync at once (force-sync annotation), wait until the cluster's
#                                    Secret holds it
#   approle-rotation.sh revoke       Vault image: destroy this cluster's other secret ids of the AppRole
#
# A failed step ends the Job: nothing after it runs. Before `publish` succeeds the old secret id
# stays in use and valid; after it, the old one is destroyed only once the Secret holds the new
# one. A new secret id registered by a failed run is destroyed by the next good run (it carries
# the cluster's metadata too).
#
# Every line starts with the UTC time, "approle-rotation" and the step. Any failure ends the step
# with "FAILED at <what>: <why>" and exit status 1. No secret id, token or AWS key is ever printed or
# put on a command line (where any process could read it): they go through files of $WORK_DIR,
# standard input and the environment. Hence no `set -x`.
#
# Environment: WORK_DIR (default /work); credentials: AWS_REGION; register and revoke: VAULT_CLI
# (vault or bao), VAULT_ADDR, VAULT_CACERT, VAULT_TLS_SERVER_NAME (BAO_* for bao), AWS_AUTH_PATH,
# AWS_AUTH_ROLE, AWS_AUTH_SERVER_ID, AWS_AUTH_REGION, APPROLE_MOUNT, APPROLE_NAME, CLUSTER_NAME;
# publish: AWS_REGION, SECRET_ID_NAME, KUBERNETES_TOKEN_FILE, KUBERNETES_CA_FILE,
# EXTERNAL_SECRET_NAMESPACE, EXTERNAL_SECRET_NAME, SECRET_NAME, SECRET_KEY, SYNC_TIMEOUT_SECONDS.
set -eu

WORK_DIR=${WORK_DIR:-/work}
KUBERNETES_API=${KUBERNETES_API:-https://kubernetes.default.svc}
step=${1:-}
JOB=approle-rotation
# shellcheck source-path=SCRIPTDIR source=job-lib.sh
. "$(dirname "$0")/job-lib.sh"
CREDENTIALS="$WORK_DIR/aws-credentials"
NEW_SECRET_ID="$WORK_DIR/secret-id"
NEW_ACCESSOR="$WORK_DIR/secret-id-accessor"
METADATA_KEY=gateway-pki-cluster

credentials() {
  require AWS_REGION
  umask 077
  aws configure export-credentials --format env-no-export >"$CREDENTIALS.new" \
    || fail credentials "the AWS CLI found no credentials (the service account's IRSA annotation, or its Pod Identity association)"
  grep -q '^AWS_ACCESS_KEY_ID=' "$CREDENTIALS.new" || fail credentials "the exported credentials have no access key id"
  mv "$CREDENTIALS.new" "$CREDENTIALS"
  log "AWS credentials exported for the Vault login"
}

# vault_login: a token from Vault's AWS auth, as the pod's IAM role, in the CLI's environment.
vault_login() {
  require VAULT_CLI AWS_AUTH_PATH AWS_AUTH_ROLE AWS_AUTH_SERVER_ID AWS_AUTH_REGION
  vault_target
  [ -s "$CREDENTIALS" ] || fail login "no AWS credentials in $CREDENTIALS: the credentials step produced none"
  log "logging in to $addr as $AWS_AUTH_ROLE (auth/$AWS_AUTH_PATH)"
  # The AWS keys reach the CLI through its environment, in a subshell, never as arguments.
  # shellcheck source=/dev/null
  if ! token=$(set -a && . "$CREDENTIALS" && set +a \
    && "$VAULT_CLI" login -no-store -token-only -method=aws -path="$AWS_AUTH_PATH" role="$AWS_AUTH_ROLE" \
      header_value="$AWS_AUTH_SERVER_ID" region="$AWS_AUTH_REGION"); then
    fail login "Vault refused the AWS login or is unreachable (the CLI's error is above); is the vault-config stack applied?"
  fi
  use_token "$token"
  unset token
}

register() {
  require APPROLE_MOUNT APPROLE_NAME CLUSTER_NAME
  umask 077
  vault_login
  role="auth/$APPROLE_MOUNT/role/$APPROLE_NAME"
  # 256 random bits, as 64 hexadecimal digits.
  head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$NEW_SECRET_ID.new"
  [ "$(wc -c <"$NEW_SECRET_ID.new" | tr -d ' ')" -eq 64 ] || fail generate "could not read 32 random bytes"
  log "registering a new secret id of $APPROLE_NAME for cluster $CLUSTER_NAME"
  if ! accessor=$("$VAULT_CLI" write -field=secret_id_accessor "$role/custom-secret-id" secret_id=- \
    metadata="{\"$METADATA_KEY\":\"$CLUSTER_NAME\"}" <"$NEW_SECRET_ID.new"); then
    fail register "Vault refused the new secret id of $role (the CLI's error is above)"
  fi
  [ -n "$accessor" ] || fail register "Vault returned no accessor"
  printf '%s' "$accessor" >"$NEW_ACCESSOR"
  mv "$NEW_SECRET_ID.new" "$NEW_SECRET_ID"
  log "registered: accessor $accessor"
}

# kube METHOD PATH [curl arguments]: the Kubernetes API, as the pod's service account, TLS verified.
kube() {
  method=$1 path=$2
  shift 2
  curl -sS --fail-with-body --proto '=https' --max-time 20 --cacert "$KUBERNETES_CA_FILE" \
    -H "Authorization: Bearer $(cat "$KUBERNETES_TOKEN_FILE")" -X "$method" "$@" "$KUBERNETES_API$path"
}

publish() {
  require AWS_REGION SECRET_ID_NAME KUBERNETES_TOKEN_FILE KUBERNETES_CA_FILE EXTERNAL_SECRET_NAMESPACE EXTERNAL_SECRET_NAME \
    SECRET_NAME SECRET_KEY SYNC_TIMEOUT_SECONDS
  if [ ! -s "$NEW_SECRET_ID" ] || [ ! -s "$NEW_ACCESSOR" ]; then
    fail publish "no new secret id in $WORK_DIR: the register step produced none"
  fi
  accessor=$(cat "$NEW_ACCESSOR")
  log "putting the new secret id (accessor $accessor) in Secrets Manager: $SECRET_ID_NAME"
  aws secretsmanager put-secret-value --region "$AWS_REGION" --secret-id "$SECRET_ID_NAME" \
    --secret-string "file://$NEW_SECRET_ID" --query VersionId --output text >/dev/null \
    || fail publish "Secrets Manager refused the new value of $SECRET_ID_NAME (the CLI's error is above)"

  log "asking External Secrets to sync $EXTERNAL_SECRET_NAMESPACE/$EXTERNAL_SECRET_NAME now"
  kube PATCH "/apis/external-secrets.io/v1/namespaces/$EXTERNAL_SECRET_NAMESPACE/externalsecrets/$EXTERNAL_SECRET_NAME" \
    -H 'Content-Type: application/merge-patch+json' -o /dev/null \
    --data "{\"metadata\":{\"annotations\":{\"force-sync\":\"$accessor\"}}}" \
    || fail sync "could not annotate the ExternalSecret (the API's answer is above)"

  expected="\"$SECRET_KEY\":\"$(base64 <"$NEW_SECRET_ID" | tr -d '\n')\""
  deadline=$(($(date +%s) + SYNC_TIMEOUT_SECONDS))
  until kube GET "/api/v1/namespaces/$EXTERNAL_SECRET_NAMESPACE/secrets/$SECRET_NAME" 2>/dev/null | tr -d ' \n' | grep -qF "$expected"; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      fail sync "the Secret $EXTERNAL_SECRET_NAMESPACE/$SECRET_NAME does not hold the new secret id after $SYNC_TIMEOUT_SECONDS s; the old one stays valid (kubectl describe externalsecret -n $EXTERNAL_SECRET_NAMESPACE $EXTERNAL_SECRET_NAME)"
    fi
    sleep 5
  done
  rm -f "$NEW_SECRET_ID"
  log "the Secret $EXTERNAL_SECRET_NAMESPACE/$SECRET_NAME holds the new secret id"
}

revoke() {
  require APPROLE_MOUNT APPROLE_NAME CLUSTER_NAME
  [ -s "$NEW_ACCESSOR" ] || fail revoke "no new accessor in $WORK_DIR: the register step produced none"
  current=$(cat "$NEW_ACCESSOR")
  vault_login
  rm -f "$CREDENTIALS"
  role="auth/$APPROLE_MOUNT/role/$APPROLE_NAME"
  list_status=0
  accessors=$("$VAULT_CLI" list -format=json "$role/secret-id" 2>/dev/null) || list_status=$?
  [ "$list_status" -eq 0 ] || [ "$list_status" -eq 2 ] || fail list "could not list the secret ids of $role (exit status $list_status)"
  destroyed=0 kept=0
  for accessor in $(printf '%s\n' "$accessors" | sed -n 's/^ *"\([0-9a-f-]*\)",\{0,1\}$/\1/p'); do
    [ "$accessor" != "$current" ] || continue
    lookup=$("$VAULT_CLI" write -format=json "$role/secret-id-accessor/lookup" secret_id_accessor="$accessor" 2>/dev/null) || continue
    if printf '%s\n' "$lookup" | grep -qF "\"$METADATA_KEY\": \"$CLUSTER_NAME\""; then
      "$VAULT_CLI" write "$role/secret-id-accessor/destroy" secret_id_accessor="$accessor" >/dev/null \
        || fail destroy "could not destroy the secret id with accessor $accessor"
      destroyed=$((destroyed + 1))
      log "destroyed the secret id with accessor $accessor"
    else
      kept=$((kept + 1))
    fi
  done
  log "done: $destroyed older secret id(s) of cluster $CLUSTER_NAME destroyed, $kept of other clusters (or made by hand) left, $current in use"
}

case $step in
  credentials) credentials ;;
  register) register ;;
  publish) publish ;;
  revoke) revoke ;;
  *) fail usage "expected a step, one of credentials, register, publish, revoke; got \"$step\"" ;;
esac
