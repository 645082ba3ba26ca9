/* A real process for shmctl's tests: runs IPC operations given as arguments, in order.
 *
 * System V shared memory:
 *   create KEY SIZE MODE   shmget(KEY, SIZE, IPC_CREAT|MODE); prints "id=N"; becomes current
 *   use ID                 makes ID current
 *   attach                 shmat(current, read-write); prints "attached"
 *   chown UID GID          IPC_SET owner, keeping the mode
 *   chmod MODE             IPC_SET mode
 *   rmid                   IPC_RMID current
 *   lock                   SHM_LOCK current (needs CAP_IPC_LOCK)
 *   sethostname NAME       sethostname(2) of its UTS namespace, any bytes (hostname(1) refuses
 *                          what a container's root may still set)
 *   setuid UID GID         drops to UID/GID (setgroups, setgid, setuid), staying dumpable as a
 *                          process started as UID would be (its /proc files are UID's)
 *   many N SIZE            creates N IPC_PRIVATE segments of SIZE bytes; prints "created=N"
 *   manysem N              creates N IPC_PRIVATE semaphore sets of one semaphore (mode 0600);
 *                          prints "created=N"
 *   manymsg N              creates N IPC_PRIVATE message queues (mode 0600), each with one
 *                          message sent (so its last sender is this process); prints "created=N"
 *   write TEXT             copies TEXT into the current attachment
 *   hex HEXBYTES           copies the bytes spelled in hex ("0100ff") into the attachment
 *   fill SEED              fills the whole current attachment with bytes from an LCG:
 *                          x = x * 6364136223846793005 + 1442695040888963407; byte = x >> 56
 *
 * System V semaphore sets:
 *   semcreate KEY NSEMS MODE  semget(KEY, NSEMS, IPC_CREAT|MODE); prints "id=N"; becomes the
 *                          current set
 *   semuse ID              makes set ID current
 *   semset IDX VALUE       semctl(SETVAL): semaphore IDX of the current set = VALUE
 *   semop IDX DELTA        semop(IDX, DELTA, sem_flg 0); DELTA may be negative (and then may block)
 *   semwait IDX            forks a child that blocks in semop(IDX, -1) (a waiter: semncnt);
 *                          prints "pid=CHILD", then "waiting" once GETNCNT shows it (at most
 *                          10 s). The child dies with this process (PR_SET_PDEATHSIG SIGKILL),
 *                          exits silently if it gets the semaphore or the set goes, never prints.
 *
 * System V message queues:
 *   msgcreate KEY MODE     msgget(KEY, IPC_CREAT|MODE); prints "id=N"; becomes the current queue
 *   msguse ID              makes queue ID current
 *   msgsend TYPE TEXT      msgsnd of TEXT (without a NUL) with mtype TYPE (> 0), flags 0
 *   msgrecv                msgrcv of any type, IPC_NOWAIT; prints "received=TEXT"
 *   msgfill                fills the current queue with 512-byte messages (IPC_NOWAIT) until it
 *                          holds no more (msg_qbytes); prints "filled=N"
 *   msgwaitrecv            forks a child that blocks in msgrcv (any type) on the current queue;
 *   msgwaitsend            ... or in msgsnd of a 512-byte message (on a full queue). Prints
 *                          "pid=CHILD", then "waiting" once /proc/CHILD/syscall shows the call
 *                          on the queue's id (at most 10 s). The child dies with this process
 *                          (PR_SET_PDEATHSIG SIGKILL), exits silently once the call returns.
 *   msgwaitrecvthread      starts a thread of this process that blocks in msgrcv on the current
 *                          queue, again after each message it gets, until the queue goes;
 *                          prints "tid=N", then "waiting" once /proc/self/task/N/syscall shows
 *                          it (at most 10 s)
 *
 * POSIX objects (NAME with its leading slash, "/test1"; the umask is 0, so MODE is exact):
 *   pshm NAME SIZE MODE    shm_open(O_CREAT|O_RDWR, MODE) + ftruncate(SIZE); keeps the fd open
 *                          as the current one; prints "created"
 *   pshmmap                mmap of the current fd, MAP_SHARED, its whole size; prints "mapped"
 *   pshmwrite TEXT         pwrite of TEXT at offset 0 of the current fd
 *   close                  closes the current fd (a mapping of it stays)
 *   psem NAME VALUE MODE   sem_open(O_CREAT, MODE, VALUE): keeps it mapped (sem_open closes
 *                          its fd); prints "created"
 *   mq NAME MODE           mq_open(O_CREAT|O_RDWR, MODE, default attributes); becomes the
 *                          current queue descriptor; prints "created"
 *   mqsend TEXT            mq_send of TEXT (without a NUL), priority 0, on the current queue
 *   mqclose                mq_close of the current queue descriptor
 *
 * Anywhere:
 *   pid                    prints "pid=N"
 *   name COMM              prctl(PR_SET_NAME): the process's comm (at most 15 bytes kept)
 *   hold                   prints "ready" and blocks until stdin closes or a signal ends it
 *   child OPS... exit      forks: the child runs OPS (with this process's current ids), then
 *                          exits at `exit` without being reaped, a zombie for as long as this
 *                          process lives (it never waits for it). This process goes on after
 *                          `exit` with the child's current ids, once the child has exited
 *                          (waitid WNOWAIT), printing "pid=CHILD" and "zombie". An error in
 *                          OPS fails this process too. Not nested.
 *   leaderexit             the operations after it run in a new thread while the main thread
 *                          (the thread-group leader) calls pthread_exit: /proc then shows the
 *                          leader as a zombie (state Z) although the process lives. The thread
 *                          prints "tid=N" once the leader's state is Z (at most 10 s).
 *
 * Every failure prints "error: OP: strerror" and exits 1 (2 for a misused argument list).
 * Build: cc -O2 -Wall -o shm-helper shm-helper.c -pthread -lrt
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <mqueue.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/prctl.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The caller defines semctl's fourth argument (glibc does not). */
union semun {
    int val;
    struct semid_ds *buf;
    unsigned short *array;
};

