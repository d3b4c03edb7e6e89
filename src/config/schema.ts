// The fleet's config model: the single source of truth. TypeScript types are inferred from these schemas.
// Field names follow the user's legacy JSON files (snake_case), so both sources share one vocabulary.
// Objects are "loose": keys the model does not know (vllm_*, portainer_role, ...) are kept and passed through.
import { z } from 'zod';
import { LXC_OPTION_LINE, checkLxcKey, splitLxcLine } from './lxc-keys.js';

/** Proxmox guest IDs: `^[1-9][0-9]{2,8}$` (100..999999999). Legacy files carry them as strings ("950"). */
const GUEST_ID_MESSAGE = 'must be a guest ID (a number from 100 to 999999999)';
export const guestId = z
  .union([z.number(), z.string().regex(/^\s*\d+\s*$/, GUEST_ID_MESSAGE)], { error: GUEST_ID_MESSAGE })
  .pipe(
    z.coerce
      .number<string | number>()
      .int('must be a whole number')
      .min(100, 'must be at least 100 (Proxmox reserves IDs below 100)')
      .max(999_999_999, 'must be at most 999999999'),
  );

/** RFC 1123 host name: DNS labels of letters, digits and inner hyphens, joined by dots. */
export const hostname = z
  .string()
  .max(253)
  .regex(
    /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/,
    'must be a valid host name (letters, digits and inner hyphens; no underscores or spaces)',
  );

/** A Proxmox node name (pve-manager's node names: one DNS label). */
export const nodeName = z
  .string()
  .regex(/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/, 'must be a Proxmox node name like pve2');

/**
 * A template's copies on other nodes, `{ pve2: 9002 }`: each node's copy and its VMID (from the config, never
 * /cluster/nextid). Clones whose `node` key names one of these nodes are cloned from that node's copy.
 */
export const nodeCopies = z.record(nodeName, guestId, {
  error: (issue) =>
    issue.code === 'invalid_key'
      ? 'must be a Proxmox node name like pve2 (each key names the node a copy goes to)'
      : undefined,
});

const ipv4 = String.raw`(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}`;
export const ipv4Address = z.string().regex(new RegExp(`^${ipv4}$`), 'must be an IPv4 address like 10.0.0.1');
/** A gateway address; `""` (how a hand-written file says "none") means no gateway. */
export const gateway = z
  .union([z.literal(''), ipv4Address], { error: 'must be an IPv4 address like 10.0.0.1, or "" for none' })
  .transform((v) => (v === '' ? undefined : v));

/** One DNS server: an IPv4 or IPv6 address. */
const dnsAddress = z.string().regex(/^[0-9A-Fa-f.:]+$/, 'must be an IP address like 10.0.0.1');

/**
 * DNS servers: addresses separated by spaces or commas (`10.0.0.1 8.8.8.8`), or a list of addresses
 * (`["10.0.0.1", "8.8.8.8"]`, as the user's VM file writes them). Kept as one space-separated string.
 */
export const nameservers = z
  .union(
    [
      z
        .string()
        .regex(
          /^[0-9A-Fa-f.:]+(?:[ ,]+[0-9A-Fa-f.:]+)*$/,
          'must be IP addresses separated by spaces or commas',
        ),
      z.array(dnsAddress).min(1, 'must list at least one address'),
    ],
    { error: 'must be IP addresses: a string like "10.0.0.1 8.8.8.8" or a list like ["10.0.0.1"]' },
  )
  .transform((v) => (typeof v === 'string' ? v.split(/[\s,]+/).filter(Boolean) : v).join(' '));

export const ipv4CidrOrDhcp = z
  .string()
  .regex(
    new RegExp(`^(?:${ipv4}/(?:3[0-2]|[12]?\\d)|dhcp|manual)$`),
    "must be an IPv4 address with prefix length like 10.0.0.50/24, or 'dhcp'",
  );

