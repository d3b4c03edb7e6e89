// `phoenix doctor`'s checks of a cluster reached with --api, each a Check with the fix for what is missing:
// reachability, the certificate and the token (one `GET /version` sent by hand, so a failure is reported rather than
// ending the run), the token's privileges on every path the fleet's steps use (`GET /access/permissions?path=P`),
// the content types of the storages on each node the fleet uses, and ssh as root to each of those nodes.
import type { Fleet, Guest } from '../config/model.js';
import { hideSecrets } from '../config/secrets.js';
import { createApiClient, type ApiFailure } from '../host/api/client.js';
import type { ApiHost } from '../host/api/host.js';
import { createHttpTransport } from '../host/api/http.js';
import {
  describeMissing,
  grantCommands,
  guestPrivileges,
  missingPrivileges,
  pathsOf,
  storagePrivileges,
  type PrivilegeNeed,
  type StorageUse,
} from '../host/api/privileges.js';
import { permissions, version } from '../host/api/schemas.js';
import type { ClusterView } from '../host/api/view.js';
import type { StorageInfo } from '../host/conf.js';
import type { LiveState } from '../host/live.js';
import { stepNodesOf } from '../graph/query.js';
import type { StepGraph } from '../graph/types.js';
import { bindStep } from '../plan/evaluate.js';
import { checkNeeds } from '../plan/preflight.js';
import type { HostNeed } from '../tasks/step.js';
import type { ApiAccess } from './api-access.js';

type ContentNeed = Extract<HostNeed, { kind: 'content' }>;

export interface Check {
  /** What was checked: `reachable`, `certificate`, `token`, `privileges`, `storage pve2`, `ssh pve2`. */
  name: string;
  ok: boolean;
  detail: string;
  /** What to do about it, one line each. */
  fix?: string[];
}

/** The token's ID (`user@realm!tokenid`): the part before the secret. */
export const tokenIdOf = (token: string): string => token.slice(0, token.indexOf('='));

const describeTrust = (a: ApiAccess): string =>
  'pin' in a.trust
    ? `matches the pinned ${a.trust.pin}`
    : 'ca' in a.trust
      ? 'chains to --ca-file'
      : "chains to this system's CAs";

/**
 * One `GET /version`, not retried: whether the server answers, is the one the certificate settings trust, and takes
 * the token. `untrusted`: the certificate was refused (no request was sent).
 */
export async function probe(
  access: ApiAccess,
): Promise<{ checks: Check[]; ok: boolean; untrusted: boolean }> {
  const client = createApiClient({
    transport: createHttpTransport(access),
    retry: { totalMs: 0 },
  });
  try {
    const res = await client.read('/version', version, undefined, { timeoutMs: 15_000 });
    if (res.ok) {
      return {
        ok: true,
        untrusted: false,
        checks: [
          { name: 'reachable', ok: true, detail: `${access.url}: Proxmox VE ${res.value.version}` },
          { name: 'certificate', ok: true, detail: describeTrust(access) },
          { name: 'token', ok: true, detail: `${tokenIdOf(access.token)} is accepted` },
        ],
      };
    }
    return failedProbe(access, res.error);
  } finally {
    await client.close();
  }
}

