// Makes sure the real tools the tests drive are on the machine: installs them when run as
// root on Debian, and otherwise stops with the exact command to run.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const tools = [
  { command: process.env.CHROMIUM ?? '/usr/bin/chromium', pkg: 'chromium', why: 'UI tests and PDF printing' },
  { command: 'fio', pkg: 'fio', why: 'gateway I/O tests' },
  { command: 'nbdkit', pkg: 'nbdkit', why: 'storage backend for gateway tests' },
  { command: 'nbdinfo', pkg: 'libnbd-bin', why: 'NBD client tests' },
  { command: 'nbdcopy', pkg: 'libnbd-bin', why: 'NBD client tests' },
  { command: 'qemu-img', pkg: 'qemu-utils', why: 'NBD client tests' },
  { command: 'openssl', pkg: 'openssl', why: 'certificates for gateway TLS tests' },
  { command: 'nbdsh', pkg: 'python3-libnbd', why: 'gateway conformance probes (raw NBD calls from Python)' },
  { command: 'pdftotext', pkg: 'poppler-utils', why: 'report tests' },
  { command: 'pdftoppm', pkg: 'poppler-utils', why: 'report tests' },
  { command: 'prometheus', pkg: 'prometheus', why: '/metrics scraped by a real Prometheus' },
  { command: 'promtool', pkg: 'prometheus', why: '/metrics checked with promtool' },
];

function present(command) {
  if (command.includes('/')) return existsSync(command);
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

const missing = tools.filter((t) => !present(t.command));
if (missing.length === 0) {
  console.log('test-setup: all test tools present');
  process.exit(0);
}
const packages = [...new Set(missing.map((t) => t.pkg))];
const command = `apt-get update && apt-get install -y ${packages.join(' ')}`;
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
if (!isRoot || !present('apt-get')) {
  console.error(`test-setup: missing ${missing.map((t) => `${t.command} (${t.why})`).join(', ')}.`);
  console.error(`test-setup: install them with:\n  sudo ${command}`);
  process.exit(1);
}
console.log(`test-setup: installing ${packages.join(' ')}`);
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
execFileSync('apt-get', ['update'], { stdio: 'inherit', env });
execFileSync('apt-get', ['install', '-y', '--no-install-recommends', ...packages], { stdio: 'inherit', env });
const still = tools.filter((t) => !present(t.command));
if (still.length) {
  console.error(`test-setup: still missing after install: ${still.map((t) => t.command).join(', ')}`);
  process.exit(1);
}
