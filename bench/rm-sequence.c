/* The floor for gc: the guarded removal sequence shmctl runs on each segment, in plain C
 * and with no checks at all (no liveness, no journal, no report): list by slot with
 * SHM_STAT_ANY (the plan's facts), IPC_SET mode 000, IPC_STAT again, and IPC_RMID unless
 * the segment changed or was attached meanwhile (then its mode goes back). */
#include <stdio.h>
#include <sys/ipc.h>
#include <sys/shm.h>

int main(void) {
    struct shm_info info;
    struct shmid_ds ds, again;
    int max = shmctl(0, SHM_INFO, (struct shmid_ds *)&info), removed = 0;
    for (int i = 0; i <= max; i++) {
        int id = shmctl(i, 15 /* SHM_STAT_ANY */, &ds);
        if (id < 0 || ds.shm_nattch) continue;
        unsigned short mode = ds.shm_perm.mode;
        ds.shm_perm.mode = 0;
        if (shmctl(id, IPC_SET, &ds) < 0) continue;
        if (shmctl(id, IPC_STAT, &again) < 0) continue;
        if (again.shm_nattch || again.shm_atime != ds.shm_atime) {
            again.shm_perm.mode = mode;
            shmctl(id, IPC_SET, &again);
            continue;
        }
        if (shmctl(id, IPC_RMID, NULL) == 0) removed++;
    }
    fprintf(stderr, "removed %d\n", removed);
    return 0;
}