function failedProbe(access: ApiAccess, e: ApiFailure): { checks: Check[]; ok: false; untrusted: boolean } {
  if (e.kind === 'network' && e.pin === true)
    return {
      ok: false,
      untrusted: true,
      checks: [
        { name: 'reachable', ok: true, detail: `${access.url} answers TLS` },
        {
          name: 'certificate',
          ok: false,
          detail: `${e.message}; no request was sent`,
          fix: [
            "on the node, `pvenode cert info` prints the certificate's SHA-256 fingerprint: set PHOENIX_API_FINGERPRINT (or --fingerprint) to it",
            'or trust the cluster CA instead: --ca-file /etc/pve/pve-root-ca.pem (copied from a node)',
          ],
        },
      ],
    };
  if (e.kind === 'http' && e.status === 401)
    return {
      ok: false,
      untrusted: false,
      checks: [
        { name: 'reachable', ok: true, detail: access.url },
        { name: 'certificate', ok: true, detail: describeTrust(access) },
        {
          name: 'token',
          ok: false,
          detail: `${tokenIdOf(access.token)} is refused (401 ${e.message})`,
          fix: [
            `on a node, \`pveum user token list ${tokenIdOf(access.token).split('!')[0]}\` lists the user's tokens; a new one with its secret: \`pveum user token add USER TOKENID\``,
            'then set PHOENIX_API_TOKEN (or --token-file) to user@realm!tokenid=secret',
          ],
        },
      ],
    };
  return {
    ok: false,
    untrusted: false,
    checks: [
      {
        name: 'reachable',
        ok: false,
        detail: `${access.url}: ${e.message}`,
        fix: [
          'check the URL (https://<node>:8006) and that pveproxy runs on the node (`systemctl status pveproxy`)',
          'and that no firewall between here and the node blocks port 8006',
        ],
      },
    ],
  };
}

/** Every guest's define step as if it built the guest from scratch, and the node it is (or will be) on. */
function defineNeeds(fleet: Fleet, graph: StepGraph, api: ApiHost): { need: HostNeed; node: string }[] {
  const nothing: LiveState = { node: '', guests: new Map() };
  return [...fleet.guests.values()].flatMap((g) =>
    stepNodesOf(graph, g.id)
      .filter((n) => n.spec.kind === 'define')
      .flatMap((n) => bindStep(n, fleet, nothing, hideSecrets).needs(true))
      .map((need) => ({ need, node: api.guestNode(g.id) })),
  );
}

const storageUse = ({ need, node }: { need: HostNeed; node: string }): StorageUse => ({
  storage: need.storage,
  content: need.kind === 'content' ? need.content : 'vztmpl',
  node,
  guest: need.guest,
});

function bridgesOf(g: Guest): string[] {
  if (g.kind === 'vm') return [g.config.network_bridge];
  return g.config.network_config === undefined ? [] : [g.config.network_config.bridge];
}

/** What the fleet's steps ask of the token, path by path. */
export function fleetPrivileges(fleet: Fleet, graph: StepGraph, api: ApiHost): PrivilegeNeed[] {
  const guests = [...fleet.guests.values()].flatMap((g) =>
    guestPrivileges({
      id: g.id,
      kind: g.kind,
      steps: stepNodesOf(graph, g.id).map((n) => n.spec.kind),
      ...(g.cloneFrom !== undefined && { cloneFrom: g.cloneFrom }),
      bridges: bridgesOf(g),
      privileged: g.kind === 'lxc' && g.config.unprivileged === false,
    }),
  );
  return [...guests, ...defineNeeds(fleet, graph, api).map(storageUse).flatMap(storagePrivileges)];
}

/**
 * The privileges check, and the storages the token cannot see (no Datastore.Audit: `/cluster/resources` leaves
 * them out, so the storage checks cannot tell what they hold).
 */
