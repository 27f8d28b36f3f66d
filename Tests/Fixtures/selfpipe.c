// A self-pipe: the main thread reads a pipe whose write end only this process holds; a second
// thread writes "hello" into it after argv[1] seconds (the usual wakeup pattern). It then writes
// "read N" (N bytes the read returned) to the file argv[2] and exits.
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static int fds[2];
static unsigned delay;

static void *writer(void *arg) {
  (void)arg;
  sleep(delay);
  if (write(fds[1], "hello", 5) != 5) _exit(3);
  return NULL;
}

int main(int argc, char **argv) {
  if (argc != 3) return 2;
  delay = (unsigned)atoi(argv[1]);
  if (pipe(fds) != 0) return 1;
  pthread_t t;
  if (pthread_create(&t, NULL, writer, NULL) != 0) return 1;
  char buf[16];
  ssize_t n = read(fds[0], buf, sizeof buf);
  FILE *f = fopen(argv[2], "w");
  if (!f) return 1;
  fprintf(f, "read %zd\n", n);
  fclose(f);
  return 0;
}