/** Empty string means "let Proxmox generate one", as the original orchestrator did. */
export const macAddress = z
  .string()
  .regex(/^(?:[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5})?$/, 'must be a MAC address like 52:54:00:12:34:56');

/** Proxmox snapshot names: a letter, then at least one of [A-Za-z0-9_-], at most 40 characters. */
export const snapshotName = z
  .string()
  .regex(
    /^[A-Za-z][A-Za-z0-9_-]{1,39}$/,
    'must start with a letter, then letters, digits, _ or - (2..40 chars)',
  )
  .refine((s) => !['current', 'vzdump', 'pending'].includes(s), 'is a name Proxmox reserves');

/** Characters that could end a Proxmox property-string value or an argv-embedded line (`,` `=` whitespace) are refused. */
const SAFE_PATH = /^\/[A-Za-z0-9_.@+/-]*$/;
/** An absolute path that is safe inside a property string like `mp=/data` (no `,`, `=`, spaces or newlines). */
export const safeAbsolutePath = z
  .string()
  .regex(SAFE_PATH, 'must be an absolute path of letters, digits and . _ - + @ / (no spaces, commas or =)');

/** Where `local`'s `import` content lives: the one host folder a cloud image may be named by path in. */
export const LOCAL_IMPORT_DIR = '/var/lib/vz/import';

/**
 * One Proxmox container feature (`pct set --features`): a known key with a value of its kind, so nothing else can
 * ride along in the property string (`nesting=--purge`, `mount=nfs;cifs`).
 */
const pctOption = z
  .string()
  .regex(
    /^(?:(?:nesting|keyctl|fuse|mknod|force_rw_sys)=[01]|mount=[a-z0-9]+)$/,
    'must be nesting, keyctl, fuse, mknod or force_rw_sys =0|1, or mount=<one file system type>',
  );

/** Proxmox storage IDs. */
export const storageId = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9_.-]*$/, 'must be a Proxmox storage ID like local-lvm');

/** A script or file name relative to a scripts folder; never a shell fragment. */
export const scriptName = z
  .string()
  .min(1)
  .regex(/^[A-Za-z0-9_./-]+$/, 'must be a plain file name (letters, digits, . _ / -)')
  .refine((s) => !s.split('/').includes('..'), 'must not leave its scripts folder (no ..)');

/** Feature names become script names and step addresses (`950:feature:docker`). */
export const featureName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]*$/, 'must be a feature name of letters, digits, _ or -');

const positiveInt = z.number().int().positive();

export const healthCheck = z.looseObject({
  command: z.string().min(1),
  retries: z.number().int().min(1).max(100).default(3),
  interval: z.number().min(0).max(3600).default(5),
});

export const testCase = z.looseObject({ name: z.string().min(1), type: z.string().min(1), path: scriptName });
export const testSuites = z.record(z.string(), z.array(testCase));

export const lxcNetwork = z.looseObject({
  name: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,15}$/, 'must be an interface name like eth0')
    .default('eth0'),
  bridge: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,15}$/, 'must be a bridge name like vmbr0')
    .default('vmbr0'),
  ip: ipv4CidrOrDhcp.default('dhcp'),
  gw: gateway.optional(),
  /** DNS servers for the container (`pct set --nameserver`); unset: the host's. */
  nameservers: nameservers.optional(),
});

export const zfsVolume = z.looseObject({
  name: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'must be a volume name of letters, digits, _ . -'),
  pool: storageId,
  size_gb: positiveInt,
  mount_point: safeAbsolutePath,
});

/**
 * A container mount point: either a bind mount of a host folder (`host_path`) or a volume allocated on a storage
 * (`pool` + `size_gb`, the user's files write `{name, pool, size_gb, mount_point}` here too).
 */