export async function privilegeCheck(
  access: ApiAccess,
  api: ApiHost,
  needs: PrivilegeNeed[],
): Promise<{ check: Check; hidden: Set<string> }> {
  const paths = pathsOf(needs);
  const answers = await Promise.all(
    paths.map((path) => api.client.read('/access/permissions', permissions, { path })),
  );
  const granted = new Map<string, Set<string>>();
  for (const [i, res] of answers.entries()) {
    if (!res.ok) {
      const detail = `GET /access/permissions?path=${paths[i]}: ${res.error.message}`;
      return { check: { name: 'privileges', ok: false, detail }, hidden: new Set() };
    }
    granted.set(paths[i]!, new Set(Object.values(res.value).flatMap((privs) => Object.keys(privs))));
  }
  const hidden = new Set(
    paths.flatMap((p) => {
      const storage = /^\/storage\/(.+)$/.exec(p)?.[1];
      return storage !== undefined && !granted.get(p)?.has('Datastore.Audit') ? [storage] : [];
    }),
  );
  const missing = missingPrivileges(needs, granted);
  const privileges = new Set(needs.map((n) => n.privilege)).size;
  const pathCount = new Set(needs.map((n) => n.path)).size;
  const token = tokenIdOf(access.token);
  if (missing.length === 0) {
    const detail = `${token} holds the ${privileges} privileges the fleet needs on its ${pathCount} paths`;
    return { check: { name: 'privileges', ok: true, detail }, hidden };
  }
  const check: Check = {
    name: 'privileges',
    ok: false,
    detail: `${token} lacks:\n${describeMissing(missing).join('\n')}`,
    fix: [
      ...grantCommands(token, needs, missing),
      'a token with privilege separation gets only what its user also has: grant the role to the user too (--users)',
    ],
  };
  return { check, hidden };
}

/** The storages a node has, as the preflight reads them (a disabled storage is not listed on the node at all). */
function storagesOn(view: ClusterView, node: string): StorageInfo[] {
  return [...view.storages.values()].flatMap((byNode) => {
    const s = byNode.get(node);
    return s === undefined
      ? []
      : [{ id: s.storage, type: s.type ?? '', content: [...s.content], disabled: false }];
  });
}

/**
 * Each node's storages against the content its guests need (preflight's check, for a build from scratch). A storage
 * in `hidden` the token cannot see, so what it holds is not judged.
 */
export function storageChecks(
  fleet: Fleet,
  graph: StepGraph,
  api: ApiHost,
  view: ClusterView,
  hidden: ReadonlySet<string> = new Set(),
): Check[] {
  const byNode = new Map<string, ContentNeed[]>();
  for (const { need, node } of defineNeeds(fleet, graph, api)) {
    // Whether the template itself is there is the preflight's question when a run needs it; here, the content type.
    const content: ContentNeed =
      need.kind === 'content' ? need : { ...need, kind: 'content', content: 'vztmpl', why: 'OS templates' };
    byNode.set(node, [...(byNode.get(node) ?? []), content]);
  }
  return [...byNode.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([node, needs]) => {
      const unseen = [...new Set(needs.filter((n) => hidden.has(n.storage)).map((n) => n.storage))];
      const problems = [
        ...unseen.map(
          (id) =>
            `cannot tell what storage '${id}' holds: the token lacks Datastore.Audit on /storage/${id} (above)`,
        ),
        ...checkNeeds(
          needs.filter((n) => !hidden.has(n.storage)),
          { storages: storagesOn(view, node), templates: new Map() },
        ),
      ];
      const used = [...new Set(needs.map((n) => `${n.storage} (${n.content})`))];
      return problems.length === 0
        ? { name: `storage ${node}`, ok: true, detail: used.join(', ') }
        : { name: `storage ${node}`, ok: false, detail: problems.join('\n') };
    });
}

/** `ssh root@<node> true` for every node the fleet uses, as the ssh lane runs it (BatchMode: no prompt). */
export async function sshChecks(fleet: Fleet, api: ApiHost): Promise<Check[]> {
  const nodes = [...new Set([...fleet.guests.keys()].map((id) => api.guestNode(id)))].sort();
  return Promise.all(
    nodes.map(async (node): Promise<Check> => {
      const res = await api.on(node).run(['true'], { timeoutMs: 15_000 });
      return res.ok
        ? { name: `ssh ${node}`, ok: true, detail: `root@${node} runs commands without a password` }
        : {
            name: `ssh ${node}`,
            ok: false,
            detail: res.error.message,
            fix: [
              `\`ssh root@${node} true\` must work from here without a password: \`ssh-copy-id root@${node}\`, or name the host, user and key in ~/.ssh/config`,
            ],
          };
    }),
  );
}
