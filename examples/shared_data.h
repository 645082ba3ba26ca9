/*
 * shared_data.h: the layout the writer and reader examples share through one
 * System V shared memory segment (key: ftok(path, 65)).
 *
 * examples/writer.rs and examples/reader.rs mirror these structs with #[repr(C)];
 * shmctl decodes a live segment with them:
 *
 *     shmctl schema examples/shared_data.h --type Channel
 *     shmctl dump <id> --schema examples/shared_data.h --type Channel
 */
#ifndef SHARED_DATA_H
#define SHARED_DATA_H

#include <stdint.h>
#include <stdbool.h>
#include <semaphore.h>

/* One message. 108 bytes: counter at 0x00, message at 0x04, ready at 0x68, then 3 bytes of
 * tail padding (the struct is aligned like its int32_t). */
struct SharedData {
    int32_t counter;    /* the message's number: 1, 2, ... N */
    char message[100];  /* the text, NUL-terminated: "Message #1 from Writer" */
    bool ready;         /* set by the writer when message holds a new message, cleared by the
                           reader once it has consumed it; a post of filled while ready is
                           false means the writer has finished and will send no more */
};

/* The whole segment: two process-shared POSIX semaphores (sem_init(..., 1, ...)) around one
 * message slot. 176 bytes on x86-64 and aarch64: filled at 0x00, consumed at 0x20, data at
 * 0x40. */
struct Channel {
    sem_t filled;           /* posted by the writer when data holds a message (starts at 0) */
    sem_t consumed;         /* posted by the reader when it has taken it (starts at 1: the
                               slot is free) */
    struct SharedData data; /* the message slot */
};

#endif /* SHARED_DATA_H */