export const lxcVolume = z
  .looseObject({
    name: z
      .string()
      .regex(/^[A-Za-z0-9_.-]+$/, 'must be a volume name of letters, digits, _ . -')
      .optional(),
    host_path: safeAbsolutePath.optional(),
    pool: storageId.optional(),
    size_gb: positiveInt.optional(),
    mount_point: safeAbsolutePath,
  })
  .refine((v) => v.host_path !== undefined || (v.pool !== undefined && v.size_gb !== undefined), {
    message: 'needs either host_path (a bind mount) or pool and size_gb (a new volume)',
  });

/** A container id (uid or gid) as the container sees it: LXC maps 0..65535 by default. */
const containerId = z.number().int().min(0).max(65535);

/**
 * A bind mount of a host folder (the user's later `mount_points`): `mpN: <host_path>,mp=<container_path>`. The
 * folder is created when missing and, with `owner_uid`/`owner_gid` (ids inside the container), owned by the host
 * ids they map to (shifted for an unprivileged container).
 */
export const mountPoint = z
  .looseObject({
    host_path: safeAbsolutePath.refine((p) => p !== '/' && !p.startsWith('/dev/'), {
      message: 'must be a host folder (not / and not a device under /dev/)',
    }),
    container_path: safeAbsolutePath.refine((p) => p !== '/', { message: 'must not be / (the root disk)' }),
    owner_uid: containerId.optional(),
    owner_gid: containerId.optional(),
    read_only: z.boolean().default(false),
  })
  .refine((m) => (m.owner_uid === undefined) === (m.owner_gid === undefined), {
    message: 'owner_uid and owner_gid go together: set both, or neither',
    path: ['owner_gid'],
  })
  .refine((m) => !/\/\.\.?(\/|$)/.test(m.host_path) && !/\/\.\.?(\/|$)/.test(m.container_path), {
    message: 'must not contain /./ or /../ (Proxmox refuses them)',
  });

/**
 * One id mapping of an unprivileged container (the user's later `id_maps`): `size` container ids from
 * `container_id` are the host's ids from `host_id` (`{"type": "gid", "host_id": 33, "container_id": 33, "size": 1}`
 * shares the host's www-data group). The ids around it keep Proxmox's usual shift (lxc-idmap.ts).
 */
export const idMap = z
  .looseObject({
    type: z.enum(['uid', 'gid'], { error: 'must be uid or gid' }),
    host_id: z.number().int().min(0).max(4294967294),
    container_id: containerId,
    size: z.number().int().min(1).max(65536).default(1),
  })
  .refine((m) => m.container_id + m.size <= 65536, {
    message: 'container_id + size must be at most 65536 (the container ids LXC maps)',
    path: ['size'],
  })
  .refine((m) => m.host_id + m.size <= 4294967295, {
    message: 'host_id + size must be at most 4294967295',
    path: ['size'],
  });

/** An IPv4 address or network (`10.0.0.12`, `10.0.0.0/24`), as a firewall rule's source or destination. */
const ipv4OrCidr = z
  .string()
  .regex(
    new RegExp(`^${ipv4}(?:/(?:3[0-2]|[12]?\\d))?$`),
    'must be an IPv4 address or network like 10.0.0.12 or 10.0.0.0/24',
  );

const portNumber = (p: string): boolean => /^\d{1,5}$/.test(p) && Number(p) >= 1 && Number(p) <= 65535;

/**
 * One firewall rule of a guest (the user's later `firewall.rules`): written as Proxmox writes it into the guest's
 * `/etc/pve/firewall/<id>.fw` (`IN ACCEPT -source S -dest D -p P -dport PORT # comment`; pve-firewall
 * `Firewall.pm` `parse_fw_rule`). `port` is the destination port: a port, a range `8000:8080`, or a list `80,443`.
 */
