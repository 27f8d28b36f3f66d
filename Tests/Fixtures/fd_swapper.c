// A process whose fd 4 keeps changing: a second thread points it at a pipe, closes it, opens a
// regular file (which lands on 4, the lowest free number), closes it, and so on. An injected close
// that hits fd 4 makes the thread's own close fail with EBADF, counted by what fd 4 was then.
// The main thread waits in pause(); SIGUSR1 makes it print "pipe_hits N file_hits M" on stdout.
// Layout: fd 3 the pipe's read end, fd 5 its write end (dup'ed onto 4), argv[1] the file.
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

static const char *path;
static volatile long pipe_hits, file_hits;
static volatile sig_atomic_t report;

static void on_usr1(int sig) {
  (void)sig;
  report = 1;
}

// Holds fd 4 for a while (a close from outside shows as EBADF here or at the close); 1 if it went.
static int held_then_closed_by_us(void) {
  for (int i = 0; i < 64; i++) {
    if (fcntl(4, F_GETFD) < 0) return 0;
  }
  return close(4) == 0;
}

static void *swap(void *arg) {
  (void)arg;
  for (;;) {
    if (dup2(5, 4) != 4) continue;
    if (!held_then_closed_by_us()) pipe_hits++;
    int f = open(path, O_RDONLY);
    if (f != 4) {
      if (f >= 0) close(f);
      continue;
    }
    if (!held_then_closed_by_us()) file_hits++;
  }
  return NULL;
}

int main(int argc, char **argv) {
  if (argc != 2) return 2;
  path = argv[1];
  int p[2];
  if (pipe(p) != 0 || p[0] != 3 || p[1] != 4) return 3;
  if (dup2(4, 5) != 5 || close(4) != 0) return 4;
  signal(SIGUSR1, on_usr1);
  // SIGUSR1 must reach the main thread's pause(): the swapping thread starts with it blocked.
  sigset_t usr1;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &usr1, NULL);
  pthread_t t;
  pthread_create(&t, NULL, swap, NULL);
  pthread_sigmask(SIG_UNBLOCK, &usr1, NULL);
  printf("ready\n");
  fflush(stdout);
  for (;;) {
    pause();
    if (report) {
      report = 0;
      printf("pipe_hits %ld file_hits %ld\n", pipe_hits, file_hits);
      fflush(stdout);
    }
  }
}
