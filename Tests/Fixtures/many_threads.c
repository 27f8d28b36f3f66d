// `many_threads N`: N threads that sleep in pause() besides the main thread, which prints "ready"
// once they all exist and then sleeps too. A target whose attach takes a while (one seize per thread).
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static void *sleeper(void *arg) {
  (void)arg;
  for (;;) pause();
  return NULL;
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 50;
  for (int i = 0; i < n; i++) {
    pthread_t t;
    if (pthread_create(&t, NULL, sleeper, NULL) != 0) return 1;
  }
  printf("ready\n");
  fflush(stdout);
  for (;;) pause();
}
