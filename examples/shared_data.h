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
#include <semaphore.h>

/* The version of this layout, in every SharedData: a reader that finds another refuses the
 * segment instead of misreading it. Raise it with any change below. */
#define SHARED_DATA_VERSION 1

/* One message. 112 bytes, every byte a named field (shmctl schema --lint finds nothing):
 * version at 0x00, counter at 0x04, message at 0x08, ready at 0x6c, reserved at 0x6d.
 * Fixed-width types only: `bool` and `int` may differ between compilers, uint8_t and
 * int32_t do not. */
struct SharedData {
    uint32_t version;   /* SHARED_DATA_VERSION, written by the writer before anything else */
    int32_t counter;    /* the message's number: 1, 2, ... N */
    char message[100];  /* the text, NUL-terminated: "Message #1 from Writer" */
    uint8_t ready;      /* 1 when the writer has put a new message in `message`, 0 once the
                           reader has consumed it; a post of filled while ready is 0 means
                           the writer has finished and will send no more */
    uint8_t reserved[3]; /* explicit padding to the int32_t alignment: always 0 */
};

/* The whole segment: two process-shared POSIX semaphores (sem_init(..., 1, ...)) around one
 * message slot. 176 bytes on x86-64 and aarch64, no padding anywhere: filled at 0x00,
 * consumed at 0x20, data at 0x40. */
struct Channel {
    sem_t filled;           /* posted by the writer when data holds a message (starts at 0) */
    sem_t consumed;         /* posted by the reader when it has taken it (starts at 1: the
                               slot is free) */
    struct SharedData data; /* the message slot */
};

#endif /* SHARED_DATA_H */
