/* An LD_PRELOAD shim for the I/O fault tests (issue 20 §3): it makes the
 * process see a full or failing disk. Every write to a regular file (write,
 * pwrite, pwrite64, writev, pwritev; sockets, pipes, eventfds and the
 * terminal are spared, as a real full disk spares them) and every
 * fsync/fdatasync of one passes through it. Rust's standard library and
 * the bundled SQLite both reach the disk through these libc calls.
 *
 *   WAYMARK_FAULT_ERRNO        ENOSPC (default) or EIO: the error given
 *   WAYMARK_FAULT_ON           write (default), fsync, or both: which calls fail
 *   WAYMARK_FAULT_AFTER_BYTES  writes fail once this many bytes were written
 *   WAYMARK_FAULT_AT_CALL      the Nth call of those kinds (1-based) fails,
 *                              and every later one
 *   WAYMARK_FAULT_COUNT_FILE   at exit, "WRITES FSYNCS BYTES" is written here
 *                              (the calls the process made), unless it was
 *                              killed
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

static int ready = 0, err = ENOSPC, on_write = 1, on_fsync = 0;
static long long budget = -1, at_call = -1, bytes = 0, writes = 0, fsyncs = 0, calls = 0;

static void setup(void) {
  if (ready) return;
  ready = 1;
  const char *v = getenv("WAYMARK_FAULT_ERRNO");
  if (v && strcmp(v, "EIO") == 0) err = EIO;
  v = getenv("WAYMARK_FAULT_ON");
  if (v && strcmp(v, "fsync") == 0) { on_write = 0; on_fsync = 1; }
  if (v && strcmp(v, "both") == 0) { on_write = 1; on_fsync = 1; }
  v = getenv("WAYMARK_FAULT_AFTER_BYTES");
  if (v) budget = atoll(v);
  v = getenv("WAYMARK_FAULT_AT_CALL");
  if (v) at_call = atoll(v);
}

static int on_disk(int fd) {
  struct stat st;
  return fd > 2 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
}

/* True (errno set) if this call must fail. */
static int fail_write(int fd, size_t n) {
  setup();
  if (!on_disk(fd)) return 0;
  writes++;
  if (on_write) {
    calls++;
    if (at_call > 0 && calls >= at_call) { errno = err; return 1; }
  }
  if (budget >= 0 && bytes + (long long)n > budget) { errno = err; return 1; }
  bytes += (long long)n;
  return 0;
}

static int fail_fsync(int fd) {
  setup();
  if (!on_disk(fd)) return 0;
  fsyncs++;
  if (on_fsync) {
    calls++;
    if (at_call > 0 && calls >= at_call) { errno = err; return 1; }
  }
  return 0;
}

__attribute__((destructor)) static void report(void) {
  const char *path = getenv("WAYMARK_FAULT_COUNT_FILE");
  if (!path) return;
  static int (*real_open)(const char *, int, ...);
  if (!real_open) real_open = dlsym(RTLD_NEXT, "open");
  static ssize_t (*real_write)(int, const void *, size_t);
  if (!real_write) real_write = dlsym(RTLD_NEXT, "write");
  int fd = real_open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) return;
  char line[96];
  int n = snprintf(line, sizeof line, "%lld %lld %lld\n", writes, fsyncs, bytes);
  real_write(fd, line, (size_t)n);
  close(fd);
}

#define WRAP(name, sig, call, count) \
  ssize_t name sig { \
    static ssize_t (*real) sig; \
    if (!real) real = dlsym(RTLD_NEXT, #name); \
    if (fail_write(fd, count)) return -1; \
    return real call; \
  }
WRAP(write, (int fd, const void *b, size_t n), (fd, b, n), n)
WRAP(pwrite, (int fd, const void *b, size_t n, off_t o), (fd, b, n, o), n)
WRAP(pwrite64, (int fd, const void *b, size_t n, off_t o), (fd, b, n, o), n)
static size_t iov_len(const struct iovec *v, int c) {
  size_t n = 0; for (int i = 0; i < c; i++) n += v[i].iov_len; return n;
}
WRAP(writev, (int fd, const struct iovec *v, int c), (fd, v, c), iov_len(v, c))
WRAP(pwritev, (int fd, const struct iovec *v, int c, off_t o), (fd, v, c, o), iov_len(v, c))

#define WRAP_SYNC(name) \
  int name(int fd) { \
    static int (*real)(int); \
    if (!real) real = dlsym(RTLD_NEXT, #name); \
    if (fail_fsync(fd)) return -1; \
    return real(fd); \
  }
WRAP_SYNC(fsync)
WRAP_SYNC(fdatasync)
