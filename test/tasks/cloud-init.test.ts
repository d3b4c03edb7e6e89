// The cloud-init snippet a VM is given (src/tasks/cloud-init.ts): the install root's user-data template filled in
// as the original's apply_vm_configurations did, the feature scripts in write_files, and the guest agent.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { renderSnippet } from '../../src/tasks/cloud-init.js';
import { vm } from './fixtures.js';

const TEMPLATE = readFileSync(
  path.resolve(import.meta.dirname, '../fixtures/install-root/etc/cloud-init/user-data.template.yml'),
  'utf8',
);
const DOCKER = {
  name: 'docker',
  path: '/r/bin/vm_features/feature_install_docker.sh',
  content: '#!/bin/bash\n\techo "$1"\n',
};
const BASE = {
  name: 'base',
  path: '/r/bin/vm_features/feature_install_base.sh',
  content: '#!/bin/bash\necho base\n',
};
const guest = vm(8001, {
  name: 'docker-vm',
  user_config: { username: 'fixture_user' },
  features: ['docker'],
});

type Doc = Record<string, unknown> & { write_files?: Record<string, unknown>[]; runcmd?: unknown[][] };

describe('cloud-init snippet', () => {
  it('fills in the user template: host name, user, every feature script, #cloud-config on the first line', () => {
    const s = renderSnippet({ vm: guest, template: TEMPLATE, features: [DOCKER, BASE] });
    expect(s.kind).toBe('user');
    expect(s.file).toBe('user-data-8001.yml');
    expect(s.text.split('\n')[0]).toBe('#cloud-config');
    expect(s.text).not.toContain('__');
    expect(s.text.split('\n').map((l) => l.trim())).not.toContain('#FEATURE_FILES_PLACEHOLDER#');
    const doc = parse(s.text) as Doc;
    expect(doc.hostname).toBe('docker-vm');
    expect(doc.users).toEqual([expect.objectContaining({ name: 'fixture_user' })]);
    // Two features are two entries whose contents are the scripts byte for byte (the original ran them together).
    expect(doc.write_files).toEqual([
      { path: '/tmp/features/feature_install_docker.sh', permissions: '0755', content: DOCKER.content },
      { path: '/tmp/features/feature_install_base.sh', permissions: '0755', content: BASE.content },
    ]);
    // The template's own runcmd still runs them; the agent is started first.
    expect(doc.runcmd?.[0]).toEqual(['systemctl', 'enable', '--now', 'qemu-guest-agent']);
    expect(doc.runcmd?.at(-1)).toEqual([
      '/bin/bash',
      '-c',
      'for script in /tmp/features/*.sh; do "$script"; done',
    ]);
    expect(doc.packages).toEqual(['curl', 'qemu-guest-agent']);
  });

  it('without features leaves no empty write_files behind', () => {
    const doc = parse(renderSnippet({ vm: guest, template: TEMPLATE, features: [] }).text) as Doc;
    expect('write_files' in doc).toBe(false);
  });

  it('without a template is vendor-data that installs the agent and runs each feature with the VMID', () => {
    const s = renderSnippet({ vm: guest, features: [DOCKER] });
    expect([s.kind, s.file]).toEqual(['vendor', 'vendor-data-8001.yml']);
    expect(s.text.split('\n')[0]).toBe('#cloud-config');
    expect(parse(s.text)).toEqual({
      packages: ['qemu-guest-agent'],
      write_files: [
        { path: '/tmp/features/feature_install_docker.sh', permissions: '0755', content: DOCKER.content },
      ],
      runcmd: [
        ['systemctl', 'enable', '--now', 'qemu-guest-agent'],
        ['/tmp/features/feature_install_docker.sh', '8001'],
      ],
    });
  });
});