export const firewallRule = z
  .looseObject({
    type: z.enum(['in', 'out'], { error: 'must be in or out' }),
    action: z.enum(['ACCEPT', 'DROP', 'REJECT'], { error: 'must be ACCEPT, DROP or REJECT' }),
    proto: z
      .string()
      .regex(/^[a-z][a-z0-9-]*$|^\d{1,3}$/, 'must be a protocol name like tcp, udp or icmp')
      .optional(),
    port: z
      .union([z.string(), z.number().int()])
      .transform(String)
      .refine(
        (v) =>
          v.split(',').every((part) => {
            const [a, b, ...rest] = part.split(':');
            if (rest.length > 0 || a === undefined || !portNumber(a)) return false;
            return b === undefined || (portNumber(b) && Number(a) <= Number(b));
          }),
        { message: 'must be ports 1..65535: 443, a range 8000:8080, or a list 80,443' },
      )
      .optional(),
    source: ipv4OrCidr.optional(),
    dest: ipv4OrCidr.optional(),
    comment: z
      .string()
      .regex(/^[^\n\r]*$/, 'must be one line')
      .optional(),
  })
  .refine((r) => r.port === undefined || ['tcp', 'udp', 'udplite', 'sctp', 'dccp'].includes(r.proto ?? ''), {
    message: 'a port needs proto tcp, udp, udplite, sctp or dccp',
    path: ['port'],
  });

const firewallPolicy = z.enum(['ACCEPT', 'DROP', 'REJECT'], { error: 'must be ACCEPT, DROP or REJECT' });

/** A guest's firewall: its `.fw` file (options and rules) and `firewall=1` on its network device. */
export const guestFirewall = z.looseObject({
  enabled: z.boolean().default(true),
  policy_in: firewallPolicy.optional(),
  policy_out: firewallPolicy.optional(),
  rules: z.array(firewallRule).default([]),
});

/**
 * The host-wide firewall (the user's later `shared_volumes.firewall`), written by the `host:firewall` step into the
 * datacenter's `/etc/pve/firewall/cluster.fw`, the one file whose options hold the default policies (pve-firewall
 * `parse_clusterfw_option`). Off unless `enabled: true`, as the user's own setup script reads it.
 */
export const hostFirewall = z.looseObject({
  enabled: z.boolean().default(false),
  /** Inbound to every node; Proxmox's default is DROP (the management ipset keeps 8006 and 22 open). */
  default_input_policy: firewallPolicy.optional(),
  /** Outbound from every node; Proxmox's default is ACCEPT. */
  default_output_policy: firewallPolicy.optional(),
  global_firewall_rules: z.array(firewallRule).default([]),
});

/**
 * One raw `lxc.*` line, with a key Proxmox keeps (lxc-keys.ts): any other line Proxmox drops when it loads the
 * config, while Phoenix, reading the file, would believe it applied.
 */
const lxcOption = z
  .string()
  .regex(LXC_OPTION_LINE, 'must be an lxc.key: value line')
  .superRefine((line, ctx) => {
    const [key] = splitLxcLine(line) ?? [''];
    const verdict = checkLxcKey(key);
    if (!verdict.ok)
      ctx.addIssue({ code: 'custom', message: verdict.message, params: { hint: verdict.hint } });
  });

