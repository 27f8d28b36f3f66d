# The generated 40-file C project (12 functions a file, a main that calls them, a Makefile with
# gcc -pipe): a real build for the benchmarks and the README's report screenshot.
# Source it, then: make_c_project DIR
make_c_project() {
  local proj=$1
  mkdir -p "$proj"
  for i in $(seq 1 40); do
    {
      echo '#include <stdio.h>'
      echo '#include <stdlib.h>'
      echo '#include <string.h>'
      for j in $(seq 1 12); do
        echo "int f${i}_${j}(const char *s, int n) { int h = $j; for (int k = 0; k < n && s[k]; k++) h = h * 31 + s[k] * $i; char b[64]; snprintf(b, sizeof b, \"%d-%s\", h, s); return (int)strlen(b) + h % 7; }"
      done
      echo "int g$i(void) { return f${i}_1(\"x\", 1) + f${i}_2(\"y\", 1); }"
    } >"$proj/f$i.c"
  done
  {
    echo '#include <stdio.h>'
    for i in $(seq 1 40); do echo "int g$i(void);"; done
    echo 'int main(void) { int s = 0;'
    for i in $(seq 1 40); do echo " s += g$i();"; done
    echo ' printf("%d\n", s); return 0; }'
  } >"$proj/main.c"
  cat >"$proj/Makefile" <<'MK'
CC = gcc
CFLAGS = -O1 -pipe
SRCS = $(wildcard f*.c) main.c
OBJS = $(SRCS:.c=.o)
prog: $(OBJS)
	$(CC) -o $@ $(OBJS)
%.o: %.c
	$(CC) $(CFLAGS) -c -o $@ $<
clean:
	rm -f *.o prog
MK
}
