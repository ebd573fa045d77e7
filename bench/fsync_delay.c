/* LD_PRELOAD shim for the benchmarks: every fsync(), fdatasync() and syncfs() of the process
 * takes HEARTH_FSYNC_DELAY_US microseconds longer than the disk made it, the way a spinning or
 * networked disk's flush does (bench_smtp.py --fsync-delay-ms). The build machine's virtual
 * disk flushes in ~0.1 ms, so servers there are bound by CPU; with the delay, by the disk.
 *
 * The real call runs first and its result is returned unchanged; the sleep follows it, so
 * whatever waits on the flush (a group commit, a queue file) waits the longer time. Without
 * the variable (or at 0) the shim only forwards. Never in the server binary: bench/ only. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static long delay_us(void) {
  static long cached = -1;
  if (cached < 0) {
    const char* v = getenv("HEARTH_FSYNC_DELAY_US");
    long d = v ? strtol(v, NULL, 10) : 0;
    cached = d > 0 ? d : 0;
  }
  return cached;
}

static void wait_after_flush(void) {
  long us = delay_us();
  if (us <= 0) return;
  struct timespec t = {us / 1000000, (us % 1000000) * 1000};
  int saved = errno;
  while (nanosleep(&t, &t) != 0 && errno == EINTR) {
  }
  errno = saved;
}

typedef int (*fd_call)(int);

/* The real call (found once, on first use), then the delay. */
static int delayed(fd_call* real, const char* name, int fd) {
  if (!*real) *real = (fd_call)dlsym(RTLD_NEXT, name);
  int r = *real ? (*real)(fd) : (errno = ENOSYS, -1);
  wait_after_flush();
  return r;
}

int fsync(int fd) {
  static fd_call real;
  return delayed(&real, "fsync", fd);
}

int fdatasync(int fd) {
  static fd_call real;
  return delayed(&real, "fdatasync", fd);
}

int syncfs(int fd) {
  static fd_call real;
  return delayed(&real, "syncfs", fd);
}