/* msgsnd/msgrcv's buffer: a type, then the text. */
struct msgbuf_text {
    long mtype;
    char mtext[65536];
};

/* What the operations work on: the current segment, set, queue and descriptors. Global so
 * that `leaderexit`'s thread and `child`'s child carry on with them. */
static int argc_, id = -1, semid = -1, msqid = -1, fd = -1;
static char **argv_;
static char *addr = NULL;
static mqd_t mqd = (mqd_t)-1;
static struct msgbuf_text msg;
/* In a `child`: where to report, at `exit`, the position reached and the current ids. */
static int child_report = -1;

struct child_state {
    int next, id, semid, msqid;
};

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

static long snum(const char *s) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 0);
    if (errno || *end || end == s) {
        printf("error: not a number: %s\n", s);
        exit(2);
    }
    return v;
}

static void semwait(int semid, unsigned short idx) {
    pid_t parent = getpid();
    fflush(stdout);
    pid_t child = fork();
    if (child < 0) die("fork");
    if (child == 0) {
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) _exit(1);
        if (getppid() != parent) _exit(1); /* the parent died before prctl */
        struct sembuf op = {.sem_num = idx, .sem_op = -1, .sem_flg = 0};
        while (semop(semid, &op, 1) < 0)
            if (errno != EINTR) _exit(1);
        _exit(0);
    }
    printf("pid=%d\n", (int)child);
    for (int tries = 0;; tries++) {
        int n = semctl(semid, idx, GETNCNT);
        if (n < 0) die("GETNCNT");
        if (n >= 1) break;
        if (tries >= 10000) {
            printf("error: semwait: no waiter after 10 s\n");
            exit(1);
        }
        struct timespec ms = {0, 1000000};
        nanosleep(&ms, NULL);
    }
    printf("waiting\n");
}

static int run_ops(int start);

/* Waits until the task whose syscall file is `path` sits in system call `nr` with `id` as
 * its first argument (at most 10 s). */