export const lxcGuest = z.looseObject({
  name: hostname,
  memory_mb: z.number().int().min(16, 'must be at least 16 (Proxmox minimum)').default(512),
  swap_mb: z.number().int().min(0).default(512),
  cores: z.number().int().min(1).max(8192).default(1),
  /** OS template: a volid (`local:vztmpl/x.tar.zst`), an absolute path, or a file name on the template storage. */
  template: z
    .string()
    .regex(/^[A-Za-z0-9_./:+-]+$/, 'must be a template volid, path or file name (no spaces or commas)')
    .refine((s) => !s.startsWith('-'), 'must not start with -')
    .optional(),
  storage_pool: storageId.default('local-lvm'),
  storage_size_gb: z.number().int().min(1).max(131072).default(8),
  network_config: lxcNetwork.optional(),
  mac_address: macAddress.optional(),
  unprivileged: z.boolean().default(true),
  start_at_boot: z.boolean().default(false),
  boot_order: z.number().int().min(0).default(0),
  boot_delay: z.number().int().min(0).default(0),
  /**
   * Seconds a clean shutdown may take before the guest is stopped hard: `phoenix stop`, and the `down=` of Proxmox's
   * `startup` setting, which the host uses when it shuts all guests down (default 180, Proxmox's own stopall
   * default; never 0, which would make a host reboot kill VMs at once).
   */
  shutdown_timeout: z.number().int().min(1).max(86400).default(180),
  features: z.array(featureName).default([]),
  /** Proxmox `features` (`nesting=1`, `keyctl=1`, ...). */
  pct_options: z.array(pctOption).default([]),
  /** Raw `lxc.*` lines (`lxc.mount.auto: sys:rw` or `lxc.apparmor.profile=unconfined`). */
  lxc_options: z.array(lxcOption).default([]),
  /**
   * AppArmor profile name (`unconfined`, `lxc-phoenix-v2`); it ends up on an `lxc.apparmor.profile` line. Any other
   * name than `unconfined` is a profile file in the install root's `etc/apparmor/`, installed on the host first.
   */
  apparmor_profile: z
    .string()
    .regex(/^[A-Za-z0-9_.][A-Za-z0-9_.-]*$/, 'must be an AppArmor profile name like lxc-default-cgns')
    .optional(),
  /** With a profile of its own: the profile allows nesting (`lxc.apparmor.allow_nesting: 1` and LXC's nesting.conf). */
  apparmor_manages_nesting: z.boolean().default(false),
  /**
   * Portainer role (`server`, `agent`, ...): anything but `none` runs the portainer feature script after the
   * features, with the CTID as $1, as the original's run_portainer_script did.
   */
  portainer_role: z.string().optional(),
  clone_from_ctid: guestId.optional(),
  dependencies: z.array(guestId).default([]),
  template_snapshot_name: snapshotName.optional(),
  /**
   * The lifecycle snapshot (`final-form`, the original's create_final_form_snapshot) taken by the guest's last step;
   * unset means on, `false` turns it off (a storage without snapshots needs that). Never taken of a container with
   * a bind mount, which Proxmox cannot snapshot.
   */
  enable_lifecycle_snapshots: z.boolean().optional(),
  application_script: scriptName.optional(),
  health_check: healthCheck.optional(),
  tests: testSuites.optional(),
  volumes: z.array(lxcVolume).default([]),
  zfs_volumes: z.array(zfsVolume).default([]),
  /** The cluster node the guest lives on (the api transport; one node's CLI ignores it): pve-manager node names. */
  node: nodeName.optional(),
  /** A template's per-node copies (config/node-copies.ts): node name -> the copy's VMID. */
  node_copies: nodeCopies.optional(),
  /** Bind mounts of host folders, applied by the `mounts` step (the user's later layout's key). */
  mount_points: z.array(mountPoint).default([]),
  /** Id mappings of an unprivileged container, written as complete `lxc.idmap` lines by the `idmap` step. */
  id_maps: z.array(idMap).default([]),
  /** The container's firewall, applied by the `firewall` step. */
  firewall: guestFirewall.optional(),
});

/**
 * An NFS share mounted inside a VM (the user's later VM `volumes`, as their vm-manager's apply_volumes mounts it):
 * an `/etc/fstab` line `<server>:<path> <mount_point> nfs defaults,auto,nofail 0 0`, mounted through the guest
 * agent by the `volumes` step. `name` labels it; a `path` under one of the hypervisor's own `nfs.exports` is made
 * on the host first, as their manager did.
 */
export const vmVolume = z.looseObject({
  type: z.enum(['nfs'], { error: 'must be nfs (the only volume type mounted inside a VM)' }),
  name: z
    .string()
    .regex(/^[A-Za-z0-9_.-]+$/, 'must be a volume name of letters, digits, _ . -')
    .optional(),
  server: z
    .string()
    .regex(
      /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/,
      'must be an NFS server address or host name like 10.0.0.13 or nas.internal',
    ),
  /** The exported folder on the server. */
  path: safeAbsolutePath,
  /** Where the share is mounted inside the VM. */
  mount_point: safeAbsolutePath.refine((p) => p !== '/' && !/\/\.\.?(\/|$)/.test(p), {
    message: 'must be a folder other than / (no /./ or /../)',
  }),
});

