// The `<node>` of an API path: the simulator has one node, and any other name fails its host name lookup.
import { PveError } from '../errors.js';
import type { SimState } from '../state.js';

export function checkNode(s: SimState, node: string): void {
  if (node !== s.node)
    throw new PveError(
      `hostname lookup '${node}' failed - failed to get address info for: ${node}: Name or service not known`,
    );
}
