// A real ext4 file system of its own on a loop device, for tests of a full or read-only disk under a running
// process. Needs root (mount); `canMountLoop()` says whether this machine allows it.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

/** Whether this machine lets us mount a loop device (a root shell in a container may not). */
export function canMountLoop(): boolean {
  if (process.getuid?.() !== 0) return false;
  return spawnSync('losetup', ['-f'], { stdio: 'ignore' }).status === 0;
}

export interface LoopDisk {
  /** Where the file system is mounted. */
  readonly mount: string;
  /** Its mount options as the kernel reports them (/proc/mounts), undefined when not mounted. */
  options(): string[] | undefined;
  /**
   * The kernel's own switch to read-only, as after an I/O error: ext4 reports an error (mounted with
   * errors=remount-ro) and remounts itself read-only under open files, which `mount -o remount,ro` refuses
   * (busy) while a process holds files open for writing.
   */
  failReadOnly(why: string): void;
  /** What an operator does after that: unmount, e2fsck, mount read-write again (the processes on it must be gone). */
  repair(): void;
  /** Unmounts and deletes the image. */
  remove(): void;
}

/** Makes and mounts an ext4 image of `size` (truncate's syntax: '1G'), with errors=remount-ro. */
export function mountLoopDisk(size: string): LoopDisk {
  const dir = mkdtempSync(join(tmpdir(), 'plantwire-loop-disk-'));
  const image = join(dir, 'disk.img');
  const mount = join(dir, 'mnt');
  mkdirSync(mount);
  execFileSync('truncate', ['-s', size, image]);
  execFileSync('mkfs.ext4', ['-q', '-F', image]);
  const mountIt = () => execFileSync('mount', ['-o', 'loop,errors=remount-ro', image, mount]);
  mountIt();
  const entry = () =>
    readFileSync('/proc/mounts', 'utf8')
      .split('\n')
      .map((line) => line.split(' '))
      .find((fields) => fields[1] === mount);
  return {
    mount,
    options: () => entry()?.[3]?.split(','),
    failReadOnly(why) {
      const device = entry()?.[0];
      if (!device) throw new Error(`${mount} is not mounted`);
      writeFileSync(`/sys/fs/ext4/${basename(device)}/trigger_fs_error`, `${why}\n`);
    },
    repair() {
      execFileSync('umount', [mount]);
      // 1: errors corrected, the expected outcome after a forced error.
      const fsck = spawnSync('e2fsck', ['-fy', image], { encoding: 'utf8' });
      if (fsck.status !== 0 && fsck.status !== 1) throw new Error(`e2fsck ${fsck.status}: ${fsck.stdout}`);
      mountIt();
    },
    remove() {
      if (entry()) spawnSync('umount', [mount]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
