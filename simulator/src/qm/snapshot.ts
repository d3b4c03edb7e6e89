// `qm snapshot`, `listsnapshot`, `delsnapshot` and `rollback`: the handlers pct shares (snapshot-commands.ts).
import { snapshotCommands } from '../snapshot-commands.js';

export const { snapshot, listsnapshot, delsnapshot, rollback } = snapshotCommands('qemu', {
  snapshot: 'qm snapshot <vmid> <snapname> [OPTIONS]',
  listsnapshot: 'qm listsnapshot <vmid>',
  delsnapshot: 'qm delsnapshot <vmid> <snapname> [OPTIONS]',
  rollback: 'qm rollback <vmid> <snapname> [OPTIONS]',
});
