/* Creates a private SysV segment of SIZE bytes whose first half is pseudo-random and whose
 * second half is zeros, leaves it (nothing attached) and prints its id: the input of
 * bench/memory.sh.   fill-bytes SIZE */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: fill-bytes SIZE\n");
        return 2;
    }
    size_t size = strtoull(argv[1], NULL, 0);
    int id = shmget(IPC_PRIVATE, size, IPC_CREAT | 0600);
    if (id < 0) { perror("shmget"); return 1; }
    uint8_t *p = shmat(id, NULL, 0);
    if (p == (void *)-1) { perror("shmat"); return 1; }
    uint64_t x = 0x9e3779b97f4a7c15u;
    for (size_t i = 0; i + 8 <= size / 2; i += 8) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        memcpy(p + i, &x, 8);
    }
    shmdt(p);
    printf("%d\n", id);
    return 0;
}
