/* A 32-bit (i386) program for shmctl's tests, without libc: `ipc32 MODE KEY` gets the queue
 * KEY (msgget, IPC_CREAT|0600) and blocks in msgrcv on it as an i386 task does:
 *   MODE i   through the multiplexer ipc(MSGRCV | version 1 << 16, id, …) (syscall 117)
 *   MODE d   through the direct msgrcv (syscall 401, Linux 5.1 on)
 * It exits 0 when msgrcv returns (a message, or the queue removed), 1 on a bad argument.
 * Build: cc -m32 -nostdlib -static -fno-pie -no-pie -O1 -o ipc32 ipc32.c
 */
__asm__(".globl _start\n_start:\n\tmov %esp, %eax\n\tpush %eax\n\tcall start\n\thlt\n");

static long sys5(long nr, long a, long b, long c, long d, long e) {
    long r;
    __asm__ volatile("int $0x80" : "=a"(r) : "a"(nr), "b"(a), "c"(b), "d"(c), "S"(d), "D"(e) : "memory");
    return r;
}

static void leave(long status) {
    sys5(1, status, 0, 0, 0, 0);
    for (;;) {}
}

static long number(const char *s) {
    long v = 0;
    int base = 10;
    if (s[0] == '0' && s[1] == 'x') { base = 16; s += 2; }
    if (!*s) leave(1);
    for (; *s; s++) {
        int d = *s >= '0' && *s <= '9' ? *s - '0' : *s >= 'a' && *s <= 'f' ? *s - 'a' + 10 : 99;
        if (d >= base) leave(1);
        v = v * base + d;
    }
    return v;
}

static struct { long mtype; char mtext[64]; } buf;

__attribute__((used)) void start(long *sp) {
    long argc = sp[0];
    char **argv = (char **)(sp + 1);
    if (argc != 3) leave(1);
    long id = sys5(117, 13, number(argv[2]), 01600, 0, 0); /* ipc(MSGGET, key, IPC_CREAT|0600) */
    if (id < 0) leave(1);
    if (argv[1][0] == 'i')
        sys5(117, 12 | (1 << 16), id, sizeof buf.mtext, 0, (long)&buf); /* ipc(MSGRCV) */
    else if (argv[1][0] == 'd')
        sys5(401, id, (long)&buf, sizeof buf.mtext, 0, 0); /* msgrcv */
    else
        leave(1);
    leave(0);
}