/** A VM's network settings, as written (`nameserver` still apart from `nameservers`). */
export const vmNetworkFields = z.looseObject({
  ip: ipv4CidrOrDhcp.default('dhcp'),
  gw: gateway.optional(),
  /** DNS servers (`qm set --nameserver`); unset: the host's. */
  nameservers: nameservers.optional(),
  /** The same setting in the singular, as the user's later VM file spells it (their vm-manager reads it). */
  nameserver: nameservers.optional(),
});

/** A VM's network settings: `nameserver` is folded into `nameservers`. */
export const vmNetwork = vmNetworkFields
  .refine((n) => n.nameserver === undefined || n.nameservers === undefined, {
    message: 'nameservers and nameserver are the same setting; keep one of them',
    path: ['nameserver'],
  })
  .transform(({ nameserver, ...rest }) =>
    rest.nameservers === undefined && nameserver !== undefined ? { ...rest, nameservers: nameserver } : rest,
  );

export const vmUserConfig = z.looseObject({
  username: z.string().regex(/^[a-z_][a-z0-9_-]{0,31}$/, 'must be a Linux user name'),
  password: z.string().optional(),
  ssh_public_key: z.string().optional(),
});

/** A VM after `vm_defaults` are merged in. */
export const vmGuest = z.looseObject({
  vmid: guestId,
  name: hostname,
  is_template: z.boolean().default(false),
  /** Cloud image file used to build a template VM from scratch. */
  template_image: z
    .string()
    .regex(/^[A-Za-z0-9_.+/-]+$/, 'must be an image file name like noble-server-cloudimg-amd64.img')
    .refine(
      (s) => !s.startsWith('-') && !s.split('/').includes('..'),
      'must be a plain file name or absolute path',
    )
    // `qm create --scsi0 ...,import-from=<path>` reads any file root can: only an image in local's import folder.
    .refine(
      (s) => !s.startsWith('/') || s.startsWith(`${LOCAL_IMPORT_DIR}/`),
      `must be a file name on local:import, or a path under ${LOCAL_IMPORT_DIR}/ (a host path outside a storage is refused)`,
    )
    .optional(),
  /** Where to download `template_image` from when the host does not have it yet. */
  template_image_url: z
    .url({ protocol: /^https?$/, error: 'must be an http(s) URL (file:// would copy a host file)' })
    .optional(),
  clone_from_vmid: guestId.optional(),
  template_snapshot_name: snapshotName.optional(),
  /** The lifecycle snapshot `final-form` of a VM that is not a template: unset means on, `false` turns it off. */
  enable_lifecycle_snapshots: z.boolean().optional(),
  cores: z.number().int().min(1).max(8192).default(1),
  memory_mb: z.number().int().min(16).default(2048),
  disk_size_gb: z.number().int().min(1).max(131072).default(32),
  storage_pool: storageId.default('local-lvm'),
  network_bridge: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,15}$/, 'must be a bridge name like vmbr0')
    .default('vmbr0'),
  network_config: vmNetwork.optional(),
  user_config: vmUserConfig.optional(),
  features: z.array(featureName).default([]),
  dependencies: z.array(guestId).default([]),
  start_at_boot: z.boolean().default(false),
  boot_order: z.number().int().min(0).default(0),
  boot_delay: z.number().int().min(0).default(0),
  /**
   * Seconds a clean shutdown may take before the guest is stopped hard: `phoenix stop`, and the `down=` of Proxmox's
   * `startup` setting, which the host uses when it shuts all guests down (default 180, Proxmox's own stopall
   * default; never 0, which would make a host reboot kill VMs at once).
   */
  shutdown_timeout: z.number().int().min(1).max(86400).default(180),
  /** The cluster node the guest lives on (the api transport; one node's CLI ignores it): pve-manager node names. */
  node: nodeName.optional(),
  /** A template's per-node copies (config/node-copies.ts): node name -> the copy's VMID. */
  node_copies: nodeCopies.optional(),
  /** The VM's firewall, applied by the `firewall` step. */
  firewall: guestFirewall.optional(),
  /** NFS shares mounted inside the VM by the `volumes` step. */
  volumes: z.array(vmVolume).default([]),
});

