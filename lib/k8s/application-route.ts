import { Construct } from 'constructs';
import { HttpRoute, HttpRouteSpecRulesMatchesPathType } from '../../imports/gw-httproutes-gateway.networking.k8s.io.js';
import { MANAGED_BY_LABEL } from '../util/names.js';
import { GATEWAY_API_GROUP, HTTPS_LISTENER, type PlatformGateway } from './gateway.js';

export interface ApplicationRouteProps {
  /** Name of the HTTPRoute: the application's. */
  readonly name: string;
  /** The application's namespace, where the route and the Service live. */
  readonly namespace: string;
  /** The Gateway that exposes the application; it must admit `namespace`. */
  readonly gateway: PlatformGateway;
  /** The application's host name, served by the Gateway's HTTPS listener. */
  readonly hostname: string;
  readonly serviceName: string;
  readonly servicePort: number;
  /** Path prefix routed to the Service. @default '/' */
  readonly path?: string;
}

/**
 * An HTTPRoute that publishes one application on the HTTPS listener of its Gateway.
 *
 * The constructor refuses a route the Gateway would not accept (its namespace not admitted) or
 * would serve with a certificate that does not cover its host name: mistakes a cluster only
 * reports in a status condition are reported here, at synth.
 *
 * @see https://gateway-api.sigs.k8s.io/api-types/httproute/
 */
export class ApplicationRoute extends Construct {
  public readonly route: HttpRoute;

  constructor(scope: Construct, id: string, props: ApplicationRouteProps) {
    super(scope, id);
    const { gateway } = props;
    if (!gateway.admits(props.namespace)) {
      throw new Error(`route "${props.namespace}/${props.name}": gateway "${gateway.gatewayName}" does not admit routes from namespace "${props.namespace}"`);
    }
    if (!gateway.serves(props.hostname)) {
      throw new Error(`route "${props.namespace}/${props.name}": gateway "${gateway.gatewayName}" (${gateway.listenerHostname}) has no certificate for "${props.hostname}"`);
    }
    this.route = new HttpRoute(this, 'Resource', {
      metadata: { name: props.name, namespace: props.namespace, labels: { ...MANAGED_BY_LABEL } },
      spec: {
        parentRefs: [{
          group: GATEWAY_API_GROUP,
          kind: 'Gateway',
          name: gateway.gatewayName,
          namespace: gateway.namespace,
          sectionName: HTTPS_LISTENER,
        }],
        hostnames: [props.hostname],
        rules: [{
          matches: [{ path: { type: HttpRouteSpecRulesMatchesPathType.PATH_PREFIX, value: props.path ?? '/' } }],
          backendRefs: [{ group: '', kind: 'Service', name: props.serviceName, port: props.servicePort }],
        }],
      },
    });
  }
}
