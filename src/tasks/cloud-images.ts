// Official cloud images by file name: a VM's `template_image` written as the publisher names the file
// (`noble-server-cloudimg-amd64.img`, `debian-12-genericcloud-amd64.qcow2`) needs no URL. Each publisher keeps a
// checksum file beside its images (Ubuntu SHA256SUMS, Debian SHA512SUMS); Proxmox's download-url checks the file
// against the sum Phoenix reads from it.

export interface OfficialImage {
  url: string;
  /** The publisher's checksum file in the same folder. */
  sumsUrl: string;
  algorithm: 'sha256' | 'sha512';
}

/** Debian release numbers and the code names their cloud image folders use. */
const DEBIAN_CODENAMES: Readonly<Record<string, string>> = {
  '11': 'bullseye',
  '12': 'bookworm',
  '13': 'trixie',
  '14': 'forky',
};

export function officialImage(file: string): OfficialImage | undefined {
  const ubuntu = /^([a-z]+)-server-cloudimg-(amd64|arm64)\.img$/.exec(file);
  if (ubuntu) {
    const dir = `https://cloud-images.ubuntu.com/${ubuntu[1]}/current`;
    return { url: `${dir}/${file}`, sumsUrl: `${dir}/SHA256SUMS`, algorithm: 'sha256' };
  }
  const debian = /^debian-(\d+)-(genericcloud|generic|nocloud)-(amd64|arm64)\.(qcow2|raw)$/.exec(file);
  const codename = debian ? DEBIAN_CODENAMES[debian[1]!] : undefined;
  if (codename !== undefined) {
    const dir = `https://cloud.debian.org/images/cloud/${codename}/latest`;
    return { url: `${dir}/${file}`, sumsUrl: `${dir}/SHA512SUMS`, algorithm: 'sha512' };
  }
  return undefined;
}

/** The sum listed for `file` in a checksum file (`<hex> *<file>` or `<hex>  <file>` lines). */
export function sumFor(sums: string, file: string): string | undefined {
  for (const line of sums.split('\n')) {
    const m = /^([0-9a-fA-F]{32,128})\s+\*?(\S+)\s*$/.exec(line.trim());
    if (m?.[2] === file) return m[1]!.toLowerCase();
  }
  return undefined;
}
