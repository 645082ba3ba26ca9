/* What bench/run's scenarios need that shm-helper does not make:
 *
 *   scenarios liveness N      N segments, each made by a different process: 80 % of the
 *                             creators dead, 10 % alive (paused), 10 % dead with their pid
 *                             reused by a later process (needs a PID namespace of its own and
 *                             CAP_SYS_ADMIN in it: ns_last_pid)
 *   scenarios holders P O     O POSIX shared memory objects (/dev/shm/bench-I, 4 KiB) and P
 *                             paused processes, process J mapping object J % O (even J) or
 *                             holding it open (odd J)
 *   scenarios posix N         N POSIX shm objects, N named semaphores, N message queues
 *                             (the queues owned by uids 60000 and up, 4,000 each)
 *
 * Paused processes outlive this program; bench/run ends them with its PID namespace. */
#include <fcntl.h>
#include <mqueue.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <unistd.h>

static void die(const char *what) {
    perror(what);
    exit(1);
}

/* Closes stdout first: the caller reading it (a command substitution) must see its end. */
static void pause_forever(void) {
    int null = open("/dev/null", O_WRONLY);
    if (null >= 0) dup2(null, STDOUT_FILENO);
    for (;;) pause();
}

/* Forks a child and returns 0 in it; the parent returns the child's pid once the child has
 * called ready_and_pause() or exited. */
static int ready_fd = -1;

static pid_t fork_until_ready(void) {
    int ready[2];
    if (pipe(ready) < 0) die("pipe");
    pid_t pid = fork();
    if (pid < 0) die("fork");
    if (pid == 0) {
        close(ready[0]);
        ready_fd = ready[1];
        return 0;
    }
    close(ready[1]);
    char c;
    if (read(ready[0], &c, 1) < 0) die("read"); /* 1: ready, 0: it exited */
    close(ready[0]);
    return pid;
}

static void ready_and_pause(void) {
    if (write(ready_fd, "x", 1) != 1) die("write");
    close(ready_fd);
    pause_forever();
}

static void liveness(long n) {
    pid_t *dead = calloc((size_t)n, sizeof *dead);
    long ndead = 0;
    for (long i = 0; i < n; i++) {
        pid_t pid = fork_until_ready();
        if (pid == 0) {
            if (shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600) < 0) die("shmget");
            if (i % 10 != 0) _exit(0);
            ready_and_pause();
        }
        if (i % 10 != 0) {
            if (waitpid(pid, NULL, 0) < 0) die("waitpid");
            dead[ndead++] = pid;
        }
    }
    /* A later process on one dead creator's pid in nine: its start time is after the
     * segment's creation, so the pid is "reused". */
    sleep(1);
    long reused = 0;
    for (long i = 0; i < ndead; i += 8) {
        FILE *f = fopen("/proc/sys/kernel/ns_last_pid", "w");
        if (!f) die("ns_last_pid");
        fprintf(f, "%d", dead[i] - 1);
        if (fclose(f) != 0) die("ns_last_pid");
        pid_t pid = fork();
        if (pid < 0) die("fork");
        if (pid == 0) pause_forever();
        if (pid == dead[i]) reused++;
    }
    printf("segments=%ld alive=%ld dead=%ld reused=%ld\n", n, (n + 9) / 10, ndead - reused, reused);
}

static void holders(long procs, long objects) {
    char name[64];
    for (long i = 0; i < objects; i++) {
        snprintf(name, sizeof name, "/bench-%ld", i);
        int fd = shm_open(name, O_CREAT | O_RDWR, 0600);
        if (fd < 0 || ftruncate(fd, 4096) < 0) die("shm_open");
        close(fd);
    }
    for (long j = 0; j < procs; j++) {
        if (fork_until_ready() == 0) {
            snprintf(name, sizeof name, "/bench-%ld", j % objects);
            int fd = shm_open(name, O_RDWR, 0);
            if (fd < 0) die("shm_open");
            if (j % 2 == 0) {
                if (mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0) == MAP_FAILED) die("mmap");
                close(fd);
            }
            ready_and_pause();
        }
    }
    printf("objects=%ld processes=%ld\n", objects, procs);
}

static void posix(long n) {
    char name[64];
    struct mq_attr attr = {.mq_maxmsg = 1, .mq_msgsize = 16};
    for (long i = 0; i < n; i++) {
        snprintf(name, sizeof name, "/bench-%ld", i);
        int fd = shm_open(name, O_CREAT | O_RDWR, 0600);
        if (fd < 0 || ftruncate(fd, 4096) < 0) die("shm_open");
        close(fd);
        sem_t *s = sem_open(name, O_CREAT, 0600, 1);
        if (s == SEM_FAILED) die("sem_open");
        sem_close(s);
    }
    /* Queues count against their owner's RLIMIT_MSGQUEUE (800 KiB by default, which a
     * container's root may not raise): 4,000 at most per owner, each batch made by a
     * child under its own uid. */
    for (long first = 0; first < n; first += 4000) {
        pid_t pid = fork();
        if (pid < 0) die("fork");
        if (pid == 0) {
            if (setuid((uid_t)(60000 + first / 4000)) < 0) die("setuid");
            for (long i = first; i < n && i < first + 4000; i++) {
                snprintf(name, sizeof name, "/bench-%ld", i);
                mqd_t q = mq_open(name, O_CREAT | O_RDWR, 0600, &attr);
                if (q == (mqd_t)-1) die("mq_open");
                mq_close(q);
            }
            _exit(0);
        }
        int status;
        if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status)) exit(1);
    }
    printf("pshm=%ld psem=%ld pmq=%ld\n", n, n, n);
}

int main(int argc, char **argv) {
    if (argc == 3 && !strcmp(argv[1], "liveness")) liveness(atol(argv[2]));
    else if (argc == 4 && !strcmp(argv[1], "holders")) holders(atol(argv[2]), atol(argv[3]));
    else if (argc == 3 && !strcmp(argv[1], "posix")) posix(atol(argv[2]));
    else {
        fprintf(stderr, "usage: %s liveness N | holders PROCS OBJECTS | posix N\n", argv[0]);
        return 2;
    }
    fflush(stdout);
    return 0;
}
