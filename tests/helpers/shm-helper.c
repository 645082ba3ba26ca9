/* A real process for shmctl's tests: runs SysV shm operations given as arguments, in order.
 *
 *   create KEY SIZE MODE   shmget(KEY, SIZE, IPC_CREAT|MODE); prints "id=N"; becomes current
 *   use ID                 makes ID current
 *   attach                 shmat(current, read-write); prints "attached"
 *   chown UID GID          IPC_SET owner, keeping the mode
 *   chmod MODE             IPC_SET mode
 *   rmid                   IPC_RMID current
 *   lock                   SHM_LOCK current (needs CAP_IPC_LOCK)
 *   setuid UID GID         drops to UID/GID (setgroups, setgid, setuid)
 *   many N SIZE            creates N IPC_PRIVATE segments of SIZE bytes; prints "created=N"
 *   write TEXT             copies TEXT into the current attachment
 *   hex HEXBYTES           copies the bytes spelled in hex ("0100ff") into the attachment
 *   fill SEED              fills the whole current attachment with bytes from an LCG:
 *                          x = x * 6364136223846793005 + 1442695040888963407; byte = x >> 56
 *   pid                    prints "pid=N"
 *   hold                   prints "ready" and blocks until stdin closes or a signal ends it
 *
 * Every failure prints "error: OP: strerror" and exits 1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <unistd.h>

static void die(const char *op) {
    printf("error: %s: %s\n", op, strerror(errno));
    fflush(stdout);
    exit(1);
}

static unsigned long num(const char *s) {
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 0);
    if (errno || *end) {
        printf("error: not a number: %s\n", s);
        exit(2);
    }
    return v;
}

int main(int argc, char **argv) {
    int id = -1;
    char *addr = NULL;
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (int i = 1; i < argc; i++) {
        const char *op = argv[i];
#define ARG() (i + 1 < argc ? argv[++i] : (printf("error: %s needs an argument\n", op), exit(2), ""))
        if (!strcmp(op, "create")) {
            key_t key = (key_t)num(ARG());
            size_t size = num(ARG());
            int mode = (int)num(ARG());
            id = shmget(key, size, IPC_CREAT | mode);
            if (id < 0) die("shmget");
            printf("id=%d\n", id);
        } else if (!strcmp(op, "use")) {
            id = (int)num(ARG());
        } else if (!strcmp(op, "attach")) {
            addr = shmat(id, NULL, 0);
            if (addr == (void *)-1) die("shmat");
            printf("attached\n");
        } else if (!strcmp(op, "chown") || !strcmp(op, "chmod")) {
            struct shmid_ds ds;
            if (shmctl(id, IPC_STAT, &ds) < 0) die("IPC_STAT");
            if (!strcmp(op, "chown")) {
                ds.shm_perm.uid = (uid_t)num(ARG());
                ds.shm_perm.gid = (gid_t)num(ARG());
            } else {
                ds.shm_perm.mode = (unsigned short)num(ARG());
            }
            if (shmctl(id, IPC_SET, &ds) < 0) die("IPC_SET");
        } else if (!strcmp(op, "rmid")) {
            if (shmctl(id, IPC_RMID, NULL) < 0) die("IPC_RMID");
        } else if (!strcmp(op, "lock")) {
            if (shmctl(id, SHM_LOCK, NULL) < 0) die("SHM_LOCK");
        } else if (!strcmp(op, "setuid")) {
            uid_t uid = (uid_t)num(ARG());
            gid_t gid = (gid_t)num(ARG());
            if (setgroups(0, NULL) < 0) die("setgroups");
            if (setgid(gid) < 0) die("setgid");
            if (setuid(uid) < 0) die("setuid");
        } else if (!strcmp(op, "many")) {
            unsigned long n = num(ARG());
            size_t size = num(ARG());
            unsigned long made = 0;
            for (; made < n; made++)
                if (shmget(IPC_PRIVATE, size, IPC_CREAT | 0600) < 0) die("shmget");
            printf("created=%lu\n", made);
        } else if (!strcmp(op, "write")) {
            const char *text = ARG();
            if (!addr) { printf("error: write needs attach\n"); exit(2); }
            memcpy(addr, text, strlen(text));
        } else if (!strcmp(op, "hex")) {
            const char *hex = ARG();
            if (!addr) { printf("error: hex needs attach\n"); exit(2); }
            for (size_t k = 0; hex[2 * k] && hex[2 * k + 1]; k++) {
                char pair[3] = {hex[2 * k], hex[2 * k + 1], 0};
                addr[k] = (char)strtoul(pair, NULL, 16);
            }
        } else if (!strcmp(op, "fill")) {
            unsigned long long x = num(ARG());
            struct shmid_ds ds;
            if (!addr) { printf("error: fill needs attach\n"); exit(2); }
            if (shmctl(id, IPC_STAT, &ds) < 0) die("IPC_STAT");
            for (size_t k = 0; k < ds.shm_segsz; k++) {
                x = x * 6364136223846793005ULL + 1442695040888963407ULL;
                addr[k] = (char)(x >> 56);
            }
        } else if (!strcmp(op, "pid")) {
            printf("pid=%d\n", (int)getpid());
        } else if (!strcmp(op, "hold")) {
            printf("ready\n");
            char buf[64];
            while (read(0, buf, sizeof buf) > 0) {}
        } else {
            printf("error: unknown operation %s\n", op);
            return 2;
        }
    }
    return 0;
}