/** Settings for the hypervisor setup scripts are kept as data and handed to the scripts unchanged. */
export const DEFAULT_SETUP_SCRIPTS = [
  'hypervisor_initial_setup.sh',
  'hypervisor_feature_setup_zfs.sh',
  'hypervisor_feature_configure_vfio.sh',
  'hypervisor_feature_install_nvidia.sh',
  'hypervisor_feature_initialize_nvidia_gpus.sh',
  'hypervisor_feature_setup_firewall.sh',
  'hypervisor_feature_setup_nfs.sh',
  'hypervisor_feature_create_heads_user.sh',
  'hypervisor_feature_setup_samba.sh',
  'hypervisor_feature_create_admin_user.sh',
  'hypervisor_feature_provision_shared_resources.sh',
  'hypervisor_feature_setup_apparmor.sh',
  'hypervisor_feature_fix_apparmor_tunables.sh',
] as const;

export const hypervisor = z.looseObject({
  setup_scripts: z.array(scriptName).default([...DEFAULT_SETUP_SCRIPTS]),
  /** Name of the Proxmox node Phoenix manages. */
  node: hostname.default('pve'),
  /** The directory storage VMs' cloud-init snippets are written to (`local` is /var/lib/vz, as the original's). */
  snippets_storage: storageId.default('local'),
  /** Settings the setup scripts read, handed to them unchanged; Phoenix itself acts on `firewall`. */
  shared_volumes: z.looseObject({ firewall: hostFirewall.optional() }).optional(),
});

/** Script folders, relative to the config file (or to the install root in the legacy layout). */
export const scriptPaths = z.strictObject({
  lxc_features: z.string().default('bin/lxc_setup'),
  vm_features: z.string().default('bin/vm_features'),
  applications: z.string().default('bin'),
  hypervisor_setup: z.string().default('bin/hypervisor_setup'),
  health_checks: z.string().default('bin/health_checks'),
  tests: z.string().default('bin/tests'),
  /** AppArmor profiles a container's apparmor_profile names (the original's etc/apparmor/). */
  apparmor: z.string().default('etc/apparmor'),
  /** The cloud-init user-data template VMs are given (the original's etc/cloud-init/). */
  cloud_init: z.string().default('etc/cloud-init'),
});

/** The shape of `phoenix.config.ts` (and `.json`, `.phoenixrc`, package.json#phoenix). */
export const phoenixConfig = z.strictObject({
  $schema: z.string().optional(),
  hypervisor: hypervisor.default(() => hypervisor.parse({})),
  lxc: z.record(z.string(), lxcGuest).default({}),
  /** Fleet-wide values handed to scripts unchanged (the legacy LXC file's extra top-level keys, e.g. nvidia_runfile_url). */
  globals: z.record(z.string(), z.unknown()).default({}),
  vm_defaults: z.record(z.string(), z.unknown()).default({}),
  vms: z.array(z.record(z.string(), z.unknown())).default([]),
  scripts: scriptPaths.default(() => scriptPaths.parse({})),
});

export type LxcConfig = z.infer<typeof lxcGuest>;
export type VmConfig = z.infer<typeof vmGuest>;
export type HypervisorConfig = z.infer<typeof hypervisor>;
export type HostFirewall = z.infer<typeof hostFirewall>;
export type ScriptPaths = z.infer<typeof scriptPaths>;
export type PhoenixConfigInput = z.input<typeof phoenixConfig>;
export type HealthCheck = z.infer<typeof healthCheck>;
