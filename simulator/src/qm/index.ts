// `qm`: QEMU virtual machines. The command table (with `disk`, `guest` and `cloudinit` as nested groups, and
// the old single-word names as aliases); each command group lives in its own module.
import type { Registry } from '../context.js';
import { guestCmd, guestExec } from './agent.js';
import { clone } from './clone.js';
import { migrateCommand } from '../migrate.js';
import { ciDump, ciUpdate } from './cloudinit.js';
import { config, pending, set } from './config.js';
import { create } from './create.js';
import { destroy } from './destroy.js';
import { diskImport, diskResize } from './disk.js';
import { reboot, shutdown, start, stop } from './power.js';
import { delsnapshot, listsnapshot, rollback, snapshot } from './snapshot.js';
import { list, status } from './status.js';
import { template } from './template.js';
import { unlock } from './unlock.js';

export const qmCommands: Registry = {
  create,
  clone,
  set,
  config,
  pending,
  status,
  list,
  start,
  stop,
  shutdown,
  reboot,
  destroy,
  template,
  snapshot,
  listsnapshot,
  delsnapshot,
  rollback,
  disk: { import: diskImport, resize: diskResize },
  guest: { cmd: guestCmd, exec: guestExec },
  cloudinit: { update: ciUpdate, dump: ciDump },
  unlock,
  migrate: migrateCommand('qemu'),
};

export const qmAliases: Record<string, string[]> = {
  importdisk: ['disk', 'import'],
  resize: ['disk', 'resize'],
  agent: ['guest', 'cmd'],
};
