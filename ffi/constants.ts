/**
 * Linux (x86_64/aarch64) constants for the calls in `libc.ts`.
 * @module
 */

/** `AF_UNIX`. */
export const AF_UNIX = 1;
/** `AF_NETLINK`. */
export const AF_NETLINK = 16;
/** `SOCK_DGRAM`. */
export const SOCK_DGRAM = 2;
/** `SOCK_RAW`. */
export const SOCK_RAW = 3;
/** `SOCK_NONBLOCK` (or into the socket type). */
export const SOCK_NONBLOCK = 0o4000;
/** `SOCK_CLOEXEC` (or into the socket type). */
export const SOCK_CLOEXEC = 0o2000000;
/** `SOL_SOCKET`. */
export const SOL_SOCKET = 1;
/** `SOL_NETLINK`. */
export const SOL_NETLINK = 270;
/** `SO_SNDBUF`. */
export const SO_SNDBUF = 7;
/** `SO_RCVBUF`. */
export const SO_RCVBUF = 8;
/** `SO_RCVBUFFORCE` (needs `CAP_NET_ADMIN`). */
export const SO_RCVBUFFORCE = 33;
/** `SO_MEMINFO`: the socket's `u32 sk_meminfo[SK_MEMINFO_VARS]`. */
export const SO_MEMINFO = 55;
/** Index of the drop counter in `SO_MEMINFO`'s array. */
export const SK_MEMINFO_DROPS = 8;
/** `MSG_TRUNC`. */
export const MSG_TRUNC = 0x20;
/** `MSG_DONTWAIT`. */
export const MSG_DONTWAIT = 0x40;
/** `POLLIN`. */
export const POLLIN = 0x1;
/** `POLLERR`. */
export const POLLERR = 0x8;
/** `O_RDONLY`. */
export const O_RDONLY = 0;
/** `O_CLOEXEC`. */
export const O_CLOEXEC = 0o2000000;
/** `CLONE_NEWNET`, the namespace type for {@linkcode setns}. */
export const CLONE_NEWNET = 0x40000000;
/** `NS_GET_NSTYPE`: ioctl on a namespace file; returns its `CLONE_NEW*` type. */
export const NS_GET_NSTYPE = 0xb703;
/** `AT_FDCWD`: `*at` calls resolve a relative path from the working directory. */
export const AT_FDCWD: number = -100;
/** `AT_EMPTY_PATH`: `*at` calls with an empty path act on the fd itself. */
export const AT_EMPTY_PATH = 0x1000;
/** `STATX_INO`: ask `statx` for the inode number (the device always comes). */
export const STATX_INO = 0x100;
/** `SIGHUP`. */
export const SIGHUP = 1;
/** `SIGQUIT`. */
export const SIGQUIT = 3;
/** `SIGUSR1`. */
export const SIGUSR1 = 10;
/** `SIGUSR2`. */
export const SIGUSR2 = 12;
/** `SIGPIPE`. */
export const SIGPIPE = 13;
