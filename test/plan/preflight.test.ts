// The preflight, pure: a plan's host needs against the host's storages, template lists and catalogue.
// Facts: docs/proxmox-facts.md "Template catalogue" (pve-manager aplinfo.dat, pveam.pm) and "Storage content"
// (pve-installer StorageConfig.pm, pve-storage Plugin.pm / API2 Storage Status.pm download_url).
import { describe, expect, it } from 'vitest';
import type { StorageInfo } from '../../src/host/conf.js';
import { checkNeeds, closestTemplates, type HostFacts } from '../../src/plan/preflight.js';
import type { HostNeed } from '../../src/tasks/step.js';

/** A fresh Proxmox VE 9 node installed on LVM-thin. */
const FRESH_PVE9: StorageInfo[] = [
  {
    id: 'local',
    type: 'dir',
    path: '/var/lib/vz',
    content: ['iso', 'vztmpl', 'backup', 'import'],
    disabled: false,
  },
  { id: 'local-lvm', type: 'lvmthin', content: ['rootdir', 'images'], disabled: false },
];
/** The same host upgraded from Proxmox VE 8: local never got `import`. */
const UPGRADED_PVE8: StorageInfo[] = [
  { ...FRESH_PVE9[0]!, content: ['iso', 'vztmpl', 'backup'] },
  FRESH_PVE9[1]!,
];

const CATALOGUE = [
  'debian-12-standard_12.12-1_amd64.tar.zst',
  'debian-13-standard_13.6-1_amd64.tar.zst',
  'devuan-5.0-standard_5.0_amd64.tar.gz',
  'ubuntu-24.04-standard_24.04-2_amd64.tar.zst',
];

const facts = (storages: StorageInfo[], on: string[] = []): HostFacts => ({
  storages,
  templates: new Map([['local', new Set(on.map((f) => `local:vztmpl/${f}`))]]),
  catalogue: CATALOGUE,
});

const template = (file: string): HostNeed => ({
  kind: 'os-template',
  storage: 'local',
  file,
  guest: 'CT 900',
  where: 'fleet.json at lxc.900.template',
});
const importNeed: HostNeed = {
  kind: 'content',
  storage: 'local',
  content: 'import',
  guest: 'VM 9000',
  where: 'fleet.json at vms.0.template_image',
  why: 'cloud images imported into VM disks',
};

describe('preflight: OS templates', () => {
  it('a name the catalogue has, or one already downloaded, needs nothing', () => {
    expect(checkNeeds([template('debian-12-standard_12.12-1_amd64.tar.zst')], facts(FRESH_PVE9))).toEqual([]);
    const old = 'debian-12-standard_12.7-1_amd64.tar.zst';
    expect(checkNeeds([template(old)], facts(FRESH_PVE9, [old]))).toEqual([]);
  });

  it('a name gone from the catalogue is one problem naming the guest, the field and the current build', () => {
    const [problem, ...rest] = checkNeeds(
      [
        template('debian-12-standard_12.7-1_amd64.tar.zst'),
        { ...template('debian-12-standard_12.7-1_amd64.tar.zst'), guest: 'CT 901' },
      ],
      facts(FRESH_PVE9),
    );
    expect(rest).toEqual([]);
    expect(problem).toContain(
      'OS template debian-12-standard_12.7-1_amd64.tar.zst (CT 900: fleet.json at lxc.900.template; CT 901:',
    );
    expect(problem).toContain(
      'the closest it has: debian-12-standard_12.12-1_amd64.tar.zst, debian-13-standard_13.6-1_amd64.tar.zst.',
    );
  });

  it('closest names: the same template first, then its distribution; never another distribution beside them', () => {
    expect(closestTemplates('debian-12-standard_12.7-1_amd64.tar.zst', CATALOGUE)).toEqual([
      'debian-12-standard_12.12-1_amd64.tar.zst',
      'debian-13-standard_13.6-1_amd64.tar.zst',
    ]);
    expect(closestTemplates('ubunto-24.04-standard_24.04-2_amd64.tar.zst', CATALOGUE)).toEqual([
      'ubuntu-24.04-standard_24.04-2_amd64.tar.zst',
    ]);
  });

  it('a template storage without vztmpl content gets the exact pvesm set fix', () => {
    const noTemplates = [{ ...FRESH_PVE9[0]!, content: ['iso', 'backup'] }, FRESH_PVE9[1]!];
    expect(checkNeeds([template('debian-12-standard_12.12-1_amd64.tar.zst')], facts(noTemplates))).toEqual([
      "storage 'local' does not hold 'vztmpl' content, which OS templates need (CT 900: fleet.json at lxc.900.template); its content is iso,backup. Fix: pvesm set local --content iso,backup,vztmpl",
    ]);
  });
});

describe('preflight: storage content', () => {
  it('a fresh PVE 9 local holds import; an upgraded PVE 8 one does not, and the fix keeps what it has', () => {
    expect(checkNeeds([importNeed], facts(FRESH_PVE9))).toEqual([]);
    expect(checkNeeds([importNeed], facts(UPGRADED_PVE8))).toEqual([
      "storage 'local' does not hold 'import' content, which cloud images imported into VM disks need (VM 9000: fleet.json at vms.0.template_image); its content is iso,vztmpl,backup. Fix: pvesm set local --content iso,vztmpl,backup,import",
    ]);
  });

  it('a disk pool without the content names the storages that have it; a missing or disabled one says so', () => {
    const disk: HostNeed = {
      ...importNeed,
      storage: 'local',
      content: 'rootdir',
      why: 'container disks',
      guest: 'CT 900',
      where: 'f at lxc.900.storage_pool',
    };
    expect(checkNeeds([disk], facts(FRESH_PVE9))[0]).toMatch(/, or use a storage that holds it: local-lvm$/);
    expect(checkNeeds([{ ...disk, storage: 'fast' }], facts(FRESH_PVE9))).toEqual([
      "storage 'fast' does not exist on this node (CT 900: f at lxc.900.storage_pool); it has: local, local-lvm",
    ]);
    const off = [FRESH_PVE9[0]!, { ...FRESH_PVE9[1]!, disabled: true }];
    expect(checkNeeds([{ ...disk, storage: 'local-lvm' }], facts(off))[0]).toContain(
      'pvesm set local-lvm --disable 0',
    );
  });
});
