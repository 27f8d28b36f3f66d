// `self_signals`: sends itself a real-time signal over and over (queued, so none merges with
// another) and counts how many its handler ran. At a SIGUSR1 it stops and prints
// "SENT RECEIVED"; the two differ when a signal was lost. Prints "ready" once it runs.
// A tracer that attaches to it takes its first stop, very often, at the delivery of one of them.
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t received, done;

static void count(int sig) { (void)sig; received++; }
static void finish(int sig) { (void)sig; done = 1; }

int main(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = count;
  sigaction(SIGRTMIN + 1, &sa, NULL);
  sa.sa_handler = finish;
  sigaction(SIGUSR1, &sa, NULL);
  printf("ready\n");
  fflush(stdout);
  long sent = 0;
  while (!done) {
    sent++;
    raise(SIGRTMIN + 1);
  }
  printf("%ld %ld\n", sent, (long)received);
  return 0;
}
