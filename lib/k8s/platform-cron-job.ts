import { ApiObject, Cron, Duration, JsonPatch } from 'cdk8s';
import * as plus from 'cdk8s-plus-28';
import type { Construct } from 'constructs';

/** The user and group every platform container runs as: not root, and not an id the images give a meaning to. */
export const PLATFORM_RUN_AS = 65532;

/**
 * One container of a platform job, in cdk8s-plus vocabulary. Everything cdk8s-plus would default
 * is either required here (`resources`: its default is 1-1.5 CPU and 0.5-2 GiB of memory for every
 * container) or set by {@link PlatformCronJob} to our value (security context, pull policy).
 */
export interface PlatformContainerProps {
  readonly name: string;
  /** Pinned image (a tag other than `latest`, or a digest). */
  readonly image: string;
  /** @default - the image's entrypoint */
  readonly command?: readonly string[];
  /** Environment variables, in this order. @default {} */
  readonly env?: Readonly<Record<string, string>>;
  /** @default [] */
  readonly volumeMounts?: readonly plus.VolumeMount[];
  /** Requests and limits: CPU, memory and, where the pod has emptyDirs, ephemeral storage. */
  readonly resources: plus.ContainerResources;
}

/** What {@link PlatformCronJob} builds from. */
export interface PlatformCronJobProps {
  /** `metadata.name` of the CronJob. */
  readonly name: string;
  readonly namespace: string;
  /** Labels of the CronJob, of its Jobs and of their pods. */
  readonly labels: Readonly<Record<string, string>>;
  /** Annotations of the Jobs' pods. @default {} */
  readonly podAnnotations?: Readonly<Record<string, string>>;
  /** Cron schedule, five fields or a macro (`@daily`), read in UTC. Checked by the caller (lib/util/cron.ts). */
  readonly schedule: string;
  /** The service account the pods run as; its token is never mounted. */
  readonly serviceAccount: plus.IServiceAccount;
  /** Run in this order, each to completion, before `containers`. @default [] */
  readonly initContainers?: readonly PlatformContainerProps[];
  readonly containers: readonly PlatformContainerProps[];
  /** Volumes no container mounts; mounted ones are added from the mounts. @default [] */
  readonly volumes?: readonly plus.Volume[];
  /** How late a run may still start. */
  readonly startingDeadline: Duration;
  /** Retries of a failed Job (each in a new pod). */
  readonly backoffLimit: number;
  /** Run time of a Job, retries included. @default Duration.minutes(30) */
  readonly activeDeadline?: Duration;
  /**
   * How long a finished Job (and its pod's logs) stays. Eight days outlast a weekly run, so a
   * failed Job (and its alert) stays until the next run has had its chance.
   * @default Duration.days(8)
   */
  readonly ttlAfterFinished?: Duration;
  /** Succeeded and failed Jobs kept, each. @default 3 */
  readonly jobsRetained?: number;
}

/**
 * A CronJob of the platform, built with cdk8s-plus-28's `CronJob` and set the way every job of the
 * platform runs, whatever cdk8s-plus's defaults are:
 *
 * - one run at a time (`Forbid`), in `Etc/UTC`, not suspended, `jobsRetained` Jobs kept each way
 *   and removed `ttlAfterFinished` after they finish;
 * - the pod: `restartPolicy: Never` (a failed step leaves its pod and logs behind; the Job starts a
 *   new pod), the given service account with `automountServiceAccountToken: false`, non-root
 *   {@link PLATFORM_RUN_AS} user, group and fsGroup, the runtime's seccomp profile;
 * - every container: non-root, read-only root filesystem, no privilege, no escalation, every
 *   capability dropped, seccomp `RuntimeDefault`, `IfNotPresent` (images are pinned), the given
 *   requests and limits;
 * - labels on the CronJob, the Job template and the pod template; no `cdk8s.io/metadata.addr`.
 *
 * What cdk8s-plus cannot say is patched onto its object, each with the reason beside it. Fields
 * cdk8s-plus always writes and that equal the API server's defaults (`suspend: false`,
 * `dnsPolicy: ClusterFirst`, `hostNetwork: false`, `setHostnameAsFQDN: false`,
 * `terminationGracePeriodSeconds: 30`, `fsGroupChangePolicy: Always`, `privileged: false`) are
 * kept: they are what the cluster would store anyway.
 *
 * Volumes come from the mounts: `plus.Volume.fromEmptyDir(scope, id, name, { sizeLimit, medium })`
 * for a step-to-step hand-over (`EmptyDirMedium.MEMORY` for secrets), `Volume.fromConfigMap`,
 * `Volume.fromSecret`. A job that reads the Kubernetes API gets a Role from cdk8s-plus's `Role`
 * bound to `serviceAccount`, and a projected token volume of its own: the default token stays off.
 *
 * @example
 * new PlatformCronJob(this, 'Rotate', {
 *   name: 'approle-rotate', namespace, labels, schedule: '0 3 * * 1',
 *   serviceAccount, startingDeadline: Duration.hours(1), backoffLimit: 1,
 *   initContainers: [{ name: 'login', image, command, resources, volumeMounts: [{ volume: work, path: '/work' }] }],
 *   containers: [{ name: 'patch', image, command, resources, volumeMounts: [{ volume: work, path: '/work' }] }],
 * });
 *
 * @see https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/
 * @see https://cdk8s.io/docs/latest/plus/cdk8s-plus-28/cron-job/
 */
