// A small fleet that still has every step kind: a host setup script; LXC define (create and clone), configure,
// disk, start, feature, app, health, snapshot; VM define (cloud image), configure, start, agent, feature,
// template. Written to a temp folder as JSON with absolute script folders, so no run writes into the repo.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from './helpers.js';

const TEMPLATE = 'local:vztmpl/debian-12-standard_12.12-1_amd64.tar.zst';
const net = (ip: string) => ({ name: 'eth0', bridge: 'vmbr0', ip, gw: '10.0.0.1' });

export interface FleetOptions {
  /** Include the VM template (more steps; off for the crash test, which must stay quick). */
  vm?: boolean;
  /** Extra keys merged into template 900's config. */
  extra900?: Record<string, unknown>;
  /** Extra keys merged into container 950's config. */
  extra950?: Record<string, unknown>;
  /** Extra keys merged into the VM's config. */
  extraVm?: Record<string, unknown>;
}

export function fleetConfig(opts: FleetOptions = {}): Record<string, unknown> {
  const ex = (d: string) => join(REPO, 'examples', d);
  return {
    scripts: {
      lxc_features: ex('lxc_features'),
      vm_features: ex('vm_features'),
      applications: ex('applications'),
      hypervisor_setup: ex('hypervisor_setup'),
      health_checks: ex('health_checks'),
      tests: ex('tests'),
    },
    hypervisor: { node: 'pve', setup_scripts: ['hypervisor_initial_setup.sh'] },
    lxc: {
      '900': {
        name: 'base',
        template: TEMPLATE,
        storage_size_gb: 8,
        network_config: net('dhcp'),
        features: ['docker'],
        template_snapshot_name: 'base-ready',
        ...opts.extra900,
      },
      '950': {
        name: 'svc',
        clone_from_ctid: 900,
        storage_size_gb: 12,
        memory_mb: 1024,
        network_config: net('10.0.0.150/24'),
        application_script: 'phoenix_hypervisor_lxc_950.sh',
        health_check: { command: 'curl -fsS http://localhost:8000/health', retries: 3, interval: 0 },
        ...opts.extra950,
      },
      '960': {
        name: 'side',
        clone_from_ctid: 900,
        storage_size_gb: 10,
        network_config: net('10.0.0.160/24'),
      },
    },
    ...(opts.vm
      ? {
          vm_defaults: { cores: 1, memory_mb: 1024, storage_pool: 'local-lvm', network_bridge: 'vmbr0' },
          vms: [
            {
              vmid: 9000,
              name: 'cloud-tpl',
              is_template: true,
              template_image: 'noble-server-cloudimg-amd64.img',
              template_image_url:
                'https://cloud-images.ubuntu.com/noble/current/noble-server-cloudimg-amd64.img',
              disk_size_gb: 16,
              network_config: { ip: 'dhcp' },
              features: ['docker'],
              user_config: { username: 'phoenix' },
              ...opts.extraVm,
            },
          ],
        }
      : {}),
  };
}

/**
 * Writes the fleet to `<dir>/phoenix.config.json` and returns that path. Its scripts are the repository's examples,
 * which act only through pct/qm: marked safe to run under --sim (phoenix.sim.json beside it).
 */
export function writeFleet(dir: string, opts: FleetOptions = {}): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'phoenix.config.json');
  writeFileSync(file, `${JSON.stringify(fleetConfig(opts), null, 2)}\n`);
  writeFileSync(join(dir, 'phoenix.sim.json'), '{ "runScripts": true }\n');
  return file;
}