static void wait_blocked(const char *path, long nr, int id, const char *what) {
    for (int tries = 0;; tries++) {
        char buf[256] = {0};
        FILE *f = fopen(path, "r");
        if (f) {
            size_t n = fread(buf, 1, sizeof buf - 1, f);
            fclose(f);
            long got_nr, got_id;
            if (n && sscanf(buf, "%ld 0x%lx", &got_nr, &got_id) == 2 && got_nr == nr &&
                (int)got_id == id)
                break;
        }
        if (tries >= 10000) {
            printf("error: %s: not blocked after 10 s (%s: %s)\n", what, path, buf);
            exit(1);
        }
        struct timespec ms = {0, 1000000};
        nanosleep(&ms, NULL);
    }
}

/* A child blocked in msgrcv (receive) or msgsnd (!receive) on `queue`. */
static void msgwait(int queue, int receive) {
    pid_t parent = getpid();
    fflush(stdout);
    pid_t child = fork();
    if (child < 0) die("fork");
    if (child == 0) {
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) _exit(1);
        if (getppid() != parent) _exit(1); /* the parent died before prctl */
        static struct msgbuf_text buf;
        if (receive) {
            msgrcv(queue, &buf, sizeof buf.mtext, 0, 0);
        } else {
            buf.mtype = 1;
            memset(buf.mtext, 'w', 512);
            msgsnd(queue, &buf, 512, 0);
        }
        _exit(0);
    }
    printf("pid=%d\n", (int)child);
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/syscall", (int)child);
    wait_blocked(path, receive ? SYS_msgrcv : SYS_msgsnd, queue, receive ? "msgwaitrecv" : "msgwaitsend");
    printf("waiting\n");
}

static void *receive_forever(void *arg) {
    int queue = *(int *)arg;
    static struct msgbuf_text buf;
    while (msgrcv(queue, &buf, sizeof buf.mtext, 0, 0) >= 0 || errno == EINTR) {}
    return NULL;
}

/* `msgwaitrecvthread`: the thread's tid, passed back through this. */
static volatile long receiver_tid;

static void *receive_forever_named(void *arg) {
    receiver_tid = syscall(SYS_gettid);
    return receive_forever(arg);
}

/* `leaderexit`'s thread: waits until /proc shows the leader as a zombie, then carries on. */
static void *after_leader(void *arg) {
    int start = *(int *)arg;
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task/%d/stat", (int)getpid(), (int)getpid());
    for (int tries = 0;; tries++) {
        char buf[512] = {0};
        FILE *f = fopen(path, "r");
        if (!f) die("open leader stat");
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        char *paren = n ? strrchr(buf, ')') : NULL;
        if (paren && paren[1] == ' ' && paren[2] == 'Z') break;
        if (tries >= 10000) {
            printf("error: leaderexit: the leader is not a zombie after 10 s\n");
            exit(1);
        }
        struct timespec ms = {0, 1000000};
        nanosleep(&ms, NULL);
    }
    printf("tid=%ld\n", (long)syscall(SYS_gettid));
    exit(run_ops(start));
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    umask(0);
    argc_ = argc;
    argv_ = argv;
    return run_ops(1);
}