export class PlatformCronJob extends plus.CronJob {
  constructor(scope: Construct, id: string, props: PlatformCronJobProps) {
    const labels = { ...props.labels };
    const jobsRetained = props.jobsRetained ?? 3;
    if (props.containers.length === 0) throw new Error(`CronJob "${props.name}" needs at least one container`);
    super(scope, id, {
      metadata: { name: props.name, namespace: props.namespace, labels },
      podMetadata: { labels, annotations: props.podAnnotations ? { ...props.podAnnotations } : undefined },
      schedule: cronOf(props.schedule),
      timeZone: 'Etc/UTC',
      concurrencyPolicy: plus.ConcurrencyPolicy.FORBID,
      startingDeadline: props.startingDeadline,
      suspend: false,
      successfulJobsRetained: jobsRetained,
      failedJobsRetained: jobsRetained,
      backoffLimit: props.backoffLimit,
      activeDeadline: props.activeDeadline ?? Duration.minutes(30),
      restartPolicy: plus.RestartPolicy.NEVER,
      serviceAccount: props.serviceAccount,
      automountServiceAccountToken: false,
      securityContext: {
        ensureNonRoot: true,
        user: PLATFORM_RUN_AS,
        group: PLATFORM_RUN_AS,
        fsGroup: PLATFORM_RUN_AS,
        fsGroupChangePolicy: plus.FsGroupChangePolicy.ALWAYS,
      },
      initContainers: (props.initContainers ?? []).map(platformContainer),
      containers: props.containers.map(platformContainer),
      volumes: [...(props.volumes ?? [])],
      // The namespace's policies isolate these pods (NamespaceIsolation); none of the pod's own.
      isolate: false,
    });

    const pod = '/spec/jobTemplate/spec/template';
    ApiObject.of(this).addJsonPatch(
      // cdk8s-plus refuses `ttlAfterFinished` beside the history limits (it would delete Jobs the
      // limits keep); both are meant here: the limits bound how many, the TTL how long.
      JsonPatch.add('/spec/jobTemplate/spec/ttlSecondsAfterFinished', (props.ttlAfterFinished ?? Duration.days(8)).toSeconds()),
      // Its PodSecurityContext has no seccompProfile (the containers' has): the pod gets it too.
      JsonPatch.add(`${pod}/spec/securityContext/seccompProfile`, { type: 'RuntimeDefault' }),
      // cdk8s-plus labels pod templates with their construct path for its own selectors; a
      // CronJob selects nothing and our NetworkPolicies select namespaces, so it would only be a
      // label that changes when the code is reorganized.
      JsonPatch.remove(`${pod}/metadata/labels/${escapePointer(plus.Pod.ADDRESS_LABEL)}`),
      // It writes no Job template metadata: our labels on the Jobs, for `kubectl get jobs -l`
      // and kube-state-metrics.
      JsonPatch.add('/spec/jobTemplate/metadata', { labels: sortedKeys(labels) }),
    );
  }
}

/** The container with our security settings; cdk8s-plus's defaults are all overridden here. */
function platformContainer(container: PlatformContainerProps): plus.ContainerProps {
  return {
    name: container.name,
    image: container.image,
    imagePullPolicy: plus.ImagePullPolicy.IF_NOT_PRESENT,
    command: container.command ? [...container.command] : undefined,
    envVariables: Object.fromEntries(Object.entries(container.env ?? {}).map(([name, value]) => [name, plus.EnvValue.fromValue(value)])),
    volumeMounts: [...(container.volumeMounts ?? [])],
    resources: container.resources,
    securityContext: {
      ensureNonRoot: true,
      readOnlyRootFilesystem: true,
      privileged: false,
      allowPrivilegeEscalation: false,
      capabilities: { drop: [plus.Capability.ALL] },
      seccompProfile: { type: plus.SeccompProfileType.RUNTIME_DEFAULT },
    },
  };
}

/** A schedule as cdk8s's `Cron`: its five fields, or a macro, which `Cron` has no field for. */
export function cronOf(schedule: string): Cron {
  const fields = schedule.trim().split(/\s+/);
  if (fields.length === 5) {
    const [minute, hour, day, month, weekDay] = fields;
    return Cron.schedule({ minute, hour, day, month, weekDay });
  }
  return { expressionString: schedule.trim() };
}

/**
 * The object with its keys in order, as cdk8s writes the rest: patches apply after its sort (and
 * cdk8s-plus's objects then convert the document field by field, which orders fields, not map keys).
 */
function sortedKeys(record: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** A JSON pointer segment (RFC 6901): `~` and `/` escaped. */
function escapePointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}
