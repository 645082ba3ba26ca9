/* Creates a segment of N struct SharedData records ("Message #i from Writer"), prints its
 * id and exits: the segment outlives it. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/shm.h>
#include "shared_data.h"

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 1000000;
    int id = shmget(IPC_PRIVATE, (size_t)n * sizeof(struct SharedData), IPC_CREAT | 0600);
    if (id < 0) { perror("shmget"); return 1; }
    struct SharedData *records = shmat(id, NULL, 0);
    if (records == (void *)-1) { perror("shmat"); return 1; }
    for (long i = 0; i < n; i++) {
        records[i].counter = (int32_t)i;
        snprintf(records[i].message, sizeof records[i].message, "Message #%ld from Writer", i);
        records[i].ready = i % 2;
    }
    printf("%d\n", id);
    return 0;
}
