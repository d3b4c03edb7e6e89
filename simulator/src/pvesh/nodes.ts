// The `<node>` of an API path: a node of the cluster, whose view answers; any other name fails its host name
// lookup (pve-common PVE::Network get_ip_from_hostname, via PVE::API2Tools resolve_proxyto).
import { PveError } from '../errors.js';
import { clusterOf, nodeView, type SimState } from '../state.js';

export function checkNode(s: SimState, node: string): void {
  if (!s.nodes.includes(node))
    throw new PveError(
      `hostname lookup '${node}' failed - failed to get address info for: ${node}: Name or service not known`,
    );
}

/** The state as `node` sees it: a call for another node is proxied there (pve-manager HTTPServer.pm proxyto). */
export function viewOf(s: SimState, node: string): SimState {
  checkNode(s, node);
  return node === s.node ? s : nodeView(clusterOf(s), node);
}
