// The stand-in for a script or command that would run on the node itself (a setup script, a container feature
// script, `systemctl reload apparmor`). Under --sim Phoenix starts this instead of the program, so nothing of the
// config runs on the machine running the tests: the call is only written to calls.jsonl as
// {"tool":"script","argv":[program, args...]}. Fault rules match `script <program> <args...>`.
//
// One command is answered: `wget -q -O - <url>` of the checksum file beside one of the simulator's cloud images
// prints its lines (`<hex> *<file>` for Ubuntu's SHA256SUMS, `<hex>  <file>` for Debian's SHA512SUMS), so Phoenix can
// check a download against the published sums without this machine going on the network.
import type { Command } from './context.js';
import { allCloudImages, checksumFileUrl } from './simconfig.js';

export const scriptCommand: Command = {
  spec: { usage: 'script <program> [ARGS]', positionals: [], options: {} },
  rawArgs: true,
  run(ctx, p) {
    const [program, ...args] = p.extra;
    if (program !== 'wget' || args.length !== 4 || args.slice(0, 3).join(' ') !== '-q -O -') return 0;
    const url = args[3]!;
    const images = Object.values(allCloudImages(ctx.cfg)).filter((i) => checksumFileUrl(i) === url);
    if (images.length === 0) {
      ctx.err(`wget: server returned error: HTTP/1.1 404 Not Found\n`);
      return 8;
    }
    for (const i of images) {
      const file = i.url.slice(i.url.lastIndexOf('/') + 1);
      ctx.out(`${i.checksum!.value} ${i.checksum!.algorithm === 'sha256' ? '*' : ' '}${file}\n`);
    }
    return 0;
  },
};