/* Runs the operations from argv[start]; returns the exit status. */
static int run_ops(int start) {
    int argc = argc_;
    char **argv = argv_;
    for (int i = start; i < argc; i++) {
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
        } else if (!strcmp(op, "sethostname")) {
            const char *name = ARG();
            if (sethostname(name, strlen(name)) < 0) die("sethostname");
        } else if (!strcmp(op, "setuid")) {
            uid_t uid = (uid_t)num(ARG());
            gid_t gid = (gid_t)num(ARG());
            if (setgroups(0, NULL) < 0) die("setgroups");
            if (setgid(gid) < 0) die("setgid");
            if (setuid(uid) < 0) die("setuid");
            if (prctl(PR_SET_DUMPABLE, 1) < 0) die("PR_SET_DUMPABLE");
        } else if (!strcmp(op, "many")) {
            unsigned long n = num(ARG());
            size_t size = num(ARG());
            unsigned long made = 0;
            for (; made < n; made++)
                if (shmget(IPC_PRIVATE, size, IPC_CREAT | 0600) < 0) die("shmget");
            printf("created=%lu\n", made);
        } else if (!strcmp(op, "manysem")) {
            unsigned long n = num(ARG());
            unsigned long made = 0;
            for (; made < n; made++)
                if (semget(IPC_PRIVATE, 1, IPC_CREAT | 0600) < 0) die("semget");
            printf("created=%lu\n", made);
        } else if (!strcmp(op, "manymsg")) {
            unsigned long n = num(ARG());
            unsigned long made = 0;
            msg.mtype = 1;
            msg.mtext[0] = 'm';
            for (; made < n; made++) {
                int q = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
                if (q < 0) die("msgget");
                if (msgsnd(q, &msg, 1, IPC_NOWAIT) < 0) die("msgsnd");
            }
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
        } else if (!strcmp(op, "semcreate")) {
            key_t key = (key_t)num(ARG());
            int nsems = (int)num(ARG());
            int mode = (int)num(ARG());
            semid = semget(key, nsems, IPC_CREAT | mode);
            if (semid < 0) die("semget");
            printf("id=%d\n", semid);
        } else if (!strcmp(op, "semuse")) {
            semid = (int)num(ARG());
        } else if (!strcmp(op, "semset")) {
            int idx = (int)num(ARG());
            union semun arg = {.val = (int)snum(ARG())};
            if (semctl(semid, idx, SETVAL, arg) < 0) die("SETVAL");
        } else if (!strcmp(op, "semop")) {
            struct sembuf sop = {.sem_num = (unsigned short)num(ARG())};
            sop.sem_op = (short)snum(ARG());
            if (semop(semid, &sop, 1) < 0) die("semop");
        } else if (!strcmp(op, "semwait")) {
            semwait(semid, (unsigned short)num(ARG()));
        } else if (!strcmp(op, "msgcreate")) {
            key_t key = (key_t)num(ARG());
            int mode = (int)num(ARG());
            msqid = msgget(key, IPC_CREAT | mode);
            if (msqid < 0) die("msgget");
            printf("id=%d\n", msqid);
        } else if (!strcmp(op, "msguse")) {
            msqid = (int)num(ARG());
        } else if (!strcmp(op, "msgsend")) {
            msg.mtype = snum(ARG());
            const char *text = ARG();
            size_t len = strlen(text);
            if (len > sizeof msg.mtext) { printf("error: msgsend: text too long\n"); exit(2); }
            memcpy(msg.mtext, text, len);
            if (msgsnd(msqid, &msg, len, 0) < 0) die("msgsnd");
        } else if (!strcmp(op, "msgrecv")) {
            ssize_t len = msgrcv(msqid, &msg, sizeof msg.mtext, 0, IPC_NOWAIT);
            if (len < 0) die("msgrcv");
            printf("received=%.*s\n", (int)len, msg.mtext);
        } else if (!strcmp(op, "msgfill")) {
            unsigned long sent = 0;
            msg.mtype = 1;
            memset(msg.mtext, 'f', 512);
            while (msgsnd(msqid, &msg, 512, IPC_NOWAIT) == 0) sent++;
            if (errno != EAGAIN) die("msgsnd");
            printf("filled=%lu\n", sent);
        } else if (!strcmp(op, "msgwaitrecv")) {
            msgwait(msqid, 1);
        } else if (!strcmp(op, "msgwaitsend")) {
            msgwait(msqid, 0);
        } else if (!strcmp(op, "msgwaitrecvthread")) {
            static int queue;
            pthread_t thread;
            queue = msqid;
            receiver_tid = 0;
            if (pthread_create(&thread, NULL, receive_forever_named, &queue) != 0)
                die("pthread_create");
            while (!receiver_tid) {
                struct timespec ms = {0, 1000000};
                nanosleep(&ms, NULL);
            }
            printf("tid=%ld\n", receiver_tid);
            char path[96];
            snprintf(path, sizeof path, "/proc/%d/task/%ld/syscall", (int)getpid(), receiver_tid);
            wait_blocked(path, SYS_msgrcv, msqid, "msgwaitrecvthread");
            printf("waiting\n");
        } else if (!strcmp(op, "pshm")) {
            const char *name = ARG();
            off_t size = (off_t)num(ARG());
            mode_t mode = (mode_t)num(ARG());
            fd = shm_open(name, O_CREAT | O_RDWR, mode);
            if (fd < 0) die("shm_open");
            if (ftruncate(fd, size) < 0) die("ftruncate");
            printf("created\n");
        } else if (!strcmp(op, "pshmmap")) {
            struct stat st;
            if (fstat(fd, &st) < 0) die("fstat");
            if (mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) == MAP_FAILED)
                die("mmap");
            printf("mapped\n");
        } else if (!strcmp(op, "pshmwrite")) {
            const char *text = ARG();
            if (pwrite(fd, text, strlen(text), 0) < 0) die("pwrite");
        } else if (!strcmp(op, "close")) {
            if (close(fd) < 0) die("close");
            fd = -1;
        } else if (!strcmp(op, "psem")) {
            const char *name = ARG();
            unsigned value = (unsigned)num(ARG());
            mode_t mode = (mode_t)num(ARG());
            if (sem_open(name, O_CREAT, mode, value) == SEM_FAILED) die("sem_open");
            printf("created\n");
        } else if (!strcmp(op, "mq")) {
            const char *name = ARG();
            mode_t mode = (mode_t)num(ARG());
            mqd = mq_open(name, O_CREAT | O_RDWR, mode, NULL);
            if (mqd == (mqd_t)-1) die("mq_open");
            printf("created\n");
        } else if (!strcmp(op, "mqsend")) {
            const char *text = ARG();
            if (mq_send(mqd, text, strlen(text), 0) < 0) die("mq_send");
        } else if (!strcmp(op, "mqclose")) {
            if (mq_close(mqd) < 0) die("mq_close");
            mqd = (mqd_t)-1;
        } else if (!strcmp(op, "child")) {
            int fds[2];
            if (child_report >= 0) { printf("error: child: not nested\n"); exit(2); }
            if (pipe(fds) < 0) die("pipe");
            fflush(stdout);
            pid_t child = fork();
            if (child < 0) die("fork");
            if (child == 0) {
                close(fds[0]);
                child_report = fds[1];
                continue;
            }
            close(fds[1]);
            struct child_state st;
            ssize_t got = read(fds[0], &st, sizeof st);
            close(fds[0]);
            if (got != (ssize_t)sizeof st) {
                printf("error: child: it failed before `exit`\n");
                exit(1);
            }
            siginfo_t info;
            if (waitid(P_PID, child, &info, WEXITED | WNOWAIT) < 0) die("waitid");
            i = st.next;
            id = st.id;
            semid = st.semid;
            msqid = st.msqid;
            printf("pid=%d\nzombie\n", (int)child);
        } else if (!strcmp(op, "exit")) {
            if (child_report < 0) { printf("error: exit without child\n"); exit(2); }
            struct child_state st = {.next = i, .id = id, .semid = semid, .msqid = msqid};
            fflush(stdout);
            if (write(child_report, &st, sizeof st) != (ssize_t)sizeof st) _exit(1);
            _exit(0);
        } else if (!strcmp(op, "leaderexit")) {
            static int next;
            pthread_t thread;
            next = i + 1;
            fflush(stdout);
            if (pthread_create(&thread, NULL, after_leader, &next) != 0) die("pthread_create");
            pthread_exit(NULL);
        } else if (!strcmp(op, "pid")) {
            printf("pid=%d\n", (int)getpid());
        } else if (!strcmp(op, "name")) {
            if (prctl(PR_SET_NAME, ARG(), 0, 0, 0) < 0) die("prctl(PR_SET_NAME)");
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
